// `cleave mcu run PROGRAM|MODEL --board BOARD [--port PATH] --input F [--output F] [--repeat N] [--json]`:
// runs a Program on cleave firmware over a serial line (docs/mcu-protocol.md), booting the emulated
// board under QEMU when no --port is given.
import { promises as fsp } from 'node:fs';
import type { Command } from 'commander';
import { findBoard, loadBoardCatalog } from '../../../hal/boards/catalog';
import { CleaveError } from '../../errors';
import { connectMcu } from '../../mcu/connect';
import { ticksToInstructions, ticksToMicroseconds } from '../../mcu/device';
import { checkFitsBoard, readProgramOrModel } from '../../mcu/program-source';
import { formatBytes, formatNumber } from '../table';

interface McuRunOptions {
  board: string;
  port?: string;
  baud?: string;
  firmware?: string;
  input: string[];
  output?: string;
  repeat: string;
  json?: boolean;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CleaveError('BAD_ARGUMENT', `${flag} must be a positive integer, got "${value}"`);
  return n;
}

async function readInput(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fsp.readFile(file));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CleaveError('FILE_NOT_FOUND', `${file}: cannot read input: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
}

async function mcuRun(file: string, opts: McuRunOptions): Promise<void> {
  const repeat = positiveInt(opts.repeat, '--repeat');
  const baudRate = opts.baud === undefined ? undefined : positiveInt(opts.baud, '--baud');
  const board = findBoard(loadBoardCatalog(), opts.board);
  const program = await readProgramOrModel(file);
  checkFitsBoard(program, file, board);
  const inputs = await Promise.all(opts.input.map(readInput));

  const connection = await connectMcu({ board, port: opts.port, baudRate, firmware: opts.firmware });
  try {
    const { device } = connection;
    const loaded = await device.load(program, file);
    if (inputs.length !== loaded.inputBytes.length) {
      throw new CleaveError('BAD_INPUT', `${file}: the Program takes ${loaded.inputBytes.length} input(s), ${inputs.length} given`);
    }
    inputs.forEach((bytes, i) => {
      if (bytes.byteLength !== loaded.inputBytes[i]) {
        throw new CleaveError('BAD_INPUT', `${opts.input[i]}: ${bytes.byteLength} bytes, input ${i} of ${file} takes ${loaded.inputBytes[i]}`);
      }
    });
    for (let i = 0; i < inputs.length; i++) await device.setInput(i, inputs[i]!);
    const timing = await device.run(repeat);
    const outputs: Buffer[] = [];
    for (let i = 0; i < loaded.outputBytes.length; i++) outputs.push(await device.readOutput(i, loaded.outputBytes[i]!));
    if (opts.output) {
      try {
        await fsp.writeFile(opts.output, outputs[0]!);
      } catch (err) {
        throw new CleaveError('WRITE_FAILED', `${opts.output}: cannot write output: ${(err as Error).message}`);
      }
    }
    // Instructions only where QEMU counts them (-icount shift=0): the emulated board cleave started.
    const emulated = connection.emulator !== undefined && (board.emulation?.command.includes('-icount') ?? false);
    const mean = timing.totalTicks / BigInt(timing.runs);
    const summary = {
      board: board.id,
      port: device.peer,
      program: file,
      programBytes: loaded.programBytes,
      arenaBytes: loaded.arenaBytes,
      // True when the board's image carries this Program (`cleave flash --program`): nothing was loaded.
      resident: loaded.resident,
      loadMs: Math.round(loaded.loadMs),
      loadBytesPerSecond: loaded.resident ? null : Math.round(loaded.programBytes / (loaded.loadMs / 1000)),
      loadResends: loaded.resends,
      runs: timing.runs,
      latencyUs: { mean: ticksToMicroseconds(mean, timing.clockHz), min: ticksToMicroseconds(timing.minTicks, timing.clockHz), max: ticksToMicroseconds(timing.maxTicks, timing.clockHz) },
      instructions: emulated ? ticksToInstructions(mean, timing.clockHz) : null,
      outputs: outputs.map((o, i) => ({ index: i, bytes: o.byteLength, values: Array.from(new Int8Array(o.buffer, o.byteOffset, o.byteLength)) })),
    };
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      return;
    }
    process.stdout.write(
      `${board.id} on ${device.peer}\n` +
      (loaded.resident ? `Program: ${formatBytes(loaded.programBytes)} resident in the board's image (not loaded)\n` :
        `Program: ${formatBytes(loaded.programBytes)} loaded in ${formatNumber(summary.loadMs)} ms (${formatNumber(summary.loadBytesPerSecond!)} B/s${loaded.resends ? `, ${loaded.resends} frames resent` : ''})\n`) +
      `arena: ${formatBytes(loaded.arenaBytes)}\n` +
      `latency: ${summary.latencyUs.mean.toFixed(0)} µs mean over ${timing.runs} run(s) (min ${summary.latencyUs.min.toFixed(0)}, max ${summary.latencyUs.max.toFixed(0)}; SysTick at ${timing.clockHz / 1e6} MHz)\n` +
      (summary.instructions !== null ? `instructions: ${formatNumber(Math.round(summary.instructions))} per inference (emulated, -icount shift=0)\n` : ''));
    for (const o of summary.outputs) {
      const shown = o.values.length > 16 ? `${o.values.slice(0, 16).join(' ')} ... (${o.values.length})` : o.values.join(' ');
      process.stdout.write(`output ${o.index}: ${shown}\n`);
    }
  } finally {
    await connection.close();
  }
}

export function register(program: Command): void {
  const mcu = program.command('mcu').description('run Programs on microcontrollers with cleave firmware (docs/mcu-protocol.md)');
  mcu
    .command('run')
    .description('load a Program (or compile a .tflite) onto a board over serial, run it, read outputs, latency and instructions')
    .argument('<program>', '.cprog Program or .tflite model')
    .option('--board <id>', 'board descriptor id (boards/)', 'mps2-an385')
    .option('--port <path>', 'serial port of the board; without it the emulated board boots under QEMU')
    .option('--baud <rate>', "baud rate (default: the board descriptor's)")
    .option('--firmware <elf>', 'firmware image for the emulated board (default: built from native/firmware/)')
    .requiredOption('-i, --input <file>', 'raw bytes of an input tensor (repeat for several inputs)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('-o, --output <file>', 'write the raw bytes of the (first) output here')
    .option('-n, --repeat <n>', 'run N times on the board', '1')
    .option('--json', 'machine-readable summary')
    .action(mcuRun);
}
