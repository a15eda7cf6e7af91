// A cleave board over its serial line: the host side of the MCU protocol (docs/mcu-protocol.md).
// One request at a time; each is sent again (same sequence number, RETRY flag) when the firmware says
// it dropped a damaged frame, when a reply arrives damaged, or when no reply comes in time. The
// firmware answers a repeated request without doing it twice (a chunk it has, a run it did), so a
// retry never changes the result; a reply is accepted only whole and CRC-checked.
import { crc32 } from '../compile/crc32';
import { readProgramLayout, readProgramTables } from '../compile/program';
import { CleaveError } from '../errors';
import { connectSerial } from '../transport/serial';
import type { Connection } from '../transport/connection';
import { cobsFrameBytes } from '../wire/cobs';
import { FLAG_RETRY, type Frame, FrameType } from '../wire/frame';
import { decodeError, errorFromFrame } from '../wire/messages';
import { decodeAck, decodeHelloAck, decodeLoaded, decodeTiming, MCU_FIRMWARE_VERSION, MCU_PROTOCOL_VERSION, type McuHello, type McuLoaded, type McuTiming, programSha256, u32s } from './protocol';

/** Data bytes per load chunk, set-input and read-output frame (the firmware takes 4 KiB + fields). */
export const MCU_CHUNK_BYTES = 4096;

/**
 * Sends of one request because the firmware dropped a damaged frame: garbage on the line makes it
 * report drops that may not be ours, so they get a budget of their own, beyond the timeout retries.
 */
const MAX_DROP_RESENDS = 16;

export interface McuDeviceOptions {
  /**
   * How long one request waits for its reply before it is sent again: `timeoutMs` (default 3000)
   * plus `msPerByte` (default 2) for every byte the request and its reply carry, doubled after each
   * timeout. A line's byte time must fit (QEMU's emulated UART takes 0.05-2 ms per byte, depending
   * on how busy the host is): a copy sent before the first got through only lengthens the queue.
   */
  timeoutMs?: number;
  msPerByte?: number;
  /** Sends after the first, per request (default 3). */
  retries?: number;
  /** The firmware version to accept (default: the one this cleave builds). */
  firmwareVersion?: number;
}

export interface McuLoadResult extends McuLoaded {
  /** From load-begin to the firmware's answer to load-end. */
  loadMs: number;
  /** Loads started again because the board was reset in the middle of one. */
  restarts: number;
  /** Frames sent again (dropped or unanswered) during the load. */
  resends: number;
  /** True when the board already ran this Program from its image (`cleave flash --program`): nothing was sent. */
  resident: boolean;
}

interface Pending {
  frame: Frame;
  expect: FrameType;
  /** Sends after a timeout count against `retries`; sends because a frame was dropped against MAX_DROP_RESENDS. */
  sends: number;
  dropResends: number;
  timer?: NodeJS.Timeout;
  timeoutMs: number;
  resolve: (f: Frame) => void;
  reject: (e: CleaveError) => void;
}

export class McuDevice {
  private seq = 0;
  private pending: Pending | null = null;
  private readonly stream = (Math.random() * 0xffffffff) >>> 0;
  private readonly timeoutMs: number;
  private readonly msPerByte: number;
  private readonly retries: number;
  private readonly firmwareVersion: number;
  /** Requests sent again since the device was opened. */
  resends = 0;
  /**
   * Bytes of whole frames on the serial line since the device was opened, as the MCU protocol frames
   * them (0x00, COBS, 0x00): every send (resends included) and every frame received.
   */
  bytesSent = 0;
  bytesReceived = 0;
  helloInfo: McuHello | null = null;
  loaded: McuLoaded | null = null;

  constructor(
    private readonly connection: Connection,
    options: McuDeviceOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.msPerByte = options.msPerByte ?? 2;
    this.retries = options.retries ?? 3;
    this.firmwareVersion = options.firmwareVersion ?? MCU_FIRMWARE_VERSION;
    connection.on('frame', (f) => this.onFrame(f));
    // A reply damaged on the way (its CRC fails): ask again at once rather than waiting for the
    // timeout. Packets that are not frames at all (text, garbage) are left to the timeout.
    connection.on('dropped', (err) => {
      if (err.code === 'WIRE_CHECKSUM') this.resendDropped();
    });
    connection.on('error', (err) => this.fail(err));
    connection.on('close', () => this.fail(new CleaveError('WIRE_CLOSED', `${this.peer}: the serial line closed`)));
  }

  static async open(path: string, baudRate: number, options: McuDeviceOptions = {}): Promise<McuDevice> {
    // Room for the largest reply plus its fields; the firmware's own limit is in its hello.
    return new McuDevice(await connectSerial({ path, baudRate }, { maxPayload: MCU_CHUNK_BYTES + 256 }), options);
  }

