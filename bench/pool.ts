// Load test of a tail worker pool behind Mosquitto on loopback: `node dist/bench/pool.js [--heads 20]
// [--requests 1000] [--workers 3] [--window 4]`, also a section of `npm run bench`. Each head is a
// `cleave.pipeline(plan, { remotes: { 1: 'mqtt://…' } })` with its own MQTT client; the workers are
// `cleave serve --mqtt` processes sharing the segment's request topic. The plan is hello_world cut
// after its first op (16 int8 values cross the cut), so what is measured is the broker path, not the
// model. An observer subscribed to the request and reply topics counts every message by request id:
// no request may go unanswered (loss) and none may be answered twice (duplicates). Prints one JSON
// object: p50/p99 of the remote stage's round trip and of end-to-end (each head keeps `window` requests
// going), throughput, and the peak RSS of
// the heads' process, of each worker and of the broker. Skips (`skipped`) without mosquitto.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { pipeline, type Pipeline, type PipelineResult } from '../src/pipeline/runner';
import { packageRoot } from '../src/paths';
import { readModelFile } from '../src/model/reader';
import { writePlan } from '../src/segments/plan';
import { load } from '../src/session';
import { percentile } from '../src/stats';
import { Mosquitto, mosquittoMissing } from '../test/telemetry/mosquitto';

export interface PoolBenchOptions {
  heads: number;
  requests: number;
  workers: number;
  window: number;
  modelsDir?: string;
}

export interface PoolBenchResult {
  bench: 'mqtt-pool';
  heads: number;
  requestsPerHead: number;
  workers: number;
  window: number;
  requests: number;
  /** Requests with no result (a failed run) or no reply seen by the observer. */
  lost: number;
  /** Replies beyond the first for a request id, as the broker delivered them. */
  duplicateReplies: number;
  /** Requests published more than once (RETRY after a timeout). */
  resends: number;
  /** Results whose output differs from the whole model's. */
  wrongOutputs: number;
  seconds: number;
  requestsPerSecond: number;
  /** The remote stage: publish, broker, worker, broker, receive (ms). */
  roundTripP50Ms: number;
  roundTripP99Ms: number;
  endToEndP50Ms: number;
  endToEndP99Ms: number;
  /** Peak resident set size (MiB) while the load ran. */
  rssMiB: { heads: number; workers: number[]; broker: number };
  loadAverage: number[];
  /** Failures, named; empty when the run met every assertion. */
  errors: string[];
}

export type PoolBenchOutcome = PoolBenchResult | { bench: 'mqtt-pool'; skipped: string };

const round = (v: number, digits = 3) => Math.round(v * 10 ** digits) / 10 ** digits;

/** VmRSS of a process in MiB (0 once it is gone). */
function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function startWorker(plan: string, url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(packageRoot, 'bin', 'cleave'), 'serve', plan, '--segment', '1', '--mqtt', url,
    '--username', 'fleet', '--password', 'secret', '--threads', '1', '--max-in-flight', '8'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (/^serving /m.test(d.toString())) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`pool worker exited with ${code}: ${err}`)));
  });
}

/** Counts every request and reply message by request id (topic of the head + correlation data). */
async function observe(url: string): Promise<{ requests: Map<string, number>; replies: Map<string, number>; close: () => Promise<void> }> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 5, username: 'fleet', password: 'secret' });
  const requests = new Map<string, number>();
  const replies = new Map<string, number>();
  client.on('message', (topic, payload, packet) => {
    const id = packet.properties?.correlationData?.toString('hex');
    // Requests and replies share the frame's request id; the head is the response topic (requests) or the topic (replies).
    if (topic.endsWith('/req')) {
      // Only tensor requests (type 3) count: the hello is not a request.
      if (payload[5] !== 3) return;
      const key = `${packet.properties?.responseTopic}#${id}`;
      requests.set(key, (requests.get(key) ?? 0) + 1);
    } else {
      if (payload[5] !== 4) return;
      const key = `${topic}#${id}`;
      replies.set(key, (replies.get(key) ?? 0) + 1);
    }
  });
  await client.subscribeAsync(['cleave/v1/bench/pool/seg1/req', 'cleave/v1/bench/pool/reply/+'], { qos: 1 });
  return { requests, replies, close: () => client.endAsync(true) };
}

