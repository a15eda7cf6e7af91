// `cleave run MODEL|PROGRAM|PLAN --input FILE|NAME=FILE …`: runs on inputs in real units (raw bytes,
// .npy, raw float32, PNG/JPEG), prints dequantized scores with the top classes, and measures as
// TFLite's benchmark_model does (warm-up runs apart, mean/stddev/min/p50/p90/p99, a per-op profile,
// partial figures on Ctrl-C).
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { CleaveError } from '../../errors';
import { detectCurrentBoard, openBestEnergyMeter, type EnergyMeter } from '../../../hal';
import { addRemoteOptions, runRemote, type RemoteRunOptions } from '../../pipeline/run-command';
import { meterRuns } from '../../energy-window';
import { KERNEL_SETS, load, Session, type KernelSet, type OpProfile, type RunDetails, type SessionOptions, type TensorData } from '../../session';
import type { PlanRunner } from '../../segments/plan';
import { isTflite, readModel } from '../../model/reader';
import { opMacs } from '../../model/analysis';
import { checkOutputFile, prepareOutputDir, readUserFile, writeUserFile } from '../../io/files';
import { INPUT_FORMATS, assignFiles, namesTensor, parseNamedFile, readTensorInput, type InputFormat, type InputReadOptions, type NamedFile } from '../../io/tensor-input';
import { listInputCases } from '../../io/input-dir';
import { describeOutput, formatOutput, writeTensorFile, type OutputReport } from '../../io/tensor-output';
import { modelLabels, readLabelsFile } from '../../io/labels';
import { latencySummary, type LatencySummary } from '../../stats';
import { formatBytes } from '../table';
import { choiceFlag, integerFlag, oneOf, parseDecimalList, parseDecimalPair } from '../flags';
import { formatOpProfile, opProfileRows, type OpProfileRow } from '../op-profile';
import { bold, startProgress } from '../progress';
import { openTelemetry, recordRuns, telemetryCaOption, telemetryOption, telemetrySampleOption, type TelemetryFlags } from '../../telemetry/cli-options';

interface RunFlags extends Omit<RemoteRunOptions, 'repeat' | 'output' | 'threads'>, TelemetryFlags {
  input: string[];
  inputs?: string;
  inputFormat: InputFormat;
  mean?: string;
  std?: string;
  inputRange?: string;
  output: string[];
  outputs?: string;
  labels?: string;
  top: number;
  repeat: number;
  warmup: number;
  profile?: boolean;
  dumpTensors?: string;
  json?: boolean;
  threads?: number;
  kernels: KernelSet;
  energy?: boolean;
}

const collect = (v: string, acc: string[]) => [...acc, v];
type Runner = Session | PlanRunner;

export function register(program: Command): void {
  addRemoteOptions(program
    .command('run')
    .description('run a .tflite model, a compiled Program or a split plan on inputs in real units, and time it')
    .argument('<model>', '.tflite file, .cprog Program, or plan.json written by `cleave split`')
    .option('-i, --input <[name=]file>', 'an input: raw tensor bytes, .npy (float32 is quantized), raw float32 (--input-format f32) or a PNG/JPEG image; NAME (tensor name or t<index>) picks the input, else by position (repeatable)', collect, [] as string[])
    .option('--inputs <dir>', 'run every case in DIR once: a subdirectory per case with t<index>.<ext> per input (or, for one input, a file per case); with --outputs, OUT/<case>/t<index>.bin; with --remote, the files are raw bytes and a case\'s outputs OUT/<file or subdirectory>[.K].<ext>')
    .option('--input-format <format>', oneOf('how to read input files (auto: by their magic bytes; f32 is never guessed)', INPUT_FORMATS), choiceFlag('--input-format', INPUT_FORMATS, 'format'), 'auto')
    .option('--mean <m[,m,m]>', 'images: real value = (pixel - mean) / std, one value or one per channel')
    .option('--std <s[,s,s]>', 'images: see --mean')
    .option('--input-range <low,high>', 'images: map pixels 0..255 linearly onto LOW..HIGH (e.g. 0,255, -1,1 or 0,1); default: the input\'s quantized range')
    .option('-o, --output <[name=]file>', 'write an output: raw bytes, or a NumPy array for a .npy name; NAME picks the output, else by position (repeatable)', collect, [] as string[])
    .option('--outputs <dir>', 'write every output as DIR/t<index>.bin; with --remote and --inputs DIR, each input\'s outputs under the input\'s name (NAME.K.EXT when several)')
    .option('--labels <file>', 'class labels, one per line (default: labels packed into the model, if any)')
    .option('--top <k>', 'show the K highest-scoring classes of each output', integerFlag('--top', { min: 1, max: 1000 }), 5)
    .option('-n, --repeat <n>', 'timed runs', integerFlag('--repeat', { min: 1 }), 1)
    .option('--warmup <n>', 'runs before the timed ones, not counted (recurrent state is reset after them)', integerFlag('--warmup', { min: 0 }), 1)
    .option('--profile', 'time every op of every timed run: op, kernel, time, share, MACs, GMAC/s')
    .option('--dump-tensors <dir>', 'write t<index>.bin for every non-constant tensor (index in the .tflite subgraph)')
    .option('--threads <n>', 'intra-op threads (default: available cores)', integerFlag('--threads', { min: 1, max: 256 }))
    .option('--kernels <set>', oneOf('kernel set (auto: the fastest this CPU runs; every set gives the same bytes)', KERNEL_SETS), choiceFlag('--kernels', KERNEL_SETS, 'kernel set'), 'auto')
    .option('--energy', 'measure joules per inference with the best meter of this board: one window around N more runs (N = --repeat)')
    .option('--json', 'machine-readable summary')
    .addOption(telemetryOption()).addOption(telemetrySampleOption()).addOption(telemetryCaOption()))
    .action(runCommand);
}

