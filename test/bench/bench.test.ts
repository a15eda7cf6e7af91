// Smoke test of `npm run bench -- --quick --json FILE`: it runs, exits 0 and writes the documented
// JSON (docs/benchmarks.md). No timing is asserted (machines are noisy); what is asserted is shape,
// and that cleave's outputs are bit-identical across thread counts and with the reference kernels.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nodeOnTerminal } from '../lib/cli';

const repoRoot = path.resolve(__dirname, '..', '..');
const script = path.join(repoRoot, 'dist', 'bench', 'run.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-bench-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** dist/bench/run.js, compiled by tsc when it is missing or older than a bench/ source. */
function ensureBuilt(): string | null {
  const newest = Math.max(...fs.readdirSync(path.join(repoRoot, 'bench')).filter((f) => f.endsWith('.ts'))
    .map((f) => fs.statSync(path.join(repoRoot, 'bench', f)).mtimeMs));
  if (fs.existsSync(script) && fs.statSync(script).mtimeMs >= newest) return null;
  const tsc = require.resolve('typescript/bin/tsc', { paths: [repoRoot] });
  // tsc still emits when other parts of the tree have type errors; what matters is the bench output.
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(repoRoot, 'tsconfig.json')], { cwd: repoRoot, encoding: 'utf8', timeout: 300_000 });
  return fs.existsSync(script) ? null : `tsc did not produce ${script}: ${r.stdout}${r.stderr}`;
}

function bench(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [script, ...args], {
    cwd: repoRoot, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 240_000, maxBuffer: 16 * 1024 * 1024,
  });
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

interface Json {
  [key: string]: unknown;
  models: Record<string, unknown>[];
  micro: Record<string, unknown>[];
}

const buildError = ensureBuilt();

t.test('dist/bench/run.js is built', async (t) => {
  t.equal(buildError, null);
});

