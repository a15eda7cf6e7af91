// Frames over a line that can lose, add or flip bytes (a UART): each frame is COBS-encoded (no zero
// byte inside) and sent between two 0x00 delimiters. The receiver cuts packets at zeros, decodes them
// and checks the frame CRC; a packet that fails any check is dropped and counted, and the next zero
// starts afresh, so the stream resynchronizes after garbage. Garbage sent between frames ends up in a
// packet of its own thanks to the leading delimiter.
import { CleaveError } from '../errors';
import { type Frame, frameBytes, HEADER_BYTES, readFrame, TRAILER_BYTES } from './frame';

/** COBS (Cheshire & Baker, 1999): replaces every zero by the distance to the next one. */
export function cobsEncode(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(data.byteLength + Math.ceil(data.byteLength / 254) + 1);
  let codeAt = 0;
  let at = 1;
  let code = 1;
  for (let i = 0; i < data.byteLength; i++) {
    const b = data[i]!;
    if (b !== 0) {
      out[at++] = b;
      code++;
    }
    if (b === 0 || code === 0xff) {
      out[codeAt] = code;
      codeAt = at++;
      code = 1;
    }
  }
  out[codeAt] = code;
  return out.subarray(0, at);
}

/** Decodes one packet (without delimiters); null when it is not valid COBS. */
export function cobsDecode(packet: Uint8Array): Buffer | null {
  const out = Buffer.allocUnsafe(packet.byteLength);
  let at = 0;
  let i = 0;
  while (i < packet.byteLength) {
    const code = packet[i++]!;
    if (code === 0 || i + code - 1 > packet.byteLength) return null;
    for (let k = 1; k < code; k++) out[at++] = packet[i++]!;
    if (code !== 0xff && i < packet.byteLength) out[at++] = 0;
  }
  return out.subarray(0, at);
}

/** A frame as it goes on the line: 0x00, COBS(frame), 0x00. */
export function cobsFrameBytes(frame: Frame): Buffer {
  const encoded = cobsEncode(frameBytes(frame));
  const out = Buffer.allocUnsafe(encoded.byteLength + 2);
  out[0] = 0;
  encoded.copy(out, 1);
  out[out.byteLength - 1] = 0;
  return out;
}

export interface CobsPushResult {
  frames: Frame[];
  /** Why each dropped packet was dropped (bad COBS, bad CRC, too large, ...), in order. */
  dropped: CleaveError[];
}

export class CobsFrameParser {
  private packet: Buffer;
  private length = 0;
  /** True while skipping an oversized packet up to its closing delimiter. */
  private skipping = false;
  private readonly maxPacket: number;

  constructor(
    private readonly maxPayload: number,
    private readonly where: string,
  ) {
    const maxFrame = HEADER_BYTES + maxPayload + TRAILER_BYTES;
    this.maxPacket = maxFrame + Math.ceil(maxFrame / 254) + 1;
    // Grown on demand up to maxPacket, so a large limit costs nothing until large frames arrive.
    this.packet = Buffer.allocUnsafe(Math.min(this.maxPacket, 4096));
  }

  push(chunk: Uint8Array): CobsPushResult {
    const result: CobsPushResult = { frames: [], dropped: [] };
    let start = 0;
    for (let i = 0; i <= chunk.byteLength; i++) {
      if (i < chunk.byteLength && chunk[i] !== 0) continue;
      this.append(chunk.subarray(start, i), result);
      start = i + 1;
      if (i < chunk.byteLength) this.endPacket(result);
    }
    return result;
  }

  private append(bytes: Uint8Array, result: CobsPushResult): void {
    if (this.skipping || bytes.byteLength === 0) return;
    const need = this.length + bytes.byteLength;
    if (need > this.maxPacket) {
      result.dropped.push(new CleaveError('WIRE_FRAME_TOO_LARGE', `${this.where}: packet longer than ${this.maxPacket} bytes without a delimiter, skipped to the next one`));
      this.skipping = true;
      this.length = 0;
      return;
    }
    if (need > this.packet.byteLength) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxPacket, Math.max(need, 2 * this.packet.byteLength)));
      this.packet.copy(grown, 0, 0, this.length);
      this.packet = grown;
    }
    this.packet.set(bytes, this.length);
    this.length = need;
  }

  private endPacket(result: CobsPushResult): void {
    const length = this.length;
    const skipped = this.skipping;
    this.length = 0;
    this.skipping = false;
    if (skipped || length === 0) return;
    const decoded = cobsDecode(this.packet.subarray(0, length));
    if (!decoded) {
      result.dropped.push(new CleaveError('WIRE_BAD_FRAME', `${this.where}: a ${length}-byte packet is not valid COBS, dropped`));
      return;
    }
    try {
      // `decoded` is a fresh buffer, so the frame outlives the packet buffer reused for the next packet.
      result.frames.push(readFrame(decoded, this.maxPayload, this.where));
    } catch (err) {
      result.dropped.push(err as CleaveError);
    }
  }
}
