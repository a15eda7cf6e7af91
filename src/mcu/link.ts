// A plan segment run on cleave firmware (`--remote K=mcu:PATH[@BAUD]` or `K=mcu:qemu:BOARD`): the
// segment's Program is loaded once when the pipeline opens; each request sets the inputs, runs once
// and reads the outputs over the MCU protocol. One request at a time: the board has one interpreter.
import { findBoard, loadBoardCatalog } from '../../hal/boards/catalog';
import { CleaveError } from '../errors';
import { DEFAULT_BAUD, parseSerialAddress } from '../transport/endpoint';
import { connectMcu, type McuConnection } from './connect';
import { ticksToMicroseconds } from './device';
import { checkFitsBoard } from './program-source';

export interface McuAddress {
  /** A serial port, or none for the board emulated by QEMU. */
  path?: string;
  baudRate: number;
  board: string;
}

/** "mcu:PATH[@BAUD]" (board mps2-an385 unless told) or "mcu:qemu:BOARD"; null when not an MCU address. */
export function parseMcuAddress(text: string, what: string): McuAddress | null {
  if (!text.startsWith('mcu:')) return null;
  const rest = text.slice('mcu:'.length);
  if (rest.startsWith('qemu:')) {
    const board = rest.slice('qemu:'.length);
    if (!board) throw new CleaveError('BAD_ARGUMENT', `${what} must be mcu:qemu:BOARD (e.g. mcu:qemu:mps2-an385), got "${text}"`);
    return { board, baudRate: DEFAULT_BAUD };
  }
  const serial = parseSerialAddress(rest, what);
  return { path: serial.path, baudRate: serial.baudRate, board: 'mps2-an385' };
}

export interface McuExchange {
  outputs: Buffer[];
  computeMs: number;
  /** Setting inputs, the run and reading outputs, less the run's own time. */
  wireMs: number;
  attempts: number;
  /** Frame bytes on the serial line for this exchange (requests, resends included, and replies). */
  bytesSent: number;
  bytesReceived: number;
}

export class McuLink {
  private connection: McuConnection | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private outputBytes: number[] = [];
  peer: string;

  constructor(
    private readonly address: McuAddress,
    private readonly program: Uint8Array,
    private readonly source: string,
  ) {
    this.peer = address.path ? `mcu:${address.path}` : `mcu:qemu:${address.board}`;
  }

  async open(): Promise<void> {
    const board = findBoard(loadBoardCatalog(), this.address.board);
    checkFitsBoard(this.program, this.source, board);
    this.connection = await connectMcu({ board, port: this.address.path, baudRate: this.address.baudRate });
    this.peer = `mcu:${this.connection.device.peer.replace(/^serial:/, '')}`;
    const loaded = await this.connection.device.load(this.program, this.source);
    this.outputBytes = loaded.outputBytes;
  }

  run(inputs: Uint8Array[]): Promise<McuExchange> {
    const work = this.queue.then(() => this.exchange(inputs));
    this.queue = work.catch(() => undefined);
    return work;
  }

  private async exchange(inputs: Uint8Array[]): Promise<McuExchange> {
    const device = this.connection?.device;
    if (!device) throw new CleaveError('WIRE_CLOSED', `${this.peer}: the link is not open`);
    const resendsBefore = device.resends;
    const sentBefore = device.bytesSent, receivedBefore = device.bytesReceived;
    const started = performance.now();
    for (let i = 0; i < inputs.length; i++) await device.setInput(i, inputs[i]!);
    const timing = await device.run(1);
    const outputs: Buffer[] = [];
    for (let i = 0; i < this.outputBytes.length; i++) outputs.push(await device.readOutput(i, this.outputBytes[i]!));
    const computeMs = ticksToMicroseconds(timing.totalTicks, timing.clockHz) / 1000;
    return {
      outputs, computeMs, wireMs: performance.now() - started - computeMs, attempts: 1 + device.resends - resendsBefore,
      bytesSent: device.bytesSent - sentBefore, bytesReceived: device.bytesReceived - receivedBefore,
    };
  }

  async close(): Promise<void> {
    await this.queue;
    await this.connection?.close();
    this.connection = null;
  }
}
