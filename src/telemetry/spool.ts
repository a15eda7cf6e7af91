// A bounded on-disk spool: records wait here until a sink (the MQTT broker) confirms them.
//
// Layout (docs/telemetry.md, "Spool"): a directory of append-only segment files named by a 16-digit
// index, `0000000000000001.seg`, each a run of frames [u32 LE length][u32 LE CRC-32 of payload]
// [payload], and a 16-byte `cursor` file [u32 segment low][u32 segment high][u32 offset][u32 CRC-32
// of those 12 bytes]: the position after the last delivered record.
//
// Durability: each frame is one write(2), so a process killed at any point (kill -9) leaves every
// appended frame in the page cache, whole; the default fsync policy ('interval') calls fdatasync at
// most once per interval (1 s) and when a segment is closed, bounding what a power loss can take.
// A frame torn by a power loss fails its length or CRC check: at the end of the newest segment it
// is cut off when the spool is opened; inside an older segment the rest of that segment is skipped.
// Both are counted (`corrupt`). A damaged cursor restarts delivery at the oldest segment: records
// may then arrive twice, never not at all.
//
// Bound: when the segments exceed maxBytes the oldest segment is deleted, delivered or not; the
// undelivered records it held are counted in `takeDropped()`, which the next summary reports.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from '../compile/crc32';
import { CleaveError } from '../errors';

export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface SpoolOptions {
  /** Total bytes of all segments before the oldest is dropped (default 64 MiB). */
  maxBytes?: number;
  /** A segment is closed and a new one started past this size (default 4 MiB). */
  segmentBytes?: number;
  /** 'interval' (default): fdatasync every fsyncIntervalMs and at segment close; 'always': after every append; 'never': leave it to the kernel. */
  fsync?: FsyncPolicy;
  fsyncIntervalMs?: number;
}

/** Where a spooled record ends: acknowledging it delivers it and every record before it. */
export interface SpoolPosition {
  segment: number;
  offset: number;
}

export interface SpoolEntry {
  payload: Buffer;
  end: SpoolPosition;
}

const FRAME_HEADER = 8;
/** A length above this is a torn or garbage header, not a record. */
export const MAX_RECORD_BYTES = 1 << 20;
const SEGMENT_NAME = /^(\d{16})\.seg$/;

function segmentName(index: number): string {
  return `${String(index).padStart(16, '0')}.seg`;
}

export class Spool {
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly fsyncPolicy: FsyncPolicy;
  /** Segment index -> its size in bytes, oldest first. */
  private segments = new Map<number, number>();
  private writeFd = -1;
  private writeSegment = 0;
  private readFd = -1;
  private readFdSegment = -1;
  private read: SpoolPosition;
  private acked: SpoolPosition;
  private cursorFd: number;
  private dirty = false;
  private fsyncTimer: NodeJS.Timeout | undefined;
  private dropped = 0;
  private pendingCount = 0;
  /** Sum of the segment sizes. */
  private totalBytes = 0;
  /** Frames found torn or corrupt (cut off or skipped). */
  corrupt = 0;

  private constructor(readonly dir: string, options: SpoolOptions) {
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024;
    this.fsyncPolicy = options.fsync ?? 'interval';
    if (!(this.segmentBytes > FRAME_HEADER && this.maxBytes >= this.segmentBytes)) {
      throw new CleaveError('BAD_ARGUMENT', `spool ${dir}: need maxBytes (${this.maxBytes}) >= segmentBytes (${this.segmentBytes}) > ${FRAME_HEADER}`);
    }
    for (const name of fs.readdirSync(dir).sort()) {
      const m = SEGMENT_NAME.exec(name);
      if (m) this.segments.set(Number(m[1]), fs.statSync(path.join(dir, name)).size);
    }
    if (this.segments.size === 0) this.segments.set(1, 0);
    const newest = Math.max(...this.segments.keys());
    this.segments.set(newest, this.cutTornTail(newest));
    for (const size of this.segments.values()) this.totalBytes += size;
    this.writeSegment = newest;
    this.writeFd = fs.openSync(this.segmentPath(newest), 'a');
    this.cursorFd = fs.openSync(path.join(dir, 'cursor'), fs.existsSync(path.join(dir, 'cursor')) ? 'r+' : 'w+');
    this.acked = this.readCursor();
    this.read = { ...this.acked };
    this.pendingCount = this.countFrom(this.acked);
    if (this.fsyncPolicy === 'interval') {
      this.fsyncTimer = setInterval(() => this.sync(), options.fsyncIntervalMs ?? 1000);
      this.fsyncTimer.unref();
    }
  }

