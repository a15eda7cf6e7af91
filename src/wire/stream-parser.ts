// Frames out of a byte stream (TCP, TLS) cut into chunks anyhow: bytes in, whole checked frames out,
// as node-serialport's parsers turn bytes into packets. It holds the chunks it has until a frame is
// complete and allocates a frame only after its header passed the size check. A byte stream cannot
// be resynchronized (there is no delimiter), so the first bad frame ends the parser: it throws, and the
// transport closes the connection with that error.
import { CleaveError } from '../errors';
import { type Frame, HEADER_BYTES, readFrame, readHeader, TRAILER_BYTES } from './frame';

export class StreamFrameParser {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Total bytes of the frame being assembled, known once its header is in; 0 before. */
  private frameBytes = 0;
  private failed: CleaveError | null = null;

  constructor(
    private readonly maxPayload: number,
    /** The peer, named in errors. */
    private readonly where: string,
  ) {}

  /** Bytes held waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Takes the next chunk; returns the frames it completed, in order. Throws on the first bad frame. */
  push(chunk: Uint8Array): Frame[] {
    if (this.failed) throw this.failed;
    if (chunk.byteLength > 0) {
      this.chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.buffered += chunk.byteLength;
    }
    const frames: Frame[] = [];
    try {
      for (;;) {
        if (this.frameBytes === 0) {
          if (this.buffered < HEADER_BYTES) break;
          const header = readHeader(this.peek(HEADER_BYTES), this.maxPayload, this.where);
          this.frameBytes = HEADER_BYTES + header.payloadBytes + TRAILER_BYTES;
        }
        if (this.buffered < this.frameBytes) break;
        frames.push(readFrame(this.take(this.frameBytes), this.maxPayload, this.where));
        this.frameBytes = 0;
      }
    } catch (err) {
      this.failed = err instanceof CleaveError ? err : new CleaveError('WIRE_BAD_FRAME', `${this.where}: ${(err as Error).message}`);
      this.chunks = [];
      this.buffered = 0;
      throw this.failed;
    }
    return frames;
  }

  /** The first `n` buffered bytes, copied only when they span chunks. */
  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.byteLength >= n) return first.subarray(0, n);
    return Buffer.concat(this.chunks, n);
  }

  /** Removes and returns the first `n` buffered bytes (a view when one chunk holds them). */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.byteLength >= n) {
      out = first.subarray(0, n);
      if (first.byteLength === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const c = this.chunks[0]!;
        const used = Math.min(c.byteLength, n - at);
        c.copy(out, at, 0, used);
        at += used;
        if (used === c.byteLength) this.chunks.shift();
        else this.chunks[0] = c.subarray(used);
      }
    }
    this.buffered -= n;
    return out;
  }
}
