// The process that keeps one emulated board of the lab running after `cleave lab up` exits: QEMU is
// the child of the board launcher (src/mcu/qemu.ts), which ties it to its parent's life, so the lab
// starts this keeper detached and the keeper holds QEMU. It resumes the board with its UART pty open
// (QEMU drops UART output while nobody holds it) and checks the firmware's hello. Given a plan
// segment, it loads that segment's Program onto the board and serves it over the wire protocol on a
// TCP address (a gateway: `cleave serve` whose runs happen on the board), so `cleave run --remote`
// and `cleave hil` reach the board like any other; without one it lets go of the pty for the lab's
// users. It then writes the ready file and waits for SIGTERM, on which it stops serving and QEMU.
import * as fs from 'node:fs';
import { findBoard, loadBoardCatalog } from '../../hal/boards/catalog';
import { CleaveError } from '../errors';
import { McuDevice, ticksToMicroseconds } from '../mcu/device';
import { startEmulatedBoard } from '../mcu/qemu';
import { parseHostPort } from '../transport/endpoint';
import { SegmentServer } from '../pipeline/serve';
import { readPlan, readSegmentProgram } from '../segments/plan';
import type { TensorData } from '../session';

export interface McuReady {
  qemuPid: number;
  serial: string;
  firmwareVersion: number;
  /** HOST:PORT of the gateway, when the board serves a segment. */
  address?: string;
}

export interface KeepOptions {
  board: string;
  firmware: string;
  readyFile: string;
  /** The segment to serve, and where. */
  serve?: { plan: string; segment: number; listen: string };
}

const TYPED: Record<string, (b: Buffer) => TensorData> = {
  int8: (b) => new Int8Array(b.buffer, b.byteOffset, b.byteLength),
  uint8: (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
  int16: (b) => new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)),
  int32: (b) => new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)),
  float32: (b) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)),
};

/** Runs a loaded Program on the board: inputs in, one run, outputs back as the segment's dtypes. */
function boardRunner(device: McuDevice, outputs: { dtype: string; bytes: number }[]) {
  return async (inputs: TensorData[]) => {
    for (const [i, data] of inputs.entries()) await device.setInput(i, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const timing = await device.run(1);
    const data: TensorData[] = [];
    for (const [i, o] of outputs.entries()) data.push(TYPED[o.dtype]!(await device.readOutput(i, o.bytes)));
    return { outputs: data, micros: ticksToMicroseconds(timing.totalTicks, timing.clockHz) };
  };
}

export async function keepEmulatedBoard(options: KeepOptions): Promise<void> {
  const board = findBoard(loadBoardCatalog(), options.board);
  const emulator = await startEmulatedBoard(board, options.firmware);
  let server: SegmentServer | undefined;
  let device: McuDevice | undefined;
  const stop = async () => {
    await server?.close();
    await device?.close();
    await emulator.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  try {
    device = await McuDevice.open(emulator.serialPath, board.serial?.baudRate ?? 115200);
    await emulator.resume();
    const hello = await device.hello();
    const ready: McuReady = { qemuPid: emulator.pid, serial: emulator.serialPath, firmwareVersion: hello.firmwareVersion };
    if (options.serve) {
      const { plan, segment, listen } = options.serve;
      const { segments } = await readPlan(plan);
      const seg = segments[segment];
      if (!seg) throw new CleaveError('BAD_ARGUMENT', `${plan}: no segment ${segment} (the plan has segments 0..${segments.length - 1})`);
      const { file, bytes } = await readSegmentProgram(plan, seg);
      const unsupported = seg.outputs.find((o) => !TYPED[o.dtype]);
      if (unsupported) throw new CleaveError('BAD_ARGUMENT', `${plan}: segment ${segment} output ${unsupported.name} is ${unsupported.dtype}, which the lab's board gateway does not carry`);
      await device.load(bytes, file);
      server = await SegmentServer.start({ planPath: plan, segment, listen: parseHostPort(listen), maxInFlight: 1, runSegment: boardRunner(device, seg.outputs) });
      server.on('log', (line) => process.stderr.write(`${line}\n`));
      process.stdout.write(`${server.statusLine()}\n`);
      ready.address = listen;
    } else {
      await device.close();
      device = undefined;
    }
    fs.writeFileSync(`${options.readyFile}.tmp`, JSON.stringify(ready));
    fs.renameSync(`${options.readyFile}.tmp`, options.readyFile);
  } catch (err) {
    await server?.close();
    await device?.close();
    await emulator.close();
    throw err;
  }
  if (!server) setInterval(() => undefined, 1 << 30); // nothing else keeps the event loop (and QEMU) alive
}