export async function poolBench(o: PoolBenchOptions): Promise<PoolBenchOutcome> {
  const missing = mosquittoMissing();
  if (missing) return { bench: 'mqtt-pool', skipped: missing };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-pool-bench-'));
  const workers: ChildProcess[] = [];
  let broker: Mosquitto | undefined;
  const heads: Pipeline[] = [];
  try {
    const modelFile = path.join(o.modelsDir ?? path.join(packageRoot, 'models'), 'tflm_hello_world', 'model.tflite');
    await writePlan(readModelFile(modelFile), [1], path.join(tmp, 'plan'));
    const plan = path.join(tmp, 'plan', 'plan.json');
    fs.mkdirSync(path.join(tmp, 'broker'));
    broker = await Mosquitto.start(path.join(tmp, 'broker'));
    const brokerPid = broker.pid;
    const url = `mqtt://fleet:secret@127.0.0.1:${broker.port}/bench`;
    workers.push(...await Promise.all(Array.from({ length: o.workers }, () => startWorker(plan, url))));
    const observer = await observe(broker.url);

    // One input per head, and the whole model's answer to it.
    const whole = await load(modelFile, { threads: 1 });
    const inputs = Array.from({ length: o.heads }, (_, h) => Int8Array.from({ length: whole.inputs[0]!.byteLength }, (_, i) => ((h * 37 + i * 11) % 256) - 128));
    const hex = (t: ArrayBufferView) => Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString('hex');
    const expected = await Promise.all(inputs.map(async (x) => hex((await whole.run(x))[0]!)));
    whole.dispose();
    for (let h = 0; h < o.heads; h++) heads.push(await pipeline(plan, { remotes: { 1: url }, window: o.window, timeoutMs: 5000, retries: 5, session: { threads: 1 } }));

    const peak = { heads: 0, workers: workers.map(() => 0), broker: 0 };
    const sample = () => {
      peak.heads = Math.max(peak.heads, process.memoryUsage.rss() / 2 ** 20);
      workers.forEach((w, i) => (peak.workers[i] = Math.max(peak.workers[i]!, rssMiB(w.pid))));
      peak.broker = Math.max(peak.broker, rssMiB(brokerPid));
    };
    const sampler = setInterval(sample, 100);
    const started = performance.now();
    // Each head keeps `window` requests going (a closed loop), so end-to-end is one request's time, not a queue's.
    const settled = await Promise.all(heads.map(async (p, h) => {
      const runs: PromiseSettledResult<PipelineResult>[] = [];
      const loop = async () => {
        while (runs.length < o.requests) {
          const slot = runs.length;
          runs.push({ status: 'rejected', reason: new Error('not run') });
          runs[slot] = await p.run(inputs[h]!).then((value) => ({ status: 'fulfilled', value }), (reason: unknown) => ({ status: 'rejected', reason }));
        }
      };
      await Promise.all(Array.from({ length: o.window }, loop));
      return runs;
    }));
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    sample();
    await new Promise((r) => setTimeout(r, 300)); // late duplicates, if any, reach the observer
    await observer.close();

    const errors: string[] = [];
    const results: PipelineResult[] = [];
    let failed = 0;
    let wrongOutputs = 0;
    settled.forEach((runs, h) => runs.forEach((s) => {
      if (s.status === 'rejected') {
        failed++;
        if (errors.length < 5) errors.push(`head ${h}: ${(s.reason as Error).message}`);
        return;
      }
      results.push(s.value);
      if (hex(s.value.outputs[0]!) !== expected[h]) wrongOutputs++;
    }));
    const total = o.heads * o.requests;
    const unanswered = [...observer.requests.keys()].filter((k) => !observer.replies.has(k)).length;
    const lost = failed + unanswered + Math.max(0, total - observer.requests.size);
    const duplicateReplies = [...observer.replies.values()].reduce((n, c) => n + c - 1, 0);
    const resends = [...observer.requests.values()].reduce((n, c) => n + c - 1, 0);
    if (lost > 0) errors.push(`${lost} of ${total} requests lost`);
    if (duplicateReplies > 0) errors.push(`${duplicateReplies} duplicate replies`);
    if (wrongOutputs > 0) errors.push(`${wrongOutputs} outputs differ from the whole model's`);
    const sorted = (f: (r: PipelineResult) => number) => results.map(f).sort((a, b) => a - b);
    const roundTrip = sorted((r) => r.stages[1]!.wireMs ?? 0);
    const endToEnd = sorted((r) => r.endToEndMs);
    const q = (s: number[], p: number) => (s.length ? round(percentile(s, p)) : 0);
    return {
      bench: 'mqtt-pool', heads: o.heads, requestsPerHead: o.requests, workers: o.workers, window: o.window, requests: total,
      lost, duplicateReplies, resends, wrongOutputs,
      seconds: round(seconds), requestsPerSecond: Math.round(results.length / seconds),
      roundTripP50Ms: q(roundTrip, 0.5), roundTripP99Ms: q(roundTrip, 0.99), endToEndP50Ms: q(endToEnd, 0.5), endToEndP99Ms: q(endToEnd, 0.99),
      rssMiB: { heads: round(peak.heads, 1), workers: peak.workers.map((v) => round(v, 1)), broker: round(peak.broker, 1) },
      loadAverage: os.loadavg().map((v) => round(v, 2)),
      errors,
    };
  } finally {
    await Promise.allSettled(heads.map((p) => p.close()));
    for (const w of workers) w.kill('SIGTERM');
    await broker?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`usage: node dist/bench/pool.js [--heads N] [--requests N] [--workers N] [--window N]: ${name} must be a positive integer\n`);
    process.exit(2);
  }
  return v;
}

if (require.main === module) {
  const options = { heads: flag('--heads', 20), requests: flag('--requests', 1000), workers: flag('--workers', 3), window: flag('--window', 4) };
  poolBench(options).then((r) => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    if ('errors' in r && r.errors.length > 0) process.exitCode = 1;
  }, (err: unknown) => {
    process.stderr.write(`bench/pool: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
