// A flatbuffers ByteBuffer whose every read is bounds-checked. The generated accessors trust the
// offsets stored in the file; a damaged file would make them read past the end and silently yield
// undefined/NaN. Here any such read throws OutOfBounds with the offending byte offset instead.
import { ByteBuffer, Encoding } from 'flatbuffers';

export class OutOfBounds extends Error {
  constructor(
    readonly offset: number,
    readonly size: number,
    readonly capacity: number,
  ) {
    super(`read of ${size} bytes at byte offset ${offset} is outside the ${capacity}-byte file`);
  }
}

export class CheckedByteBuffer extends ByteBuffer {
  private check(offset: number, size: number): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + size > this.capacity()) {
      throw new OutOfBounds(offset, size, this.capacity());
    }
  }

  override readUint8(offset: number): number {
    this.check(offset, 1);
    return super.readUint8(offset);
  }

  override readUint16(offset: number): number {
    this.check(offset, 2);
    return super.readUint16(offset);
  }

  override readInt32(offset: number): number {
    this.check(offset, 4);
    return super.readInt32(offset);
  }

  override __string(offset: number, encoding?: Encoding): string | Uint8Array {
    const start = offset + this.readInt32(offset);
    const length = this.readInt32(start);
    this.check(start + 4, Math.max(length, 0));
    if (length < 0) throw new OutOfBounds(start, length, this.capacity());
    return super.__string(offset, encoding);
  }

  /** Checks that a vector of `length` elements of `elementSize` bytes at `start` fits in the file. */
  checkVector(start: number, length: number, elementSize: number): void {
    if (length < 0) throw new OutOfBounds(start, length, this.capacity());
    this.check(start, length * elementSize);
  }
}
