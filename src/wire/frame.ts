// The frames of cleave's wire protocol (docs/wire-protocol.md): a 20-byte header, the payload, and a
// CRC-32 over both. Everything here is pure bytes: transports decide how frames travel (a byte
// stream, COBS packets on a serial line, later MQTT messages).
import { crc32 } from '../compile/crc32';
import { CleaveError } from '../errors';

export const WIRE_MAGIC = 0x57564c43; // "CLVW" read as a little-endian u32
export const WIRE_VERSION = 1;
export const HEADER_BYTES = 20;
export const TRAILER_BYTES = 4;
/** The largest payload a peer accepts unless told otherwise: enough for any tensor of a tiny model. */
export const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;

export enum FrameType {
  Hello = 1,
  HelloAck = 2,
  Request = 3,
  Reply = 4,
  Error = 5,
  Ping = 6,
  Pong = 7,
  Goodbye = 8,
  // The MCU protocol (docs/mcu-protocol.md): a host and cleave firmware on a serial line.
  McuHello = 32,
  McuHelloAck = 33,
  McuLoadBegin = 34,
  McuLoadChunk = 35,
  McuLoadEnd = 36,
  McuAck = 37,
  McuLoaded = 38,
  McuSetInput = 39,
  McuRun = 40,
  McuTiming = 41,
  McuReadOutput = 42,
  McuOutput = 43,
  McuReadTiming = 44,
}

/** Error frames with this flag end the connection (a refused hello, an unparseable stream). */
export const FLAG_FATAL = 0x0001;
/** Set on a request sent again after a timeout or a reconnect; the server may answer from its cache. */
export const FLAG_RETRY = 0x0002;

export interface Frame {
  type: FrameType;
  flags: number;
  /** Scope of sequence numbers: one pipeline link keeps its stream id across reconnects. */
  stream: number;
  /** The request id a request, its reply and an error about it share; 0 for connection-level frames. */
  seq: number;
  payload: Uint8Array;
}

export interface FrameHeader {
  type: FrameType;
  flags: number;
  stream: number;
  seq: number;
  payloadBytes: number;
}

export function frameBytes(frame: Frame): Buffer {
  const bytes = Buffer.allocUnsafe(HEADER_BYTES + frame.payload.byteLength + TRAILER_BYTES);
  bytes.writeUInt32LE(WIRE_MAGIC, 0);
  bytes.writeUInt8(WIRE_VERSION, 4);
  bytes.writeUInt8(frame.type, 5);
  bytes.writeUInt16LE(frame.flags, 6);
  bytes.writeUInt32LE(frame.stream >>> 0, 8);
  bytes.writeUInt32LE(frame.seq >>> 0, 12);
  bytes.writeUInt32LE(frame.payload.byteLength, 16);
  bytes.set(frame.payload, HEADER_BYTES);
  const end = HEADER_BYTES + frame.payload.byteLength;
  bytes.writeUInt32LE(crc32(bytes.subarray(0, end)), end);
  return bytes;
}

/**
 * Reads and checks a header (magic, version, type, payload size against `maxPayload`) from its 20
 * bytes alone, so that a frame announcing 4 GiB is refused before anything is allocated for it.
 * `where` names the peer or stream in the error.
 */
export function readHeader(bytes: Uint8Array, maxPayload: number, where: string): FrameHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const magic = view.getUint32(0, true);
  if (magic !== WIRE_MAGIC) {
    throw new CleaveError('WIRE_BAD_MAGIC', `${where}: not a cleave wire frame (magic 0x${magic.toString(16).padStart(8, '0')}, expected "CLVW")`);
  }
  const version = view.getUint8(4);
  if (version !== WIRE_VERSION) {
    throw new CleaveError('WIRE_VERSION', `${where}: wire protocol version ${version} is not supported (this cleave speaks ${WIRE_VERSION})`);
  }
  const type = view.getUint8(5);
  if (!(type in FrameType)) throw new CleaveError('WIRE_BAD_FRAME', `${where}: unknown frame type ${type}`);
  const payloadBytes = view.getUint32(16, true);
  if (payloadBytes > maxPayload) {
    throw new CleaveError('WIRE_FRAME_TOO_LARGE', `${where}: frame announces a ${payloadBytes}-byte payload, the limit is ${maxPayload} bytes`);
  }
  return { type, flags: view.getUint16(6, true), stream: view.getUint32(8, true), seq: view.getUint32(12, true), payloadBytes };
}

/** Checks the CRC of one whole frame (header, payload, trailer) and returns it; the payload is a view. */
export function readFrame(bytes: Uint8Array, maxPayload: number, where: string): Frame {
  if (bytes.byteLength < HEADER_BYTES + TRAILER_BYTES) {
    throw new CleaveError('WIRE_TRUNCATED', `${where}: ${bytes.byteLength} bytes is shorter than a frame (${HEADER_BYTES + TRAILER_BYTES})`);
  }
  const header = readHeader(bytes, maxPayload, where);
  const end = HEADER_BYTES + header.payloadBytes;
  if (bytes.byteLength !== end + TRAILER_BYTES) {
    throw new CleaveError('WIRE_TRUNCATED', `${where}: frame of ${bytes.byteLength} bytes, its header announces ${end + TRAILER_BYTES}`);
  }
  const stored = new DataView(bytes.buffer, bytes.byteOffset + end, TRAILER_BYTES).getUint32(0, true);
  const actual = crc32(bytes.subarray(0, end));
  if (stored !== actual) {
    throw new CleaveError('WIRE_CHECKSUM', `${where}: frame ${FrameType[header.type]} #${header.seq} fails its CRC-32 (stored 0x${stored.toString(16)}, computed 0x${actual.toString(16)})`);
  }
  return { type: header.type, flags: header.flags, stream: header.stream, seq: header.seq, payload: bytes.subarray(HEADER_BYTES, end) };
}