t.test('npm run bench -- --quick --json FILE', { skip: buildError ?? false }, async (t) => {
  const out = path.join(tmp, 'quick.json');
  const r = bench(['--quick', '--json', out]);
  t.equal(r.status, 0, 'exits 0', { stdout: r.stdout, stderr: r.stderr });
  t.notMatch(r.stderr, /bench \[/, 'no progress bar in a pipe');
  t.match(r.stdout, /int8 MAC ceiling: /, 'prints the ceiling');
  t.match(r.stdout, /microbenchmark\s+thr\s+cleave µs/, 'prints the micro table');
  t.ok(fs.existsSync(out), 'wrote the JSON');
  const j = JSON.parse(fs.readFileSync(out, 'utf8')) as Json;

  // Top level.
  t.ok(isNumber(j.peakGmacPerCore) && j.peakGmacPerCore > 0, `peakGmacPerCore is a positive number (${j.peakGmacPerCore}; ${j.peakError ?? ''})`);
  t.type(j.peakLoop, 'string');
  // shareOfPeak divides by the best ceiling this CPU has (vpdpbusd where present), the base share by the AVX2/NEON loop.
  const ceiling = j.ceilingGmacPerCore as number;
  t.equal(ceiling, Math.max(j.peakGmacPerCore as number, (j.peakVnniGmacPerCore as number | null) ?? 0), 'the ceiling is the best loop');
  t.equal(j.ceilingLoop, j.peakVnniGmacPerCore !== null && (j.peakVnniGmacPerCore as number) > (j.peakGmacPerCore as number) ? 'avx512-vpdpbusd' : j.peakLoop);
  t.type(j.cpu, 'string');
  t.ok(!Number.isNaN(Date.parse(j.date as string)), 'date is an ISO date');
  t.equal(j.quick, true);
  t.same(j.errors, [], 'no errors recorded');

  // Models: every shipped model at 1 and 2 threads, bit-exact with the reference kernels.
  t.ok(j.models.length >= 2, `${j.models.length} model rows`);
  const models = new Map<string, Record<string, unknown>[]>();
  for (const m of j.models) {
    t.notOk('error' in m, `${m.model}: ran (${m.error ?? ''})`);
    for (const k of ['medianUs', 'p90Us', 'macs', 'gmacPerSec', 'scalarMedianUs', 'speedupOverScalar']) {
      t.ok(isNumber(m[k]), `${m.model}/${m.threads}: ${k} is a number`);
    }
    t.ok((m.p90Us as number) >= (m.medianUs as number), `${m.model}/${m.threads}: p90 >= median`);
    t.ok(isNumber(m.shareOfPeak), `${m.model}/${m.threads}: shareOfPeak is a number`);
    t.ok(Math.abs((m.shareOfPeak as number) * ceiling - (m.shareOfBasePeak as number) * (j.peakGmacPerCore as number)) <= 1e-3 * (m.gmacPerSec as number) + 1e-3,
      `${m.model}/${m.threads}: both shares describe the same speed`);
    t.type(m.kernels, 'string');
    t.equal(m.matchesReference, true, `${m.model}/${m.threads}: same bytes as the reference kernels`);
    models.set(m.model as string, [...(models.get(m.model as string) ?? []), m]);
  }
  for (const [name, rows] of models) {
    t.same(rows.map((r) => r.threads), [1, 2], `${name}: 1 and 2 threads`);
    t.equal(new Set(rows.map((r) => r.outputSha256)).size, 1, `${name}: outputs bit-identical across threads`);
  }

  // Whole models against ORT: every measured model at 1 and 2 threads, cleave's await run() always,
  // ORT's int8 and fp32 peers wherever the converter maps the model (all six with goldens do).
  const ortError = (j.ort as { error: string | null }).error;
  const peers = j.modelPeers as Record<string, unknown>[];
  t.match(r.stdout, /whole models against onnxruntime-node[^\n]*\nmodel\s+thr\s+kernels\s+cleave µs\s+ORT int8 µs\s+ORT fp32 µs/, 'prints the whole-model table');
  t.same([...new Set(peers.map((p) => p.model))], [...models.keys()], 'a comparison for every measured model');
  for (const p of peers) {
    const at = `${p.model}/${p.threads}`;
    t.ok(isNumber((p.cleave as Record<string, unknown>).wallMedianUs), `${at}: cleave wallMedianUs`);
    t.equal(p.kernels, models.get(p.model as string)![0]!.kernels, `${at}: the kernel set of the model rows`);
    const convertible = p.model !== 'tflm_keyword_scrambled'; // QUANTIZE to int16, SVDF: no ONNX mapping
    if (ortError || !convertible) {
      t.equal(p.ortInt8, null);
      t.equal(p.ratio, null);
      t.match(p.ortError, ortError ? /./ : /op 0 \(QUANTIZE\): .*no ONNX mapping/, `${at}: says why ORT was not measured (${p.ortError})`);
      continue;
    }
    for (const v of ['ortInt8', 'ortFp32']) t.ok(isNumber((p[v] as Record<string, unknown>).wallMedianUs), `${at}: ${v}.wallMedianUs`);
    const fastest = Math.min(...['ortInt8', 'ortFp32'].map((v) => (p[v] as { wallMedianUs: number }).wallMedianUs));
    t.ok(Math.abs((p.ratio as number) - (p.cleave as { wallMedianUs: number }).wallMedianUs / fastest) < 0.01 * (p.ratio as number) + 0.001,
      `${at}: ratio against ORT's faster variant (${p.ratio} vs ${p.ortFastest})`);
    t.ok(isNumber(p.ortInt8MaxDiffLsb), `${at}: cleave vs ORT int8 difference recorded (${p.ortInt8MaxDiffLsb} LSB)`);
  }

  // Issue 14's whole-model targets, quoted at the end with the figures of this run.
  const targets = j.wholeModelTargets as { target: string; measured: number | null; met: boolean | null }[];
  t.equal(targets.length, 8, 'five 1-thread ratios and three 2-thread speed-ups');
  for (const c of targets) {
    if (ortError && c.target.includes('ORT')) t.equal(c.met, null, `${c.target}: not measured without ORT`);
    else t.ok(isNumber(c.measured) && typeof c.met === 'boolean', `${c.target}: ${c.measured} (${c.met ? 'met' : 'not met'})`);
  }
  t.match(r.stdout, /whole-model targets of issue 14[^\n]*\nmlperf_tiny_kws, 1 thread: cleave \/ ORT's faster variant ≤ 0\.7\s+\S+\s+(met|not met)\n/);

  // Call overhead: cleave's run(), run() on the worker and runSync() beside ORT's run(), one process.
  const call = j.callOverhead as Record<string, unknown>;
  t.equal(call.model, 'tflm_hello_world');
  for (const k of ['runUs', 'runOnWorkerUs', 'runSyncUs']) t.ok(isNumber(call[k]) && (call[k] as number) > 0, `callOverhead.${k}`);
  if (!(j.ort as { error: string | null }).error) t.ok(isNumber(call.ortRunUs) && isNumber(call.runToOrt), 'ORT measured beside it');
  t.match(r.stdout, /call overhead .*\n.*\ncleave await run\(\) .*\n.*\ncleave runSync\(\) .*\nonnxruntime-node await run\(\)/, 'prints both rows for both runtimes');

  // Thread pool hand-off: three cases, each a positive time and the share of tasks the worker ran.
  const handoff = j.threadHandoff as Record<string, Record<string, number>> | null;
  t.ok(handoff, 'thread hand-off measured');
  for (const k of ['empty', 'split', 'parked']) {
    const c = handoff?.[k];
    t.ok(c && isNumber(c.minUs) && c.minUs >= 0 && isNumber(c.medianUs) && c.medianUs >= c.minUs, `threadHandoff.${k} times`);
    t.ok(c && c.workerShare >= 0 && c.workerShare <= 1, `threadHandoff.${k}.workerShare in [0, 1]`);
  }
  t.match(r.stdout, /thread pool hand-off .*\nempty parallel-for, back to back +min/, 'prints the hand-off rows');

  // Microbenchmarks: the three cases at 1 and 2 threads; cleave's bytes identical across threads.
  const names = [...new Set(j.micro.map((m) => m.name as string))];
  t.same(names, ['conv3x3_64to64_56x56', 'fc_1x1024x1024', 'fc_256x512x512']);
  const ort = j.ort as { version: string | null; error: string | null };
  if (ort.error) t.comment(`onnxruntime-node not measured: ${ort.error}`);
  for (const name of names) {
    const rows = j.micro.filter((m) => m.name === name);
    t.same(rows.map((r) => r.threads), [1, 2], `${name}: 1 and 2 threads`);
    t.equal(new Set(rows.map((r) => r.outputSha256)).size, 1, `${name}: cleave's outputs bit-identical between 1 and 2 threads`);
    for (const m of rows) {
      t.ok(isNumber(m.cleaveUs) && (m.cleaveUs as number) > 0, `${name}/${m.threads}: cleaveUs`);
      t.equal(m.matchesReference, true, `${name}/${m.threads}: same bytes as the reference kernels`);
      if (ort.error) {
        t.equal(m.ortUs, null);
        t.type(m.ortError, 'string', `${name}/${m.threads}: says why ORT was not measured`);
      } else if (m.ortUs === null) {
        t.type(m.ortError, 'string', `${name}/${m.threads}: ORT failed and says why (${m.ortError})`);
      } else {
        t.ok(isNumber(m.ortUs) && isNumber(m.ratio), `${name}/${m.threads}: ortUs and ratio`);
        // Not bounded: ORT's AVX2 u8s8 path saturates in int16 on some inputs (docs/benchmarks.md).
        t.ok(isNumber(m.maxDiffLsb), `${name}/${m.threads}: cleave vs ORT max difference recorded (${m.maxDiffLsb} LSB)`);
      }
    }
  }

  // The MQTT worker pool load test (skipped, saying why, without mosquitto) and the telemetry cost.
  const pool = j.pool as Record<string, unknown>;
  if (typeof pool.skipped === 'string') t.comment(`pool load test skipped: ${pool.skipped}`);
  else t.match(pool, { bench: 'mqtt-pool', heads: 20, lost: 0, duplicateReplies: 0, wrongOutputs: 0, requestsPerSecond: Number, roundTripP99Ms: Number, rssMiB: { broker: Number } });
  const telemetry = j.telemetry as { rows: unknown[]; defaultSampleRate: number };
  t.equal(telemetry.rows.length, 4, 'file and MQTT, at sampling 1 and at the default');
  t.ok(isNumber(j.telemetryOverheadPct), `telemetryOverheadPct (${j.telemetryOverheadPct} % at sampling ${telemetry.defaultSampleRate})`);
});

t.test('without onnxruntime-node the JSON says why and cleave is still measured', { skip: buildError ?? false }, async (t) => {
  const out = path.join(tmp, 'no-ort.json');
  const r = bench(['--quick', '--no-pool', '--no-telemetry', '--no-wire', '--only', 'fc_1x1024,hello', '--json', out], { CLEAVE_BENCH_ORT: path.join(tmp, 'no-such-module') });
  t.equal(r.status, 0, 'exits 0', { stdout: r.stdout, stderr: r.stderr });
  const j = JSON.parse(fs.readFileSync(out, 'utf8')) as Json;
  t.match((j.ort as { error: string }).error, /cannot load .*no-such-module/);
  t.match(r.stdout, /whole models against onnxruntime-node[^\n]*\nonnxruntime-node: cannot load/, 'the whole-model table says ORT is absent');
  const peers = j.modelPeers as Record<string, unknown>[];
  t.same(peers.map((p) => [p.model, p.threads]), [['tflm_hello_world', 1], ['tflm_hello_world', 2]]);
  for (const p of peers) {
    t.ok(isNumber((p.cleave as Record<string, unknown>).wallMedianUs), 'cleave measured');
    t.equal(p.ortInt8, null);
    t.equal(p.ortFp32, null);
    t.equal(p.ratio, null);
    t.match(p.ortError, /cannot load/);
  }
  const targets = j.wholeModelTargets as { measured: number | null; met: boolean | null }[];
  t.ok(targets.length > 0 && targets.every((c) => c.met === null && c.measured === null), 'no target verdict without the models or ORT');
  t.equal(j.micro.length, 2);
  for (const m of j.micro) {
    t.ok(isNumber(m.cleaveUs), 'cleave measured');
    t.equal(m.ortUs, null);
    t.equal(m.ratio, null);
    t.match(m.ortError, /cannot load/);
  }
});

t.test('bad arguments exit 2 with usage', { skip: buildError ?? false }, async (t) => {
  const r = bench(['--threads', '0']);
  t.equal(r.status, 2);
  t.match(r.stderr, /--threads wants integers/);
  t.match(r.stderr, /usage: npm run bench/);
});

t.test('on a terminal a progress bar runs over the model and microbenchmark rows', { skip: buildError ?? false }, async (t) => {
  const out = path.join(tmp, 'tty.json');
  const r = nodeOnTerminal([script, '--quick', '--only', 'hello_world,fc_256', '--threads', '1', '--no-ort', '--no-pool', '--no-telemetry', '--no-wire', '--json', out]);
  if (!r) {
    t.skip('script (util-linux) is not installed: no pseudo-terminal to test on');
    return;
  }
  t.equal(r.status, 0, r.stdout);
  // hello_world twice (its own row, then its row against onnxruntime-node) and fc_256 once.
  t.match(r.stdout, /bench \[.*\] [123]\/3/, 'the bar counts the rows');
  t.match(r.stdout, /tflm_hello_world/, 'and the rows print');
});
