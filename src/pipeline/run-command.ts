// `cleave run PLAN.json --remote K=HOST:PORT|serial:PATH[@BAUD] …`: the plan runs as a pipeline, its
// remote segments on `cleave serve` peers. `--repeat N` streams N copies of the input, `--inputs DIR`
// every case of DIR (src/io/input-dir.ts, as the local run reads it), with up to `--window` requests in flight per link (a progress bar on a terminal);
// a summary of stage times (p50/p90/p99) and throughput closes the run. run.ts registers these
// options and hands remote runs over here.
import { promises as fsp } from 'node:fs';
import type { Command } from 'commander';
import { CleaveError } from '../errors';
import { type CodecName, codecInfo } from '../codec';
import { startProgress } from '../cli/progress';
import { formatTable } from '../cli/table';
import { checkInputDir, readUserFile } from '../io/files';
import { listInputCases } from '../io/input-dir';
import type { SessionOptions, TensorData } from '../session';
import { type AuthOptions, positiveInt, readClientTls, readToken } from './cli-options';
import { writeOutputs } from './output-files';
import { describeReplan, type ReplanEvent } from './replan';
import { pipeline, type PipelineOptions, type PipelineResult } from './runner';
import type { PlanFile } from '../segments/plan';
import { percentile } from '../stats';

export interface RemoteRunOptions extends AuthOptions {
  remote: string[];
  codec?: string;
  window?: string;
  timeout?: string;
  fallback?: string;
  repeat: string;
  input: string[];
  inputs?: string;
  replan?: boolean;
  candidate: string[];
  replanLink?: string;
  replanThreshold?: string;
  output?: string;
  outputs?: string;
  json?: boolean;
  threads?: string;
  kernels?: SessionOptions['kernels'];
}

/** Adds the remote options to `cleave run`. */
export function addRemoteOptions(command: Command): Command {
  return command
    .option('--remote <k=address>', 'run segment K on a `cleave serve` peer (K=HOST:PORT, K=serial:PATH[@BAUD]), a worker pool (K=mqtt://[USER:PASS@]HOST:PORT[/fleet]) or cleave firmware (K=mcu:PATH[@BAUD], K=mcu:qemu:BOARD) (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--token <token>', 'with --remote: the token the peers expect')
    .option('--token-file <file>', 'with --remote: read the token from the first line of this file')
    .option('--tls-ca <file>', 'with --remote: connect over TLS, trusting this CA for the server certificate')
    .option('--tls-cert <file>', 'with --remote: TLS client certificate (PEM)')
    .option('--tls-key <file>', 'with --remote: its private key (PEM)')
    .option('--codec <codec>', 'with --remote: raw | lossless | ts | tabq | ts+tabq', 'lossless')
    .option('--window <n>', 'with --remote: requests in flight per link', '4')
    .option('--timeout <ms>', 'with --remote: per request attempt', '10000')
    .option('--fallback <mode>', 'with --remote: "local" runs a segment here while its peer is gone; "none" fails those requests', 'none')
    .option('--replan', 'with --remote: re-plan while running: move to the --candidate cut the planner prefers when the link changes')
    .option('--candidate <plan>', 'with --replan: another plan of the model (another cut) whose tail the peer also serves (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--replan-link <spec>', 'with --replan: the link the plan assumes, tcp:RATE:DELAY (default: as measured over the first requests)')
    .option('--replan-threshold <x>', 'with --replan: re-plan when bandwidth or round trip is off by this factor for a sustained window', '2');
}

/** "1=127.0.0.1:7000" -> [1, "127.0.0.1:7000"]. */
function parseRemote(spec: string): [number, string] {
  const m = /^(\d+)=(.+)$/.exec(spec);
  if (!m) throw new CleaveError('BAD_ARGUMENT', `--remote must look like K=HOST:PORT, K=serial:PATH[@BAUD] or K=mcu:qemu:BOARD, got "${spec}"`);
  return [Number(m[1]), m[2]!];
}

function bytesOf(t: TensorData): Uint8Array {
  return new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
}

/** Inputs read and submitted ahead of the oldest unfinished one. */
const READ_AHEAD = 64;

