// `cleave run MODEL|PROGRAM --input IN.bin [--output OUT.bin] [--repeat N] [--dump-tensors DIR]`
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { CleaveError } from '../../errors';
import { detectCurrentBoard, openBestEnergyMeter, type EnergyMeter } from '../../../hal';
import { addRemoteOptions, runRemote, type RemoteRunOptions } from '../../pipeline/run-command';
import { PlanRunner } from '../../segments/plan';
import { meterRuns } from '../../energy-window';
import { load, type RunDetails, type SessionOptions, type TensorData } from '../../session';
import { formatBytes } from '../table';
import { openTelemetry, recordRuns, telemetryCaOption, telemetryOption, telemetrySampleOption, type TelemetryFlags } from '../../telemetry/cli-options';
import { percentile } from '../../stats';

interface RunOptions extends RemoteRunOptions, TelemetryFlags {
  input: string[];
  output?: string;
  repeat: string;
  dumpTensors?: string;
  json?: boolean;
  threads?: string;
  kernels?: SessionOptions['kernels'];
  energy?: boolean;
}

async function readInput(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fsp.readFile(file));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CleaveError('FILE_NOT_FOUND', `${file}: cannot read input: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
}

function bytesOf(t: TensorData): Uint8Array {
  return new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
}

export function register(program: Command): void {
  addRemoteOptions(program
    .command('run')
    .description('run a .tflite model, a compiled Program or a split plan on raw input bytes')
    .argument('<model>', '.tflite file, .cprog Program, or plan.json written by `cleave split`')
    .option('-i, --input <file>', 'raw bytes of an input tensor (repeat for several inputs)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('-o, --output <file>', 'write the raw bytes of the (first) output here')
    .option('-n, --repeat <n>', 'run N times and report latency statistics', '1')
    .option('--dump-tensors <dir>', 'write t<index>.bin for every non-constant tensor (index in the .tflite subgraph)')
    .option('--threads <n>', 'intra-op threads (default: available cores)')
    .option('--kernels <set>', 'auto | reference | avx2 | neon | neon-dotprod', 'auto')
    .option('--energy', 'measure joules per inference with the best meter of this board: one window around N more runs (N = --repeat)')
    .option('--json', 'machine-readable summary')
    .addOption(telemetryOption()).addOption(telemetrySampleOption()).addOption(telemetryCaOption()))
    .action(async (model: string, opts: RunOptions) => {
      if (opts.remote.length > 0) return runRemote(model, opts);
      if (opts.input.length === 0) throw new CleaveError('BAD_ARGUMENT', 'give --input FILE (repeat for several model inputs)');
      if (opts.inputs !== undefined || opts.outputs !== undefined) throw new CleaveError('BAD_ARGUMENT', '--inputs and --outputs run with --remote');
      const repeat = Number(opts.repeat);
      if (!Number.isInteger(repeat) || repeat < 1) throw new CleaveError('BAD_ARGUMENT', `--repeat must be a positive integer, got "${opts.repeat}"`);
      const threads = opts.threads === undefined ? undefined : Number(opts.threads);
      let meter: EnergyMeter | undefined;
      if (opts.energy) meter = await openBestEnergyMeter(await detectCurrentBoard());
      const options: SessionOptions = { threads, kernels: opts.kernels };
      // A plan runs its segments in sequence, handing each the tensors crossing its cut.
      const session = model.endsWith('.json') ? await PlanRunner.load(model, options) : await load(model, options);
      const telemetry = await openTelemetry(opts, model).catch((err) => { session.dispose(); throw err; });
      try {
        const inputs = await Promise.all(opts.input.map(readInput));
        let first: RunDetails | null = null;
        const micros: number[] = [];
        const runs: RunDetails[] = [];
        for (let i = 0; i < repeat; i++) {
          const r = await session.runDetailed(inputs, { dump: i === 0 && opts.dumpTensors !== undefined });
          first ??= r;
          micros.push(r.micros);
          if (telemetry) runs.push(r);
        }
        const result = first!;
        // One meter window around all the runs, apart from the timed ones: starting and stopping a
        // meter per run would measure the meter.
        const energy = meter ? await meterRuns(meter, repeat, () => session.run(inputs)) : undefined;
        if (telemetry) recordRuns(telemetry, runs, energy && { joules: energy.joulesPerInference, reading: energy.reading });
        if (opts.output) await fsp.writeFile(opts.output, bytesOf(result.outputs[0]!));
        if (opts.dumpTensors && result.dumps) {
          await fsp.mkdir(opts.dumpTensors, { recursive: true });
          for (const [index, bytes] of result.dumps) await fsp.writeFile(path.join(opts.dumpTensors, `t${index}.bin`), bytes);
        }
        const sorted = [...micros].sort((a, b) => a - b);
        const summary = {
          model,
          arenaBytes: session.arenaBytes,
          outputs: result.outputs.map((o, i) => ({ ...session.outputs[i]!, values: Array.from(o as ArrayLike<number>) })),
          runs: repeat,
          medianUs: percentile(sorted, 0.5),
          p90Us: percentile(sorted, 0.9),
          minUs: sorted[0]!,
          dumped: result.dumps?.size ?? 0,
          ...(energy ? {
            energy: {
              meter: energy.reading.name,
              kind: energy.reading.kind,
              joulesPerInference: energy.joulesPerInference,
              windowJoules: energy.reading.joules,
              windowSeconds: energy.reading.seconds,
              windowRuns: energy.runs,
            },
          } : {}),
        };
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
          return;
        }
        for (const o of summary.outputs) {
          const shown = o.values.length > 32 ? `${o.values.slice(0, 32).join(', ')}, … (${o.values.length} values)` : o.values.join(', ');
          process.stdout.write(`output t${o.index} ${o.dtype}[${o.shape.join('x')}]: ${shown}\n`);
        }
        process.stdout.write(`arena ${formatBytes(summary.arenaBytes)}; ${repeat} run(s): median ${summary.medianUs.toFixed(1)} µs, p90 ${summary.p90Us.toFixed(1)} µs, min ${summary.minUs.toFixed(1)} µs\n`);
        if (opts.dumpTensors) process.stdout.write(`dumped ${summary.dumped} tensors to ${opts.dumpTensors}\n`);
        if (summary.energy) {
          const e = summary.energy;
          process.stdout.write(`energy: ${(e.joulesPerInference * 1e3).toFixed(3)} mJ per inference (${e.windowJoules.toFixed(4)} J over ${e.windowRuns} run(s) in one ${e.windowSeconds.toFixed(3)} s window), ${e.kind} by ${e.meter}\n`);
        }
      } finally {
        session.dispose();
        await meter?.close();
        await telemetry?.close();
      }
    });
}