  /** Opens (creating it if needed) the spool in `dir`. */
  static open(dir: string, options: SpoolOptions = {}): Spool {
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new CleaveError('WRITE_FAILED', `spool ${dir}: cannot create the directory: ${(err as Error).message}`);
    }
    return new Spool(dir, options);
  }

  /** Records appended and not yet acknowledged (read or not). */
  get pending(): number {
    return this.pendingCount;
  }

  /** Undelivered records dropped because the spool was full, since the last call. */
  takeDropped(): number {
    const n = this.dropped;
    this.dropped = 0;
    return n;
  }

  append(payload: Buffer): void {
    if (payload.length > MAX_RECORD_BYTES) throw new CleaveError('BAD_ARGUMENT', `spool ${this.dir}: a record of ${payload.length} bytes, at most ${MAX_RECORD_BYTES}`);
    const frame = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
    frame.writeUInt32LE(payload.length, 0);
    frame.writeUInt32LE(crc32(payload), 4);
    payload.copy(frame, FRAME_HEADER);
    let size = this.segments.get(this.writeSegment)!;
    if (size > 0 && size + frame.length > this.segmentBytes) {
      this.rollSegment();
      size = 0;
    }
    fs.writeSync(this.writeFd, frame);
    this.segments.set(this.writeSegment, size + frame.length);
    this.totalBytes += frame.length;
    this.pendingCount++;
    if (this.fsyncPolicy === 'always') fs.fdatasyncSync(this.writeFd);
    else this.dirty = true;
    this.dropOldestWhileFull();
  }

  /** The next record not yet read (it stays pending until acknowledged), or null. */
  next(): SpoolEntry | null {
    for (;;) {
      const size = this.segments.get(this.read.segment);
      if (size === undefined) return null;
      if (this.read.offset + FRAME_HEADER <= size) {
        const fd = this.readFdFor(this.read.segment);
        const header = Buffer.alloc(FRAME_HEADER);
        fs.readSync(fd, header, 0, FRAME_HEADER, this.read.offset);
        const length = header.readUInt32LE(0);
        const start = this.read.offset + FRAME_HEADER;
        if (length <= MAX_RECORD_BYTES && start + length <= size) {
          const payload = Buffer.alloc(length);
          fs.readSync(fd, payload, 0, length, start);
          if (crc32(payload) === header.readUInt32LE(4)) {
            this.read = { segment: this.read.segment, offset: start + length };
            return { payload, end: { ...this.read } };
          }
        }
        // Only an older segment can hold a bad frame (the newest was cut at open): skip its rest.
        this.corrupt++;
      }
      if (this.read.segment === this.writeSegment) return null;
      this.read = { segment: this.nextSegmentAfter(this.read.segment), offset: 0 };
    }
  }

  /** Delivers the record ending at `end` (the oldest pending one): it will not be read again. */
  ack(end: SpoolPosition): void {
    if (end.segment < this.acked.segment || (end.segment === this.acked.segment && end.offset <= this.acked.offset)) return;
    this.acked = { ...end };
    this.pendingCount = Math.max(0, this.pendingCount - 1);
    this.writeCursor();
    for (const index of [...this.segments.keys()]) {
      if (index < end.segment) this.deleteSegment(index);
    }
  }

  /** fdatasync what was written since the last sync. */
  sync(): void {
    if (!this.dirty) return;
    fs.fdatasyncSync(this.writeFd);
    fs.fdatasyncSync(this.cursorFd);
    this.dirty = false;
  }

  close(): void {
    clearInterval(this.fsyncTimer);
    if (this.fsyncPolicy !== 'never') this.sync();
    fs.closeSync(this.writeFd);
    fs.closeSync(this.cursorFd);
    if (this.readFd >= 0) fs.closeSync(this.readFd);
  }

  private segmentPath(index: number): string {
    return path.join(this.dir, segmentName(index));
  }

  private readFdFor(index: number): number {
    if (this.readFdSegment !== index) {
      if (this.readFd >= 0) fs.closeSync(this.readFd);
      this.readFd = fs.openSync(this.segmentPath(index), 'r');
      this.readFdSegment = index;
    }
    return this.readFd;
  }

  private nextSegmentAfter(index: number): number {
    let next = Infinity;
    for (const i of this.segments.keys()) if (i > index && i < next) next = i;
    return next;
  }

  private rollSegment(): void {
    if (this.fsyncPolicy !== 'never') fs.fdatasyncSync(this.writeFd);
    fs.closeSync(this.writeFd);
    this.writeSegment++;
    this.writeFd = fs.openSync(this.segmentPath(this.writeSegment), 'a');
    this.segments.set(this.writeSegment, 0);
  }

  private dropOldestWhileFull(): void {
    while (this.totalBytes > this.maxBytes && this.segments.size > 1) {
      const oldest = Math.min(...this.segments.keys());
      const from = this.acked.segment === oldest ? this.acked.offset : this.acked.segment > oldest ? Infinity : 0;
      const lost = Number.isFinite(from) ? this.countFrames(oldest, from) : 0;
      this.dropped += lost;
      this.pendingCount -= lost;
      this.deleteSegment(oldest);
      const next = this.nextSegmentAfter(oldest);
      if (this.acked.segment <= oldest) {
        this.acked = { segment: next, offset: 0 };
        this.writeCursor();
      }
      if (this.read.segment <= oldest) this.read = { segment: next, offset: 0 };
    }
  }

  private deleteSegment(index: number): void {
    if (index === this.writeSegment) return;
    if (this.readFdSegment === index) {
      fs.closeSync(this.readFd);
      this.readFd = -1;
      this.readFdSegment = -1;
    }
    fs.rmSync(this.segmentPath(index), { force: true });
    this.totalBytes -= this.segments.get(index) ?? 0;
    this.segments.delete(index);
  }

  /** Good frames of a segment from `offset` (stops at the first bad one). */
  private countFrames(index: number, offset: number): number {
    return this.scan(index, offset).frames;
  }

  private countFrom(pos: SpoolPosition): number {
    let n = 0;
    for (const index of this.segments.keys()) {
      if (index > pos.segment) n += this.countFrames(index, 0);
      else if (index === pos.segment) n += this.countFrames(index, pos.offset);
    }
    return n;
  }

  /** Walks the frames of a segment: how many are good from `offset`, and where the good ones end. */
  private scan(index: number, offset: number): { frames: number; end: number } {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(this.segmentPath(index));
    } catch {
      return { frames: 0, end: 0 };
    }
    let frames = 0;
    let at = offset;
    while (at + FRAME_HEADER <= bytes.length) {
      const length = bytes.readUInt32LE(at);
      const start = at + FRAME_HEADER;
      if (length > MAX_RECORD_BYTES || start + length > bytes.length) break;
      if (crc32(bytes.subarray(start, start + length)) !== bytes.readUInt32LE(at + 4)) break;
      at = start + length;
      frames++;
    }
    return { frames, end: at };
  }

  /** Cuts a torn last frame off the newest segment; returns its good size. */
  private cutTornTail(index: number): number {
    const file = this.segmentPath(index);
    const size = fs.existsSync(file) ? fs.statSync(file).size : 0;
    const { end } = this.scan(index, 0);
    if (end < size) {
      fs.truncateSync(file, end);
      this.corrupt++;
    }
    return end;
  }

  private readCursor(): SpoolPosition {
    const oldest = { segment: Math.min(...this.segments.keys()), offset: 0 };
    const bytes = Buffer.alloc(16);
    const n = fs.readSync(this.cursorFd, bytes, 0, 16, 0);
    if (n < 16 || crc32(bytes.subarray(0, 12)) !== bytes.readUInt32LE(12)) return oldest;
    const pos = { segment: bytes.readUInt32LE(0) + bytes.readUInt32LE(4) * 2 ** 32, offset: bytes.readUInt32LE(8) };
    const size = this.segments.get(pos.segment);
    // A cursor into a deleted segment or past a segment's good end: start from the oldest there is.
    if (size === undefined || pos.offset > size) return pos.segment < oldest.segment || size === undefined ? oldest : { segment: pos.segment, offset: 0 };
    return pos;
  }

  private writeCursor(): void {
    const bytes = Buffer.alloc(16);
    bytes.writeUInt32LE(this.acked.segment % 2 ** 32, 0);
    bytes.writeUInt32LE(Math.floor(this.acked.segment / 2 ** 32), 4);
    bytes.writeUInt32LE(this.acked.offset, 8);
    bytes.writeUInt32LE(crc32(bytes.subarray(0, 12)), 12);
    fs.writeSync(this.cursorFd, bytes, 0, 16, 0);
    this.dirty = true;
  }
}