  get peer(): string {
    return this.connection.peer;
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  private onFrame(f: Frame): void {
    this.bytesReceived += cobsFrameBytes(f).byteLength;
    const p = this.pending;
    if (f.type === FrameType.Error && f.seq === 0) {
      // The firmware dropped a damaged packet: if it was our request, send it again now.
      if (p && decodeError(f.payload, this.peer).code === 'MCU_FRAME_DROPPED') this.resendDropped();
      return;
    }
    if (!p || f.seq !== p.frame.seq) return; // a late copy of an answered request
    this.settle();
    if (f.type === FrameType.Error) p.reject(errorFromFrame(decodeError(f.payload, this.peer), `${this.peer}: `));
    else if (f.type !== p.expect) p.reject(new CleaveError('WIRE_UNEXPECTED_FRAME', `${this.peer}: answered ${FrameType[p.frame.type]} with ${FrameType[f.type] ?? f.type}, expected ${FrameType[p.expect]}`));
    else p.resolve(f);
  }

  private settle(): void {
    if (this.pending?.timer) clearTimeout(this.pending.timer);
    this.pending = null;
  }

  private fail(err: CleaveError): void {
    const p = this.pending;
    if (!p) return;
    this.settle();
    p.reject(err);
  }

  private send(p: Pending, afterTimeout = false): void {
    if (afterTimeout) {
      p.timeoutMs *= 2;
      p.sends++;
    }
    if (p.sends > this.retries) {
      this.settle();
      p.reject(new CleaveError('MCU_NO_ANSWER', `${this.peer}: no answer to ${FrameType[p.frame.type]} after ${1 + p.sends + p.dropResends} sends (waiting up to ${Math.round(p.timeoutMs / 2)} ms for the last)`));
      return;
    }
    if (p.timer) clearTimeout(p.timer);
    const again = p.sends + p.dropResends > 0;
    const frame = again ? { ...p.frame, flags: p.frame.flags | FLAG_RETRY } : p.frame;
    if (again) this.resends++;
    p.timer = setTimeout(() => this.send(p, true), p.timeoutMs);
    try {
      this.connection.send(frame);
      this.bytesSent += cobsFrameBytes(frame).byteLength;
    } catch (err) {
      this.fail(err as CleaveError);
    }
  }

  private resendDropped(): void {
    const p = this.pending;
    if (!p || p.dropResends >= MAX_DROP_RESENDS) return;
    p.dropResends++;
    this.send(p);
  }

  /**
   * Sends one request and waits for its answer of type `expect` (an error frame rejects); `replyBytes`
   * is the payload expected back, for the timeout.
   */
  request(type: FrameType, payload: Uint8Array, expect: FrameType, replyBytes = 64, extraMs = 0): Promise<Frame> {
    const timeoutMs = this.timeoutMs + extraMs + this.msPerByte * (payload.byteLength + replyBytes);
    if (this.pending) throw new CleaveError('INTERNAL', `${this.peer}: a request is already in flight`);
    this.seq = (this.seq % 0xfffffffe) + 1;
    return new Promise((resolve, reject) => {
      this.pending = { frame: { type, flags: 0, stream: this.stream, seq: this.seq, payload }, expect, sends: 0, dropResends: 0, timeoutMs, resolve, reject };
      this.send(this.pending);
    });
  }

  /** Asks the firmware what it is; refuses one of another protocol or firmware version. */
  async hello(): Promise<McuHello> {
    const reply = await this.request(FrameType.McuHello, u32s(MCU_PROTOCOL_VERSION), FrameType.McuHelloAck);
    const hello = decodeHelloAck(reply.payload, this.peer);
    if (hello.protocolVersion !== MCU_PROTOCOL_VERSION || hello.firmwareVersion !== this.firmwareVersion) {
      throw new CleaveError('MCU_FIRMWARE_VERSION', `${this.peer}: the board runs cleave firmware ${hello.firmwareVersion} (MCU protocol ${hello.protocolVersion}), this cleave expects firmware ${this.firmwareVersion} (protocol ${MCU_PROTOCOL_VERSION}): rebuild and flash the firmware`);
    }
    this.helloInfo = hello;
    return hello;
  }

  /**
   * Checks that a Program fits the firmware's buffers (before sending a byte), sends it in CRC-checked
   * chunks and has the firmware load it. A board reset in the middle of the load is noticed (the
   * firmware no longer knows the load) and the load starts again once from hello. A board whose
   * image carries this very Program (same SHA-256, still loaded) is not sent it again.
   */
  async load(program: Uint8Array, source: string): Promise<McuLoadResult> {
    const layout = readProgramLayout(program, source);
    const started = performance.now();
    const resendsBefore = this.resends;
    for (let restarts = 0; ; restarts++) {
      const hello = await this.hello();
      if (hello.residentSha256 !== null && hello.residentSha256 === programSha256(program).toString('hex')) {
        const tables = readProgramTables(program, source);
        const bytesOf = (ids: number[]) => ids.map((id) => tables.tensors[id]!.byteLength);
        this.loaded = {
          programBytes: program.byteLength, arenaBytes: layout.arenaBytes, tensorCount: layout.tensorCount, opCount: layout.opCount,
          inputBytes: bytesOf(tables.inputs), outputBytes: bytesOf(tables.outputs),
        };
        return { ...this.loaded, loadMs: performance.now() - started, restarts, resends: this.resends - resendsBefore, resident: true };
      }
      if (layout.version > hello.programFormat) {
        throw new CleaveError('PROGRAM_VERSION', `${source}: Program format ${layout.version}, the firmware on ${this.peer} reads up to ${hello.programFormat}`);
      }
      if (program.byteLength > hello.programCapacity || layout.arenaBytes > hello.arenaCapacity) {
        throw new CleaveError('MCU_DOES_NOT_FIT', `${source}: ${program.byteLength} Program bytes and a ${layout.arenaBytes}-byte arena; the firmware on ${this.peer} (${hello.board}) holds ${hello.programCapacity} Program bytes and a ${hello.arenaCapacity}-byte arena`);
      }
      try {
        const loaded = await this.sendProgram(program);
        this.loaded = loaded;
        return { ...loaded, loadMs: performance.now() - started, restarts, resends: this.resends - resendsBefore, resident: false };
      } catch (err) {
        if (!(err instanceof CleaveError) || err.code !== 'MCU_NOT_LOADING' || restarts >= 1) throw err;
      }
    }
  }

  private async sendProgram(program: Uint8Array): Promise<McuLoaded> {
    await this.request(FrameType.McuLoadBegin, u32s(program.byteLength, crc32(program)), FrameType.McuAck);
    for (let offset = 0; offset < program.byteLength; offset += MCU_CHUNK_BYTES) {
      const chunk = program.subarray(offset, offset + MCU_CHUNK_BYTES);
      const ack = await this.request(FrameType.McuLoadChunk, Buffer.concat([u32s(offset), chunk]), FrameType.McuAck);
      const next = decodeAck(ack.payload, this.peer);
      if (next !== offset + chunk.byteLength) {
        throw new CleaveError('MCU_BAD_REQUEST', `${this.peer}: the firmware acknowledged ${next} Program bytes after the chunk ending at ${offset + chunk.byteLength}`);
      }
    }
    const reply = await this.request(FrameType.McuLoadEnd, new Uint8Array(0), FrameType.McuLoaded);
    return decodeLoaded(reply.payload, this.peer);
  }

  async setInput(index: number, bytes: Uint8Array): Promise<void> {
    for (let offset = 0; offset < bytes.byteLength || offset === 0; offset += MCU_CHUNK_BYTES) {
      await this.request(FrameType.McuSetInput, Buffer.concat([u32s(index, offset), bytes.subarray(offset, offset + MCU_CHUNK_BYTES)]), FrameType.McuAck);
      if (bytes.byteLength === 0) break;
    }
  }

  /** Runs the loaded Program `count` times; `timeoutMs` bounds the whole batch (default 120 s). */
  async run(count = 1, timeoutMs = 120_000): Promise<McuTiming> {
    const reply = await this.request(FrameType.McuRun, u32s(count), FrameType.McuTiming, 64, timeoutMs);
    return decodeTiming(reply.payload, this.peer);
  }

  async readOutput(index: number, byteLength: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let offset = 0; offset < byteLength; offset += MCU_CHUNK_BYTES) {
      const size = Math.min(MCU_CHUNK_BYTES, byteLength - offset);
      const reply = await this.request(FrameType.McuReadOutput, u32s(index, offset, size), FrameType.McuOutput, size + 64);
      const data = reply.payload.subarray(8);
      if (data.byteLength !== size) throw new CleaveError('WIRE_BAD_REPLY', `${this.peer}: output ${index} at ${offset}: ${data.byteLength} bytes, asked for ${size}`);
      parts.push(Buffer.from(data));
    }
    return Buffer.concat(parts);
  }

  async timing(): Promise<McuTiming> {
    return decodeTiming((await this.request(FrameType.McuReadTiming, new Uint8Array(0), FrameType.McuTiming)).payload, this.peer);
  }
}

/** Emulated instructions of `ticks` SysTick ticks: with QEMU -icount shift=0 one instruction is 1 ns. */
export function ticksToInstructions(ticks: bigint, clockHz: number): number {
  return Number(ticks) * (1e9 / clockHz);
}

export function ticksToMicroseconds(ticks: bigint, clockHz: number): number {
  return (Number(ticks) * 1e6) / clockHz;
}
