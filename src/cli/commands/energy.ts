// `cleave energy [--seconds N] -- COMMAND...`: joules while a command runs (at most N seconds).
// `cleave energy --seconds N`: joules over N seconds of whatever the machine is doing.
// `cleave energy --model MODEL [--runs N]`: joules per inference of a model on this machine.
// Always with the best meter the detected board offers, and always saying which meter and whether
// the figure was measured or estimated.
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { meterAround, meterRuns } from '../../energy-window';
import { CleaveError } from '../../errors';
import { detectCurrentBoard, halContext, openBestEnergyMeter, type BestEnergyMeter, type EnergyReading } from '../../../hal';
import type { TensorData, TensorSpec } from '../../session';
import { parseDecimal, parseInteger } from '../flags';

interface EnergyOptions {
  seconds?: string;
  model?: string;
  runs: string;
  json?: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface CommandOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** True when --seconds ran out and cleave stopped the command. */
  stoppedAtLimit: boolean;
}

/** Runs the command with the meter running; its stdout goes to stderr under --json so stdout stays JSON. */
function runMeasured(argv: string[], limitSeconds: number | undefined, json: boolean): Promise<CommandOutcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['inherit', json ? process.stderr : 'inherit', 'inherit'] });
    let stoppedAtLimit = false;
    const timer =
      limitSeconds === undefined
        ? undefined
        : setTimeout(() => {
            stoppedAtLimit = true;
            child.kill('SIGTERM');
          }, limitSeconds * 1000);
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      reject(new CleaveError('COMMAND_FAILED', `${argv[0]}: cannot run (${err.code === 'ENOENT' ? 'command not found' : err.message})`));
    });
    child.on('exit', (exitCode, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ exitCode, signal, stoppedAtLimit });
    });
  });
}

/** Each input filled with its zero point (the quantized 0.0): a fixed, valid input for any model. */
function neutralInputs(inputs: TensorSpec[], model: string): TensorData[] {
  return inputs.map((spec) => {
    switch (spec.dtype) {
      case 'int8':
        return new Int8Array(spec.byteLength).fill(spec.zeroPoint);
      case 'uint8':
        return new Uint8Array(spec.byteLength).fill(spec.zeroPoint);
      case 'int16':
        return new Int16Array(spec.byteLength / 2).fill(spec.zeroPoint);
      case 'int32':
        return new Int32Array(spec.byteLength / 4).fill(spec.zeroPoint);
      case 'float32':
        return new Float32Array(spec.byteLength / 4);
      default:
        throw new CleaveError('BAD_MODEL', `${model}: input "${spec.name}" has type ${spec.dtype}, which cleave energy cannot fill`);
    }
  });
}

function label(r: EnergyReading): string {
  return r.kind === 'estimated' ? `estimated by ${r.name} (board power model, not a measurement)` : `measured by ${r.name}`;
}

/** Meters passed over, each line led by `label` padded like the report's other labels. */
function skippedLines(meter: BestEnergyMeter, label: string): string[] {
  // Reasons usually start with the meter's name already; do not say it twice.
  return meter.skipped.map((s) => `${label}${s.reason.startsWith(`${s.name}:`) ? s.reason : `${s.name}: ${s.reason}`}`);
}

export function register(program: Command): void {
  program
    .command('energy')
    .description('measure energy (joules) of a command, a time window, or a model\'s inferences with the best meter on this board')
    .argument('[command...]', 'command to run and measure, after `--`')
    .option('--seconds <n>', 'measure for N seconds; with a command, stop it after N seconds')
    .option('--model <file>', 'run this .tflite model or Program and report joules per inference')
    .option('--runs <n>', 'inferences to measure with --model', '100')
    .option('--json', 'machine-readable output')
    .action(async (command: string[], opts: EnergyOptions) => {
      const seconds = opts.seconds === undefined ? undefined : parseDecimal('--seconds', opts.seconds, { min: Number.MIN_VALUE });
      const runs = parseInteger('--runs', opts.runs, { min: 1 });
      if (opts.model !== undefined && command.length > 0) throw new CleaveError('BAD_ARGUMENT', 'give either --model or a command after --, not both');
      if (opts.model !== undefined && seconds !== undefined) throw new CleaveError('BAD_ARGUMENT', '--seconds applies to commands and time windows, not --model (use --runs)');
      if (opts.model === undefined && command.length === 0 && seconds === undefined) {
        throw new CleaveError('BAD_ARGUMENT', 'nothing to measure: give -- COMMAND..., --seconds N, or --model MODEL');
      }

      const ctx = halContext();
      const board = await detectCurrentBoard(ctx);
      const meter = await openBestEnergyMeter(board, { ctx });
      try {
        if (opts.model !== undefined) await measureModel(opts.model, runs, meter, board.descriptor.id, opts.json ?? false);
        else await measureCommand(command, seconds, meter, board.descriptor.id, opts.json ?? false);
      } finally {
        await meter.close();
      }
    });
}