/** One input of the run: its case (with --inputs: the file or subdirectory) and its tensors. */
interface Job {
  file?: string;
  tensors: Uint8Array[];
}

interface Jobs {
  count: number;
  get: (i: number) => Promise<Job>;
}

const readInput = (file: string) => readUserFile(file, 'input');

/** The model inputs of `plan`, by index and by the name the segment taking each gives it. */
function planInputs(plan: PlanFile): { index: number; name: string }[] {
  const names = new Map(plan.segments.flatMap((s) => s.inputs).map((t) => [t.tensor, t.name]));
  return plan.inputs.map((index) => ({ index, name: names.get(index) ?? `t${index}` }));
}

/**
 * The run's inputs: N copies of the --input files, or each case of --inputs DIR read (raw bytes) as
 * it is needed. The flags are checked before anything connects; the cases are listed once the plan
 * says which inputs a case holds.
 */
async function jobs(opts: RemoteRunOptions, repeat: number): Promise<(inputs: { index: number; name: string }[]) => Promise<Jobs>> {
  if (opts.inputs === undefined) {
    if (opts.outputs !== undefined) throw new CleaveError('BAD_ARGUMENT', '--outputs DIR goes with --inputs DIR (use --output FILE with --input)');
    if (opts.input.length === 0) throw new CleaveError('BAD_ARGUMENT', 'give --input FILE (repeat for several model inputs) or --inputs DIR');
    const tensors = await Promise.all(opts.input.map(readInput));
    return async () => ({ count: repeat, get: () => Promise.resolve({ tensors }) });
  }
  const dir = opts.inputs;
  if (opts.input.length > 0) throw new CleaveError('BAD_ARGUMENT', 'give --input or --inputs, not both');
  if (opts.output !== undefined) throw new CleaveError('BAD_ARGUMENT', '--output FILE goes with --input (use --outputs DIR with --inputs)');
  if (repeat !== 1) throw new CleaveError('BAD_ARGUMENT', '--repeat goes with --input; --inputs runs each case once');
  await checkInputDir(dir, '--inputs');
  return async (inputs) => {
    const cases = await listInputCases(dir, inputs);
    return { count: cases.length, get: async (i) => ({ file: cases[i]!.path, tensors: await Promise.all(cases[i]!.files.map(readInput)) }) };
  };
}

