// The payloads of each frame type (docs/wire-protocol.md), little-endian, every length checked against
// the bytes that are there. Tensors travel as wire-codec payloads (src/codec: 44-byte header, CRCs).
import { timingSafeEqual, createHash } from 'node:crypto';
import { CleaveError, isErrorCode } from '../errors';

export const SHA256_BYTES = 32;

export interface Hello {
  version: number;
  /** The segment the client wants, and the SHA-256 of the Program it expects for it. */
  segment: number;
  programSha256: Buffer;
  token: string;
}

export interface HelloAck {
  version: number;
  segment: number;
  programSha256: Buffer;
  /** The largest payload the server accepts. */
  maxPayload: number;
  /** Requests the server computes at once; more wait in the socket (backpressure). */
  maxInFlight: number;
}

export interface WireError {
  /** A CleaveError code (WIRE_AUTH, WIRE_PROGRAM_MISMATCH, CODEC_PAYLOAD_CHECKSUM, ...). */
  code: string;
  message: string;
}

export interface Reply {
  /** Time the server's interpreter spent on the request. */
  computeMicros: number;
  tensors: Buffer[];
}

class Reader {
  private at = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (this.at + n > this.bytes.byteLength) {
      throw new CleaveError('WIRE_BAD_FRAME', `${this.what}: needs ${n} more bytes at offset ${this.at}, the payload has ${this.bytes.byteLength}`);
    }
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.at, true);
    this.at += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.at, true);
    this.at += 8;
    return v;
  }

  bytesOf(n: number): Buffer {
    this.need(n);
    const b = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.at, n);
    this.at += n;
    return b;
  }

  rest(): Buffer {
    return this.bytesOf(this.bytes.byteLength - this.at);
  }

  end(): void {
    if (this.at !== this.bytes.byteLength) {
      throw new CleaveError('WIRE_BAD_FRAME', `${this.what}: ${this.bytes.byteLength - this.at} unexpected bytes after offset ${this.at}`);
    }
  }
}

function checkSha(sha: Uint8Array): void {
  if (sha.byteLength !== SHA256_BYTES) throw new CleaveError('BAD_ARGUMENT', `a Program hash is ${SHA256_BYTES} bytes, got ${sha.byteLength}`);
}

export function encodeHello(h: Hello): Buffer {
  checkSha(h.programSha256);
  const token = Buffer.from(h.token, 'utf8');
  if (token.byteLength > 0xffff) throw new CleaveError('BAD_ARGUMENT', `the token is ${token.byteLength} bytes, at most 65535`);
  const out = Buffer.alloc(2 + 2 + 4 + SHA256_BYTES + 2 + token.byteLength);
  out.writeUInt16LE(h.version, 0);
  out.writeUInt32LE(h.segment, 4);
  h.programSha256.copy(out, 8);
  out.writeUInt16LE(token.byteLength, 8 + SHA256_BYTES);
  token.copy(out, 10 + SHA256_BYTES);
  return out;
}

export function decodeHello(payload: Uint8Array, where: string): Hello {
  const r = new Reader(payload, `${where}: hello`);
  const version = r.u16();
  r.u16();
  const segment = r.u32();
  const programSha256 = r.bytesOf(SHA256_BYTES);
  const token = r.bytesOf(r.u16()).toString('utf8');
  r.end();
  return { version, segment, programSha256, token };
}

export function encodeHelloAck(a: HelloAck): Buffer {
  checkSha(a.programSha256);
  const out = Buffer.alloc(2 + 2 + 4 + SHA256_BYTES + 4 + 4);
  out.writeUInt16LE(a.version, 0);
  out.writeUInt32LE(a.segment, 4);
  a.programSha256.copy(out, 8);
  out.writeUInt32LE(a.maxPayload, 8 + SHA256_BYTES);
  out.writeUInt32LE(a.maxInFlight, 12 + SHA256_BYTES);
  return out;
}

export function decodeHelloAck(payload: Uint8Array, where: string): HelloAck {
  const r = new Reader(payload, `${where}: hello-ack`);
  const version = r.u16();
  r.u16();
  const ack = { version, segment: r.u32(), programSha256: r.bytesOf(SHA256_BYTES), maxPayload: r.u32(), maxInFlight: r.u32() };
  r.end();
  return ack;
}

export function encodeError(e: WireError): Buffer {
  const code = Buffer.from(e.code, 'utf8');
  const message = Buffer.from(e.message, 'utf8');
  const out = Buffer.alloc(2 + code.byteLength + message.byteLength);
  out.writeUInt16LE(code.byteLength, 0);
  code.copy(out, 2);
  message.copy(out, 2 + code.byteLength);
  return out;
}

export function decodeError(payload: Uint8Array, where: string): WireError {
  const r = new Reader(payload, `${where}: error frame`);
  const code = r.bytesOf(r.u16()).toString('utf8');
  return { code, message: r.rest().toString('utf8') };
}

/** The CleaveError an error frame stands for: its code where this cleave knows it, WIRE_REMOTE_ERROR otherwise. */
export function errorFromFrame(e: WireError, context: string): CleaveError {
  return isErrorCode(e.code) ? new CleaveError(e.code, `${context}${e.message}`) : new CleaveError('WIRE_REMOTE_ERROR', `${context}${e.code}: ${e.message}`);
}

/** A request's payload (after `prefixBytes` left for the caller): the count of tensors, then each as a u32 length and a wire-codec payload. */
export function encodeTensors(tensors: readonly Uint8Array[], prefixBytes = 0): Buffer {
  const total = prefixBytes + 4 + tensors.reduce((n, t) => n + 4 + t.byteLength, 0);
  const bytes = Buffer.allocUnsafe(total);
  let at = prefixBytes;
  bytes.writeUInt32LE(tensors.length, at);
  at += 4;
  for (const t of tensors) {
    bytes.writeUInt32LE(t.byteLength, at);
    bytes.set(t, at + 4);
    at += 4 + t.byteLength;
  }
  return bytes;
}

function readTensors(r: Reader): Buffer[] {
  const count = r.u32();
  const tensors: Buffer[] = [];
  // Each tensor needs at least its 4-byte length, so `count` cannot make this loop outrun the bytes.
  for (let i = 0; i < count; i++) tensors.push(r.bytesOf(r.u32()));
  r.end();
  return tensors;
}

export function decodeTensors(payload: Uint8Array, where: string): Buffer[] {
  return readTensors(new Reader(payload, `${where}: request`));
}

/** A reply's payload: the server's compute time (f64 microseconds), then the tensors as in a request. */
export function encodeReply(reply: Reply): Buffer {
  const bytes = encodeTensors(reply.tensors, 8);
  bytes.writeDoubleLE(reply.computeMicros, 0);
  return bytes;
}

export function decodeReply(payload: Uint8Array, where: string): Reply {
  const r = new Reader(payload, `${where}: reply`);
  const computeMicros = r.f64();
  return { computeMicros, tensors: readTensors(r) };
}

/** SHA-256 of a Program's bytes: what a hello names and a hello-ack confirms. */
export function programSha256(program: Uint8Array): Buffer {
  return createHash('sha256').update(program).digest();
}

/** Compares two tokens in time independent of where they differ (hashes first, so lengths leak nothing). */
export function tokensEqual(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