async function runCommand(model: string, opts: RunFlags): Promise<void> {
  if (opts.remote.length > 0) {
    return runRemote(model, { ...opts, repeat: String(opts.repeat), output: opts.output[0], threads: opts.threads === undefined ? undefined : String(opts.threads) });
  }
  const normalization = {
    ...(opts.mean !== undefined ? { mean: parseDecimalList('--mean', opts.mean) } : {}),
    ...(opts.std !== undefined ? { std: parseDecimalList('--std', opts.std, { min: Number.MIN_VALUE }) } : {}),
    ...(opts.inputRange !== undefined ? { range: parseDecimalPair('--input-range', opts.inputRange) } : {}),
  };
  if (opts.inputRange !== undefined && (opts.mean !== undefined || opts.std !== undefined)) {
    throw new CleaveError('BAD_ARGUMENT', '--input-range and --mean/--std both say how to normalise: give one of them');
  }
  if ((opts.input.length > 0) === (opts.inputs !== undefined)) {
    throw new CleaveError('BAD_ARGUMENT', 'give the inputs either as --input FILE (repeatable) or as --inputs DIR of cases, one of the two');
  }
  if (opts.inputs !== undefined && (opts.output.length > 0 || opts.dumpTensors !== undefined || opts.profile || opts.energy)) {
    throw new CleaveError('BAD_ARGUMENT', '--inputs DIR runs each case once: write its outputs with --outputs DIR (no --output, --dump-tensors, --profile or --energy)');
  }
  if (opts.outputs !== undefined) await prepareOutputDir(opts.outputs);
  if (opts.dumpTensors !== undefined) await prepareOutputDir(opts.dumpTensors);
  const labels = opts.labels !== undefined ? await readLabelsFile(opts.labels) : null;
  const meter: EnergyMeter | undefined = opts.energy ? await openBestEnergyMeter(await detectCurrentBoard()) : undefined;
  const options: SessionOptions = { ...(opts.threads !== undefined ? { threads: opts.threads } : {}), kernels: opts.kernels };
  const runner: Runner = await load(model, options);
  const telemetry = await openTelemetry(opts, model).catch((err) => { runner.dispose(); throw err; });
  // From here on Ctrl-C stops after the run in progress, keeping what was measured.
  const interrupt = { requested: false };
  const onSigint = () => { interrupt.requested = true; };
  process.on('SIGINT', onSigint);
  try {
    if (opts.inputs !== undefined) {
      await runCases(runner, opts.inputs, model, opts, { format: opts.inputFormat, normalization }, labels, interrupt);
      return;
    }
    if (opts.profile && !(runner instanceof Session)) {
      throw new CleaveError('BAD_ARGUMENT', '--profile times the ops of one model or Program; profile each segment\'s Program of a plan');
    }
    // Every output path is checked before anything runs.
    const outputArgs = opts.output.map((o) => parseNamedFile(o, (n) => runner.outputs.some((s) => namesTensor(s, n))));
    const outputFiles = assignFiles(outputArgs, runner.outputs, 'output', model, false);
    for (const f of outputFiles) if (f !== undefined) await checkOutputFile(f);
    const inputArgs: NamedFile[] = opts.input.map((i) => parseNamedFile(i, (n) => runner.inputs.some((s) => namesTensor(s, n))));
    const inputFiles = assignFiles(inputArgs, runner.inputs, 'input', model, true);
    const inputs = await Promise.all(runner.inputs.map((spec, k) => readTensorInput(inputFiles[k]!, spec, { format: opts.inputFormat, normalization })));

    // A plan's segments each have a session; the kernel set and threads asked for are theirs.
    const kernels = runner instanceof Session ? runner.kernels : opts.kernels;
    const threads = runner instanceof Session ? runner.threads : opts.threads ?? os.availableParallelism();
    if (!opts.json) process.stdout.write(`kernels ${kernels}, ${threads} thread(s), arena ${formatBytes(runner.arenaBytes)}\n`);
    const measured = await timeRuns(runner, inputs, opts, interrupt, telemetry !== undefined);
    const result = measured.first;
    const energy = meter && !measured.interrupted ? await meterRuns(meter, opts.repeat, () => runner.run(inputs)) : undefined;
    if (telemetry) recordRuns(telemetry, measured.runs, energy && { joules: energy.joulesPerInference, reading: energy.reading });

    for (const [k, f] of outputFiles.entries()) if (f !== undefined) await writeTensorFile(f, result.outputs[k]!, runner.outputs[k]!);
    if (opts.outputs !== undefined) {
      for (const [k, spec] of runner.outputs.entries()) await writeTensorFile(path.join(opts.outputs, `t${spec.index}.bin`), result.outputs[k]!, spec);
    }
    if (opts.dumpTensors !== undefined && result.dumps) {
      for (const [index, bytes] of result.dumps) await writeUserFile(path.join(opts.dumpTensors, `t${index}.bin`), bytes, 'tensor dump');
    }
    // A .tflite model (not a Program or a plan) may carry labels, and has the op shapes MACs are counted from.
    const modelBytes = model.endsWith('.json') ? null : new Uint8Array(await readUserFile(model, 'model'));
    const tflite = modelBytes !== null && isTflite(modelBytes) ? modelBytes : null;
    const classLabels = labels ?? (tflite ? modelLabels(tflite) : null);
    const outputs = result.outputs.map((o, k) => describeOutput(o, runner.outputs[k]!, classLabels, opts.top));
    const latency = latencySummary(measured.micros);
    const profile = measured.profiles.length > 0 ? opProfileRows(measured.profiles, latency.mean, tflite ? opMacsOf(tflite, model) : null) : undefined;
    const summary = {
      model,
      kernels,
      threads,
      arenaBytes: runner.arenaBytes,
      outputs,
      warmup: opts.warmup,
      runs: latency.count,
      ...(measured.interrupted ? { interrupted: true, requestedRuns: opts.repeat } : {}),
      meanUs: latency.mean,
      stddevUs: latency.stddev,
      minUs: latency.min,
      maxUs: latency.max,
      medianUs: latency.p50,
      p90Us: latency.p90,
      p99Us: latency.p99,
      dumped: result.dumps?.size ?? 0,
      ...(profile ? { profile } : {}),
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
    if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else printSummary(summary, latency, outputs, profile, opts);
    if (measured.interrupted) process.exitCode = 130;
  } finally {
    process.off('SIGINT', onSigint);
    runner.dispose();
    await meter?.close();
    await telemetry?.close();
  }
}

/** `--inputs DIR`: each case once, its top classes printed and its outputs written under --outputs. */
async function runCases(runner: Runner, dir: string, model: string, opts: RunFlags, read: InputReadOptions, labels: string[] | null, interrupt: { requested: boolean }): Promise<void> {
  const cases = await listInputCases(dir, runner.inputs);
  const progress = startProgress('cases', cases.length, { json: opts.json });
  const results: { case: string; micros: number; outputs: OutputReport[] }[] = [];
  try {
    for (const c of cases) {
      if (interrupt.requested) break;
      const inputs = await Promise.all(runner.inputs.map((spec, k) => readTensorInput(c.files[k]!, spec, read)));
      const r = await runner.runDetailed(inputs);
      if (opts.outputs !== undefined) {
        await prepareOutputDir(path.join(opts.outputs, c.name));
        for (const [k, spec] of runner.outputs.entries()) await writeTensorFile(path.join(opts.outputs, c.name, `t${spec.index}.bin`), r.outputs[k]!, spec);
      }
      results.push({ case: c.name, micros: r.micros, outputs: r.outputs.map((o, k) => describeOutput(o, runner.outputs[k]!, labels, opts.top)) });
      progress.advance();
    }
  } finally {
    progress.stop();
  }
  if (results.length === 0) {
    process.exitCode = 130;
    return;
  }
  const latency = latencySummary(results.map((r) => r.micros));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ model, inputs: dir, cases: results, meanUs: latency.mean, minUs: latency.min, medianUs: latency.p50, p90Us: latency.p90, p99Us: latency.p99, ...(results.length < cases.length ? { interrupted: true } : {}) }, null, 2)}\n`);
  } else {
    for (const r of results) {
      const top = r.outputs.map((o) => o.top.map((c) => `${c.label ?? `#${c.index}`} ${c.score.toPrecision(4)}`).join(', ')).join(' | ');
      process.stdout.write(`${r.case}: ${top}\n`);
    }
    process.stdout.write(`${results.length} of ${cases.length} case(s): mean ${latency.mean.toFixed(1)} µs, median ${latency.p50.toFixed(1)} µs, p90 ${latency.p90.toFixed(1)} µs\n`);
  }
  if (results.length < cases.length) process.exitCode = 130;
}

interface Measured {
  first: RunDetails;
  micros: number[];
  profiles: OpProfile[][];
  runs: RunDetails[];
  interrupted: boolean;
}

/**
 * Warm-up runs, then the timed ones. After Ctrl-C (`interrupt.requested`) the runs stop after the
 * one in progress and what was measured is kept (the caller prints it and exits 130), as
 * benchmark_model does.
 */
async function timeRuns(runner: Runner, inputs: TensorData[], opts: RunFlags, interrupt: { requested: boolean }, keepRuns: boolean): Promise<Measured> {
  const progress = startProgress('running', opts.warmup + opts.repeat, { json: opts.json });
  try {
    for (let i = 0; i < opts.warmup && !interrupt.requested; i++) {
      await runner.run(inputs);
      progress.advance();
    }
    // Warm-up runs must not change what a stateful model (SVDF memory) answers.
    if (opts.warmup > 0 && runner instanceof Session) await runner.resetState();
    const measured: Measured = { first: undefined as unknown as RunDetails, micros: [], profiles: [], runs: [], interrupted: false };
    for (let i = 0; i < opts.repeat; i++) {
      // The first timed run always completes: its outputs are the result.
      if (interrupt.requested && i > 0) break;
      const r = await runner.runDetailed(inputs, { dump: i === 0 && opts.dumpTensors !== undefined, ...(opts.profile ? { profile: true } : {}) });
      if (i === 0) measured.first = r;
      measured.micros.push(r.micros);
      if (r.profile) measured.profiles.push(r.profile);
      // Telemetry records every run; otherwise a long benchmark keeps only the times.
      if (keepRuns) measured.runs.push(r);
      progress.advance();
    }
    measured.interrupted = interrupt.requested && measured.micros.length < opts.repeat;
    return measured;
  } finally {
    progress.stop();
  }
}

/** MACs of each op of a .tflite model, by op index. */
function opMacsOf(bytes: Uint8Array, model: string): number[] {
  const graph = readModel(bytes, model);
  return graph.ops.map((op) => opMacs(graph, op));
}

function printSummary(
  s: { model: string; kernels: string; threads: number; arenaBytes: number; runs: number; warmup: number; dumped: number; interrupted?: boolean; requestedRuns?: number; energy?: { joulesPerInference: number; windowJoules: number; windowRuns: number; windowSeconds: number; kind: string; meter: string } },
  l: LatencySummary, outputs: OutputReport[], profile: OpProfileRow[] | undefined, opts: RunFlags,
): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  for (const o of outputs) out(formatOutput(o, (text) => bold(text)));
  const us = (v: number) => `${v.toFixed(1)} µs`;
  const runs = s.interrupted ? `${s.runs} of ${s.requestedRuns} run(s) (interrupted)` : `${s.runs} run(s)`;
  out(`${runs} after ${s.warmup} warm-up: mean ${us(l.mean)}, stddev ${us(l.stddev)}, min ${us(l.min)}, median ${us(l.p50)}, p90 ${us(l.p90)}, p99 ${us(l.p99)}`);
  if (profile) out(formatOpProfile(profile, l.mean));
  if (opts.dumpTensors) out(`dumped ${s.dumped} tensors to ${opts.dumpTensors}`);
  if (s.energy) {
    const e = s.energy;
    out(`energy: ${(e.joulesPerInference * 1e3).toFixed(3)} mJ per inference (${e.windowJoules.toFixed(4)} J over ${e.windowRuns} run(s) in one ${e.windowSeconds.toFixed(3)} s window), ${e.kind} by ${e.meter}`);
  }
}