async function measureCommand(command: string[], seconds: number | undefined, meter: BestEnergyMeter, boardId: string, json: boolean): Promise<void> {
  const { result: outcome, reading } = await meterAround(meter, async (): Promise<CommandOutcome | undefined> => {
    if (command.length > 0) return runMeasured(command, seconds, json);
    await sleep(seconds! * 1000);
    return undefined;
  });
  const report = {
    board: boardId,
    meter: reading.name,
    kind: reading.kind,
    joules: reading.joules,
    seconds: reading.seconds,
    averageWatts: reading.averageWatts,
    command: command.length > 0 ? command : undefined,
    exitCode: outcome?.exitCode ?? undefined,
    signal: outcome?.signal ?? undefined,
    stoppedAtLimit: outcome?.stoppedAtLimit,
    skipped: meter.skipped,
  };
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    const what = command.length > 0 ? command.join(' ') : `${seconds} s window`;
    const ending = outcome ? (outcome.stoppedAtLimit ? ` (stopped after ${seconds} s)` : ` (exit ${outcome.exitCode ?? outcome.signal})`) : '';
    process.stdout.write(
      [
        `board     ${boardId}`,
        `measured  ${what}${ending}`,
        `energy    ${reading.joules.toFixed(3)} J, ${label(reading)}`,
        `time      ${reading.seconds.toFixed(3)} s`,
        `average   ${reading.averageWatts.toFixed(3)} W${reading.kind === 'estimated' ? ' (estimated)' : ''}`,
        ...skippedLines(meter, 'skipped   '),
      ].join('\n') + '\n',
    );
  }
  // Like time(1): the measured command's failure is this command's failure.
  if (outcome && !outcome.stoppedAtLimit && outcome.exitCode !== 0) process.exitCode = outcome.exitCode ?? 1;
}

async function measureModel(model: string, runs: number, meter: BestEnergyMeter, boardId: string, json: boolean): Promise<void> {
  // Loaded here, not at the top: `cleave boards`/`board` must work where the native addon is not built.
  const { load } = require('../../session') as typeof import('../../session');
  const session = await load(model);
  try {
    const inputs = neutralInputs(session.inputs, model);
    // One unmeasured run first: the first inference touches the arena and weights for the first time.
    await session.run(inputs);
    const { reading } = await meterRuns(meter, runs, () => session.run(inputs));
    const report = {
      board: boardId,
      model,
      meter: reading.name,
      kind: reading.kind,
      runs,
      joules: reading.joules,
      joulesPerInference: reading.joules / runs,
      seconds: reading.seconds,
      secondsPerInference: reading.seconds / runs,
      averageWatts: reading.averageWatts,
      skipped: meter.skipped,
    };
    if (json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    const estimated = reading.kind === 'estimated' ? ' (estimated)' : '';
    process.stdout.write(
      [
        `board       ${boardId}`,
        `model       ${model}`,
        `meter       ${label(reading)}`,
        `inferences  ${runs} in ${reading.seconds.toFixed(3)} s (${((reading.seconds / runs) * 1e3).toFixed(3)} ms each)`,
        `energy      ${reading.joules.toFixed(4)} J total${estimated}`,
        `per run     ${((reading.joules / runs) * 1e3).toFixed(4)} mJ per inference${estimated}`,
        `average     ${reading.averageWatts.toFixed(3)} W${estimated}`,
        ...skippedLines(meter, 'skipped     '),
      ].join('\n') + '\n',
    );
  } finally {
    session.dispose();
  }
}
