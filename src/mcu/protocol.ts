// The MCU protocol's payloads (docs/mcu-protocol.md), the host side of native/firmware/mcu_protocol.h:
// cleave wire frames (src/wire/frame.ts) with types 32 and up, COBS-framed on a serial line.
import { createHash } from 'node:crypto';
import { CleaveError } from '../errors';

/** Bumped with native/firmware/mcu_protocol.h kProtocolVersion when a layout changes. */
export const MCU_PROTOCOL_VERSION = 1;
/** The firmware version this cleave builds (CLEAVE_MCU_FIRMWARE_VERSION) and expects on a board. */
export const MCU_FIRMWARE_VERSION = 1;

export interface McuHello {
  protocolVersion: number;
  firmwareVersion: number;
  /** The newest Program format the firmware's loader reads. */
  programFormat: number;
  arenaCapacity: number;
  programCapacity: number;
  maxPayload: number;
  /** SysTick's clock. */
  clockHz: number;
  /** Bytes and arena of the Program loaded now (0 when none). */
  loadedProgramBytes: number;
  loadedArenaBytes: number;
  board: string;
  opcodes: number[];
  /**
   * SHA-256 (hex) of the Program resident in the image while it is the one loaded; null when the
   * image carries none, a load over serial replaced it, or the firmware predates the field.
   */
  residentSha256: string | null;
}

export interface McuLoaded {
  programBytes: number;
  arenaBytes: number;
  tensorCount: number;
  opCount: number;
  inputBytes: number[];
  outputBytes: number[];
}

export interface McuTiming {
  runs: number;
  clockHz: number;
  totalTicks: bigint;
  minTicks: bigint;
  maxTicks: bigint;
}

function reader(payload: Uint8Array, what: string, need: number) {
  if (payload.byteLength < need) throw new CleaveError('WIRE_BAD_FRAME', `${what}: ${payload.byteLength}-byte payload, at least ${need} expected`);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return { u16: (at: number) => view.getUint16(at, true), u32: (at: number) => view.getUint32(at, true), u64: (at: number) => view.getBigUint64(at, true) };
}

/** The SHA-256 that names a Program resident in an image: the build embeds it, hello reports it. */
export function programSha256(program: Uint8Array): Buffer {
  return createHash('sha256').update(program).digest();
}

export function u32s(...values: number[]): Buffer {
  const out = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => out.writeUInt32LE(v >>> 0, 4 * i));
  return out;
}

export function decodeHelloAck(payload: Uint8Array, where: string): McuHello {
  const r = reader(payload, `${where}: hello-ack`, 38);
  const nameBytes = r.u16(36);
  const opsAt = 38 + nameBytes;
  if (payload.byteLength < opsAt + 2) throw new CleaveError('WIRE_BAD_FRAME', `${where}: hello-ack ends inside its board name`);
  const opCount = r.u16(opsAt);
  if (payload.byteLength < opsAt + 2 + 2 * opCount) throw new CleaveError('WIRE_BAD_FRAME', `${where}: hello-ack ends inside its op list`);
  // After the op list: a flag (1: the resident Program is loaded) and its SHA-256.
  const residentAt = opsAt + 2 + 2 * opCount;
  const resident = payload.byteLength >= residentAt + 33 && payload[residentAt] === 1;
  return {
    protocolVersion: r.u32(0), firmwareVersion: r.u32(4), programFormat: r.u32(8), arenaCapacity: r.u32(12),
    programCapacity: r.u32(16), maxPayload: r.u32(20), clockHz: r.u32(24), loadedProgramBytes: r.u32(28), loadedArenaBytes: r.u32(32),
    board: Buffer.from(payload.subarray(38, opsAt)).toString('utf8'),
    opcodes: Array.from({ length: opCount }, (_, i) => r.u16(opsAt + 2 + 2 * i)),
    residentSha256: resident ? Buffer.from(payload.subarray(residentAt + 1, residentAt + 33)).toString('hex') : null,
  };
}

export function decodeLoaded(payload: Uint8Array, where: string): McuLoaded {
  const r = reader(payload, `${where}: loaded`, 24);
  const inputs = r.u32(16), outputs = r.u32(20);
  reader(payload, `${where}: loaded`, 24 + 4 * (inputs + outputs));
  return {
    programBytes: r.u32(0), arenaBytes: r.u32(4), tensorCount: r.u32(8), opCount: r.u32(12),
    inputBytes: Array.from({ length: inputs }, (_, i) => r.u32(24 + 4 * i)),
    outputBytes: Array.from({ length: outputs }, (_, i) => r.u32(24 + 4 * (inputs + i))),
  };
}

export function decodeTiming(payload: Uint8Array, where: string): McuTiming {
  const r = reader(payload, `${where}: timing`, 32);
  return { runs: r.u32(0), clockHz: r.u32(4), totalTicks: r.u64(8), minTicks: r.u64(16), maxTicks: r.u64(24) };
}

export function decodeAck(payload: Uint8Array, where: string): number {
  return reader(payload, `${where}: ack`, 4).u32(0);
}