export async function runRemote(model: string, opts: RemoteRunOptions): Promise<void> {
  if (!model.endsWith('.json')) throw new CleaveError('BAD_ARGUMENT', '--remote runs a split plan (plan.json written by `cleave split`)');
  const repeat = positiveInt(opts.repeat, '--repeat')!;
  const codec = codecInfo(opts.codec ?? 'lossless').name as CodecName;
  const window = positiveInt(opts.window, '--window');
  const listJobs = await jobs(opts, repeat);
  if (!opts.replan && (opts.candidate.length > 0 || opts.replanLink !== undefined)) throw new CleaveError('BAD_ARGUMENT', '--candidate and --replan-link go with --replan');
  if (opts.replan && opts.candidate.length === 0) throw new CleaveError('BAD_ARGUMENT', '--replan needs at least one --candidate PLAN (another cut the peer serves too)');
  const threshold = Number(opts.replanThreshold ?? '2');
  if (!(threshold > 1)) throw new CleaveError('BAD_ARGUMENT', `--replan-threshold must be a number above 1, got "${opts.replanThreshold}"`);
  const p = await pipeline(model, {
    remotes: Object.fromEntries(opts.remote.map(parseRemote)),
    window, codec, token: readToken(opts), tls: readClientTls(opts), timeoutMs: positiveInt(opts.timeout, '--timeout'),
    fallback: opts.fallback as PipelineOptions['fallback'],
    session: { threads: positiveInt(opts.threads, '--threads'), kernels: opts.kernels },
    ...(opts.replan ? { replan: { candidates: opts.candidate, link: opts.replanLink, threshold } } : {}),
  });
  const replans: ReplanEvent[] = [];
  p.on('replan', (e) => {
    replans.push(e);
    if (!opts.json) process.stderr.write(`cleave run: ${describeReplan(e)}\n`);
  });
  let work: Jobs;
  try {
    work = await listJobs(planInputs(p.plan));
  } catch (err) {
    await p.close();
    throw err;
  }
  const bar = startProgress('inputs', work.count, { json: opts.json });
  const written: string[][] = [];
  const inputFiles: (string | undefined)[] = [];
  let results: PipelineResult[];
  const started = performance.now();
  try {
    // Inputs are read and submitted in order; the pipeline's window bounds what is in flight, and
    // results resolve in input order, so outputs are written in order too.
    const runs: Promise<PipelineResult>[] = [];
    for (let i = 0; i < work.count; i++) {
      if (i >= READ_AHEAD) await runs[i - READ_AHEAD]; // a directory of thousands is not read at once
      const job = await work.get(i);
      inputFiles[i] = job.file;
      runs.push(p.run(job.tensors).then(async (r) => {
        if (opts.outputs !== undefined) written[i] = await writeOutputs(opts.outputs, job.file!, r.outputs);
        bar.advance();
        return r;
      }));
    }
    results = await Promise.all(runs);
  } finally {
    bar.stop();
    await p.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const first = results[0]!;
  if (opts.output) await fsp.writeFile(opts.output, bytesOf(first.outputs[0]!));
  const sum = (r: PipelineResult, f: (s: PipelineResult['stages'][number]) => number | undefined) => r.stages.reduce((n, s) => n + (f(s) ?? 0), 0);
  const series: [string, (r: PipelineResult) => number][] = [
    ['end-to-end', (r) => r.endToEndMs],
    ['local compute', (r) => sum(r, (s) => (s.where.startsWith('local') ? s.computeMs : 0))],
    ['encode', (r) => sum(r, (s) => s.encodeMs)],
    ['send + remote + receive', (r) => sum(r, (s) => s.wireMs)],
    ['remote compute', (r) => sum(r, (s) => (s.where.startsWith('local') ? 0 : s.computeMs))],
    ['decode', (r) => sum(r, (s) => s.decodeMs)],
  ];
  const summary = series.map(([name, f]) => {
    const sorted = results.map(f).sort((a, b) => a - b);
    return { stage: name, p50Ms: percentile(sorted, 0.5), p90Ms: percentile(sorted, 0.9), p99Ms: percentile(sorted, 0.99) };
  });
  const throughput = work.count / seconds;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({
      model, codec, window: window ?? 4, runs: work.count, throughputPerSecond: throughput,
      outputs: first.outputs.map((o) => Array.from(o as ArrayLike<number>)),
      summary,
      ...(opts.replan ? { replans } : {}),
      results: results.map((r, i) => ({
        ...(opts.inputs !== undefined ? { input: inputFiles[i], outputFiles: written[i] } : {}),
        cuts: r.cuts, endToEndMs: r.endToEndMs, bytesSent: r.bytesSent, bytesReceived: r.bytesReceived, stages: r.stages,
      })),
    }, null, 2)}\n`);
    return;
  }
  const show = (o: TensorData, limit: number) => {
    const values = Array.from(o as ArrayLike<number>);
    return values.length > limit ? `${values.slice(0, limit).join(', ')}, … (${values.length} values)` : values.join(', ');
  };
  if (opts.inputs === undefined) first.outputs.forEach((o, i) => process.stdout.write(`output ${i}: ${show(o, 32)}\n`));
  else if (opts.outputs === undefined) results.forEach((r, k) => r.outputs.forEach((o, i) => process.stdout.write(`${inputFiles[k]}: output ${i}: ${show(o, 16)}\n`)));
  const f = (n: number) => n.toFixed(3);
  process.stdout.write(`${formatTable(['stage', 'p50 ms', 'p90 ms', 'p99 ms'], summary.map((s) => [s.stage, f(s.p50Ms), f(s.p90Ms), f(s.p99Ms)]))}\n`);
  if (opts.outputs !== undefined) process.stdout.write(`wrote the outputs of ${work.count} input(s) to ${opts.outputs}\n`);
  process.stdout.write(`${work.count} run(s), window ${window ?? 4}, codec ${codec}: ${throughput.toFixed(1)} inferences/s; ` +
    `${first.bytesSent} B sent, ${first.bytesReceived} B received per inference\n`);
}
