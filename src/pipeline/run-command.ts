// `cleave run PLAN.json --remote K=HOST:PORT|serial:PATH[@BAUD] …`: the plan runs as a pipeline, its
// remote segments on `cleave serve` peers. `--repeat N` streams N copies of the input with up to
// `--window` requests in flight per link; a summary of stage times (p50/p90/p99) and throughput closes
// the run. run.ts registers these options and hands remote runs over here.
import { promises as fsp } from 'node:fs';
import type { Command } from 'commander';
import { CleaveError } from '../errors';
import { type CodecName, codecInfo } from '../codec';
import { formatTable } from '../cli/table';
import type { SessionOptions, TensorData } from '../session';
import { type AuthOptions, positiveInt, readClientTls, readToken } from './cli-options';
import { pipeline, type PipelineOptions, type PipelineResult } from './runner';
import { percentile } from '../stats';

export interface RemoteRunOptions extends AuthOptions {
  remote: string[];
  codec?: string;
  window?: string;
  timeout?: string;
  fallback?: string;
  repeat: string;
  output?: string;
  json?: boolean;
  threads?: string;
  kernels?: SessionOptions['kernels'];
}

/** Adds the remote options to `cleave run`. */
export function addRemoteOptions(command: Command): Command {
  return command
    .option('--remote <k=address>', 'run segment K on a `cleave serve` peer (K=HOST:PORT, K=serial:PATH[@BAUD]) or on cleave firmware (K=mcu:PATH[@BAUD], K=mcu:qemu:BOARD) (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--token <token>', 'with --remote: the token the peers expect')
    .option('--token-file <file>', 'with --remote: read the token from the first line of this file')
    .option('--tls-ca <file>', 'with --remote: connect over TLS, trusting this CA for the server certificate')
    .option('--tls-cert <file>', 'with --remote: TLS client certificate (PEM)')
    .option('--tls-key <file>', 'with --remote: its private key (PEM)')
    .option('--codec <codec>', 'with --remote: raw | lossless | ts | tabq | ts+tabq', 'lossless')
    .option('--window <n>', 'with --remote: requests in flight per link', '4')
    .option('--timeout <ms>', 'with --remote: per request attempt', '10000')
    .option('--fallback <mode>', 'with --remote: "local" runs a segment here while its peer is gone; "none" fails those requests', 'none');
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

export async function runRemote(model: string, inputs: Uint8Array[], opts: RemoteRunOptions): Promise<void> {
  if (!model.endsWith('.json')) throw new CleaveError('BAD_ARGUMENT', '--remote runs a split plan (plan.json written by `cleave split`)');
  const repeat = positiveInt(opts.repeat, '--repeat')!;
  const codec = codecInfo(opts.codec ?? 'lossless').name as CodecName;
  const window = positiveInt(opts.window, '--window');
  const p = await pipeline(model, {
    remotes: Object.fromEntries(opts.remote.map(parseRemote)),
    window, codec, token: readToken(opts), tls: readClientTls(opts), timeoutMs: positiveInt(opts.timeout, '--timeout'),
    fallback: opts.fallback as PipelineOptions['fallback'],
    session: { threads: positiveInt(opts.threads, '--threads'), kernels: opts.kernels },
  });
  let results: PipelineResult[];
  const started = performance.now();
  try {
    results = await Promise.all(Array.from({ length: repeat }, () => p.run(inputs)));
  } finally {
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
  const throughput = repeat / seconds;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({
      model, codec, window: window ?? 4, runs: repeat, throughputPerSecond: throughput,
      outputs: first.outputs.map((o) => Array.from(o as ArrayLike<number>)),
      summary,
      results: results.map((r) => ({ endToEndMs: r.endToEndMs, bytesSent: r.bytesSent, bytesReceived: r.bytesReceived, stages: r.stages })),
    }, null, 2)}\n`);
    return;
  }
  first.outputs.forEach((o, i) => {
    const values = Array.from(o as ArrayLike<number>);
    const shown = values.length > 32 ? `${values.slice(0, 32).join(', ')}, … (${values.length} values)` : values.join(', ');
    process.stdout.write(`output ${i}: ${shown}\n`);
  });
  const f = (n: number) => n.toFixed(3);
  process.stdout.write(`${formatTable(['stage', 'p50 ms', 'p90 ms', 'p99 ms'], summary.map((s) => [s.stage, f(s.p50Ms), f(s.p90Ms), f(s.p99Ms)]))}\n`);
  process.stdout.write(`${repeat} run(s), window ${window ?? 4}, codec ${codec}: ${throughput.toFixed(1)} inferences/s; ` +
    `${first.bytesSent} B sent, ${first.bytesReceived} B received per inference\n`);
}
