// npm run bench [-- --quick] [-- --json FILE]: cleave's performance on this machine, as a share of
// the machine's int8 MAC ceiling and against onnxruntime-node in the same process. What is measured
// and how: docs/benchmarks.md.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { compileGraph } from '../src/compile/program';
import type { Graph } from '../src/model/graph';
import { summarize } from '../src/model/analysis';
import { readModel } from '../src/model/reader';
import { binding } from '../src/native';
import { startProgress, type Progress } from '../src/cli/progress';
import { packageRoot } from '../src/paths';
import { Session, type TensorData } from '../src/session';
import { loadBenchBinding, type BenchBinding } from './native';
import { measureCallOverhead, type CallOverhead } from './overhead';
import { describeThreadHandoff, measureThreadHandoff, type ThreadHandoff } from './handoff';
import { loadOrt, ortOverhead, ortSession, type OrtModule } from './ort';
import { msSince, nowNs, quantile, round, timeAsync, timeSync, type Budget, type Samples } from './timing';
import { microCases, type MicroCase } from './micro';
import { measureModelPeers, PEER_ROUNDS, wholeModelTargets, type ModelPeerRow, type TargetCheck } from './model-peers';
import { prng } from '../test/fuzz/mutate';
import { poolBench, type PoolBenchOutcome } from './pool';
import { telemetryCostBench, type TelemetryCostResult } from './telemetry';
import { describeWireBench, wireBench, type WireBenchResult } from './wire';

export const SCHEMA_VERSION = 1;

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  quick: boolean;
  json: string | null;
  modelsDir: string;
  only: string[];
  threads: number[];
  ort: boolean;
  models: boolean;
  micro: boolean;
  pool: boolean;
  telemetry: boolean;
  wire: boolean;
  peakMs: number;
}

/** The bar over the models and microbenchmarks while they run (on a terminal only), else silent. */
let progress: Progress = startProgress('bench', 0);

/** Report lines go to stdout, above the progress bar while one runs. */
function print(text: string): void {
  progress.print(text);
}

const USAGE = `usage: npm run bench -- [options]
  --quick            far fewer iterations (CI smoke run, well under a minute)
  --json FILE        write the results there (default: bench/results/<date>.json)
  --models DIR       shipped models root (default: the package's models/; env CLEAVE_MODELS)
  --only NAME[,..]   only models and microbenchmarks whose name contains one of these
  --threads LIST     thread counts, comma separated (default: 1,2)
  --no-ort           do not load onnxruntime-node (micro and whole-model rows then say why)
  --no-models        skip the shipped models (and their comparison with onnxruntime-node)
  --no-micro         skip the microbenchmarks
  --no-pool          skip the MQTT worker pool load test (bench/pool.ts)
  --no-telemetry     skip the telemetry cost (bench/telemetry.ts)
  --no-wire          skip the wire protocol (round trip, pipelined, shaped link, serial; bench/wire.ts)
  --peak-ms N        length of the ceiling measurement in ms (default: 200)
  -h, --help         this text`;

class UsageError extends Error {}

export function parseArgs(argv: string[]): Options {
  const o: Options = {
    quick: false, json: null,
    modelsDir: process.env.CLEAVE_MODELS ?? path.join(packageRoot, 'models'),
    only: [], threads: [1, 2], ort: true, models: true, micro: true, pool: true, telemetry: true, wire: true, peakMs: 200,
  };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '--quick': o.quick = true; break;
      case '--json': o.json = path.resolve(value(i, a)); i++; break;
      case '--models': o.modelsDir = path.resolve(value(i, a)); i++; break;
      case '--only': o.only.push(...value(i, a).split(',').filter(Boolean)); i++; break;
      case '--threads': {
        o.threads = value(i, a).split(',').map(Number);
        if (o.threads.length === 0 || o.threads.some((t) => !Number.isInteger(t) || t < 1 || t > 256)) {
          throw new UsageError(`--threads wants integers from 1 to 256, got ${argv[i + 1]}`);
        }
        i++;
        break;
      }
      case '--no-ort': o.ort = false; break;
      case '--no-models': o.models = false; break;
      case '--no-micro': o.micro = false; break;
      case '--no-pool': o.pool = false; break;
      case '--no-telemetry': o.telemetry = false; break;
      case '--no-wire': o.wire = false; break;
      case '--peak-ms': {
        o.peakMs = Number(value(i, a));
        if (!(o.peakMs > 0 && o.peakMs <= 60000)) throw new UsageError(`--peak-ms wants a number of ms in (0, 60000], got ${argv[i + 1]}`);
        i++;
        break;
      }
      case '-h': case '--help': throw new UsageError('');
      default: throw new UsageError(`unknown argument ${a}`);
    }
  }
  return o;
}

const BUDGETS = {
  full: {
    fast: { warmupIters: 10, warmupMs: 200, minIters: 50, minMs: 2000, maxIters: 200_000 },
    scalar: { warmupIters: 1, warmupMs: 0, minIters: 5, minMs: 1000, maxIters: 10_000 },
  },
  quick: {
    fast: { warmupIters: 2, warmupMs: 0, minIters: 5, minMs: 40, maxIters: 2_000 },
    scalar: { warmupIters: 1, warmupMs: 0, minIters: 2, minMs: 0, maxIters: 2 },
  },
} satisfies Record<string, Record<string, Budget>>;

/** One round of one runtime in the whole-model comparison (PEER_ROUNDS rounds × 3 runtimes per row). */
const PEER_BUDGETS = {
  full: { warmupIters: 5, warmupMs: 50, minIters: 20, minMs: 150, maxIters: 100_000 },
  quick: { warmupIters: 1, warmupMs: 0, minIters: 3, minMs: 5, maxIters: 1_000 },
} satisfies Record<string, Budget>;

function sha256(outputs: readonly ArrayBufferView[]): string {
  const h = createHash('sha256');
  for (const o of outputs) h.update(new Uint8Array(o.buffer, o.byteOffset, o.byteLength));
  return h.digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Results

export interface ModelRow {
  model: string;
  threads: number;
  kernels: string;
  /** Interpreter time (the primary figure), µs. */
  medianUs: number;
  p90Us: number;
  /** Wall time of Session.runSync (validation, copies, result objects included), µs. */
  wallMedianUs: number;
  wallP90Us: number;
  iterations: number;
  macs: number;
  gmacPerSec: number;
  /** gmacPerSec / (ceilingGmacPerCore * threads): against the best ceiling of this CPU; null without one. */
  shareOfPeak: number | null;
  /** gmacPerSec / (peakGmacPerCore * threads): against the AVX2 (x86) or NEON (arm64) loop. */
  shareOfBasePeak: number | null;
  /** The scalar reference kernels, one thread, interpreter time, same input, same run. */
  scalarMedianUs: number;
  scalarIterations: number;
  speedupOverScalar: number;
  /** The first run's outputs (after resetState) equal the reference kernels' bytes. */
  matchesReference: boolean;
  outputSha256: string;
}

export interface MicroRow {
  name: string;
  threads: number;
  kernels: string;
  macs: number;
  /** cleave: wall time of `await session.runDetailed()` (run() with its interpreter time), µs (the figure compared with ORT's wall time of its own `await run()`). */
  cleaveUs: number;
  cleaveP90Us: number;
  /** cleave: interpreter time only, µs. */
  cleaveInterpUs: number;
  cleaveGmacPerSec: number;
  cleaveShareOfPeak: number | null;
  cleaveShareOfBasePeak: number | null;
  iterations: number;
  /** onnxruntime-node: wall time of `await session.run(feeds)`, µs; null when ORT could not run it. */
  ortUs: number | null;
  ortP90Us: number | null;
  ortGmacPerSec: number | null;
  ortShareOfPeak: number | null;
  ortShareOfBasePeak: number | null;
  ortIterations: number | null;
  /** cleaveUs / ortUs: below 1, cleave is faster. */
  ratio: number | null;
  /** Why ortUs is null. */
  ortError?: string;
  outputSha256: string;
  matchesReference: boolean;
  /** Largest |cleave - ORT| output difference in LSB (requantization rounding differs slightly). */
  maxDiffLsb: number | null;
}

export interface BenchResult {
  schemaVersion: number;
  /** int8 MAC ceiling of one core, GMAC/s (the loop named by peakLoop); null when unavailable. */
  peakGmacPerCore: number | null;
  peakLoop: string;
  peakSamples: number[];
  peakError?: string;
  /** AVX-512 VNNI ceiling (vpdpbusd) where the CPU has it; else null. */
  peakVnniGmacPerCore: number | null;
  /** The best of the two ceilings, which every shareOfPeak divides by, and its loop. */
  ceilingGmacPerCore: number | null;
  ceilingLoop: string;
  cpu: string;
  cpuFeatures: Record<string, unknown>;
  cores: number;
  loadAverage: number[];
  node: string;
  date: string;
  quick: boolean;
  command: string;
  budgets: Record<string, Budget>;
  ort: { version: string | null; error: string | null };
  ortCallOverheadUs: number | null;
  /** cleave's run() and runSync() beside ORT's run(), in one process (bench/overhead.ts); null when not measured. */
  callOverhead: CallOverhead | null;
  /** What handing an op's tasks to the thread pool costs (bench/handoff.ts); null without the bench addon or with --no-micro. */
  threadHandoff: ThreadHandoff | null;
  models: (ModelRow | { model: string; error: string })[];
  /** Whole models, cleave's await run() against ORT's on the int8 and fp32 ONNX peers (bench/model-peers.ts). */
  modelPeers: ModelPeerRow[];
  /** Issue 14's whole-model targets against modelPeers (met: null where this run did not measure it). */
  wholeModelTargets: TargetCheck[];
  micro: MicroRow[];
  /** 20 head clients against a pool of tails through Mosquitto (bench/pool.ts); null when not run. */
  pool: PoolBenchOutcome | null;
  /** What telemetry costs a person_detect inference (bench/telemetry.ts); null when not run. */
  telemetry: TelemetryCostResult | null;
  /** telemetry.telemetryOverheadPct: the worst sink at the default sampling, % of an inference (target < 2). */
  telemetryOverheadPct: number | null;
  /** bench/wire.ts: the wire protocol's round trip, pipelined runs, a shaped link, serial; null with --no-wire. */
  wire: WireBenchResult | null;
  errors: string[];
}

function cpuName(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1]!.trim();
  } catch {
    // not Linux: fall through
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------
// Benchmarks

interface ModelFile {
  name: string;
  file: string;
}

/** A measured model, kept for the comparison with ORT: its graph, Program and the input it ran. */
interface PeerCandidate {
  name: string;
  graph: Graph;
  program: Uint8Array;
  /** The input's bytes (its dtype is the model's). */
  input: Uint8Array;
}

export function shippedModels(root: string): ModelFile[] {
  const list: ModelFile[] = [];
  for (const base of [root, path.join(root, 'extra')]) {
    if (!fs.existsSync(base)) continue;
    for (const name of fs.readdirSync(base).sort()) {
      const file = path.join(base, name, 'model.tflite');
      if (fs.existsSync(file)) list.push({ name, file });
    }
  }
  return list;
}

function randomInputs(session: Session, seed: number): Uint8Array[] {
  const rand = prng(seed);
  return session.inputs.map((spec) => Uint8Array.from({ length: spec.byteLength }, () => Math.floor(rand() * 256)));
}

function sameBytes(a: readonly ArrayBufferView[], b: readonly ArrayBufferView[]): boolean {
  return a.length === b.length && a.every((x, i) => Buffer.compare(
    Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(b[i]!.buffer, b[i]!.byteOffset, b[i]!.byteLength)) === 0);
}

class Bench {
  readonly result: BenchResult;
  private readonly budget: { fast: Budget; scalar: Budget };
  private readonly peerBudget: Budget;
  private peak: BenchBinding | null = null;

  constructor(private readonly o: Options, command: string) {
    this.budget = o.quick ? BUDGETS.quick : BUDGETS.full;
    this.peerBudget = o.quick ? PEER_BUDGETS.quick : PEER_BUDGETS.full;
    this.result = {
      schemaVersion: SCHEMA_VERSION,
      peakGmacPerCore: null, peakLoop: 'none', peakSamples: [], peakVnniGmacPerCore: null, ceilingGmacPerCore: null, ceilingLoop: 'none',
      cpu: cpuName(), cpuFeatures: { ...binding.cpuFeatures() }, cores: os.availableParallelism(),
      loadAverage: os.loadavg().map((v) => round(v)), node: process.version,
      date: new Date().toISOString(), quick: o.quick, command,
      budgets: { ...this.budget, peer: this.peerBudget },
      ort: { version: null, error: null }, ortCallOverheadUs: null, callOverhead: null, threadHandoff: null,
      models: [], modelPeers: [], wholeModelTargets: [], micro: [], pool: null, telemetry: null, telemetryOverheadPct: null, wire: null, errors: [],
    };
  }

  private models(): ModelFile[] {
    return shippedModels(this.o.modelsDir).filter((f) => this.selected(f.name));
  }

  private microCases(): MicroCase[] {
    return microCases().filter((k) => this.selected(k.name));
  }

  private selected(name: string): boolean {
    return this.o.only.length === 0 || this.o.only.some((s) => name.includes(s));
  }

  private share(gmacPerSec: number, threads: number): number | null {
    const peak = this.result.ceilingGmacPerCore;
    return peak ? round(gmacPerSec / (peak * threads), 4) : null;
  }

  private baseShare(gmacPerSec: number, threads: number): number | null {
    const peak = this.result.peakGmacPerCore;
    return peak ? round(gmacPerSec / (peak * threads), 4) : null;
  }

  /** The best ceiling from the samples so far, and every share against it. */
  private updateCeiling(): void {
    const r = this.result;
    const vnniIsBest = r.peakVnniGmacPerCore !== null && r.peakVnniGmacPerCore > (r.peakGmacPerCore ?? 0);
    r.ceilingGmacPerCore = vnniIsBest ? r.peakVnniGmacPerCore : r.peakGmacPerCore;
    r.ceilingLoop = vnniIsBest ? 'avx512-vpdpbusd' : r.peakLoop;
    for (const m of r.models) {
      if (!('medianUs' in m)) continue;
      m.shareOfPeak = this.share(m.gmacPerSec, m.threads);
      m.shareOfBasePeak = this.baseShare(m.gmacPerSec, m.threads);
    }
    for (const m of r.micro) {
      m.cleaveShareOfPeak = this.share(m.cleaveGmacPerSec, m.threads);
      m.cleaveShareOfBasePeak = this.baseShare(m.cleaveGmacPerSec, m.threads);
      m.ortShareOfPeak = m.ortGmacPerSec === null ? null : this.share(m.ortGmacPerSec, m.threads);
      m.ortShareOfBasePeak = m.ortGmacPerSec === null ? null : this.baseShare(m.ortGmacPerSec, m.threads);
    }
  }

  measurePeak(): void {
    const r = this.result;
    const loaded = loadBenchBinding();
    if (!loaded.binding) {
      r.peakError = loaded.error!;
      r.errors.push(`ceiling: ${r.peakError}`);
      return;
    }
    const peak = loaded.binding;
    this.peak = peak;
    r.peakLoop = peak.peakLoop;
    const v = peak.measurePeakGmac(this.o.peakMs);
    r.peakSamples.push(round(v, 1));
    if (v > 0) r.peakGmacPerCore = round(v, 1);
    else r.peakError = `no int8 SIMD ceiling loop for this CPU (${process.arch})`;
    if (binding.cpuFeatures().arch === 'x64') {
      const vnni = peak.measurePeakGmac(Math.min(this.o.peakMs, 100), 'avx512-vpdpbusd');
      r.peakVnniGmacPerCore = vnni > 0 ? round(vnni, 1) : null;
    }
    this.updateCeiling();
  }

  /** A second ceiling sample at the end (full runs): the better one counts (the machine is shared). */
  remeasurePeak(): void {
    const r = this.result;
    if (r.peakGmacPerCore === null || !this.peak) return;
    const v = this.peak.measurePeakGmac(this.o.peakMs);
    r.peakSamples.push(round(v, 1));
    if (v > r.peakGmacPerCore) {
      r.peakGmacPerCore = round(v, 1);
      this.updateCeiling();
    }
  }

  async runModels(ort: OrtModule | null, ortError: string | null): Promise<void> {
    const measured: PeerCandidate[] = [];
    for (const m of this.models()) {
      try {
        measured.push(this.runModel(m));
      } catch (err) {
        const message = `${m.name}: ${errorText(err)}`;
        this.result.models.push({ model: m.name, error: errorText(err) });
        this.result.errors.push(message);
        process.stderr.write(`bench: ${message}\n`);
      }
      progress.advance(this.o.threads.length);
    }
    if (shippedModels(this.o.modelsDir).length === 0) {
      this.result.errors.push(`no models under ${this.o.modelsDir} (--models DIR)`);
    }
    if (measured.length === 0) return;
    print(`\nwhole models against onnxruntime-node (wall time of await run(), both runtimes, ${PEER_ROUNDS} interleaved rounds; ratio = cleave / ORT's faster variant)\n`);
    if (ortError) print(`onnxruntime-node: ${ortError}\n`);
    printPeerHeader();
    for (const c of measured) {
      try {
        const rows = await measureModelPeers(c.name, c.graph, c.program, c.input, this.o.threads, ort, ortError, this.peerBudget, binding.cpuFeatures());
        for (const r of rows) {
          this.result.modelPeers.push(r);
          printPeerRow(r);
        }
        // Without ORT the header said why; a model ORT cannot take says so under its rows.
        if (ort && rows[0]?.ortError) print(`  ${rows[0].ortError}\n`);
      } catch (err) {
        const message = `${c.name}: against onnxruntime-node: ${errorText(err)}`;
        this.result.errors.push(message);
        process.stderr.write(`bench: ${message}\n`);
      }
      progress.advance(this.o.threads.length);
    }
  }

  /** Measures one model's rows; returns what the comparison with ORT needs. */
  private runModel(m: ModelFile): PeerCandidate {
    const graph = readModel(fs.readFileSync(m.file), m.file);
    const macs = summarize(graph).macs;
    const program = compileGraph(graph).bytes;

    const reference = Session.fromBytes(program, m.file, { threads: 1, kernels: 'reference' });
    const inputs = randomInputs(reference, 7);
    let refOutputs: TensorData[];
    let scalar: Samples;
    try {
      reference.resetState();
      refOutputs = reference.runSync(inputs).outputs;
      scalar = timeSync(() => reference.runSync(inputs).micros, this.budget.scalar);
    } finally {
      reference.dispose();
    }
    const scalarMedianUs = quantile(scalar.interp, 0.5);

    for (const threads of this.o.threads) {
      const s = Session.fromBytes(program, m.file, { threads, kernels: 'auto' });
      try {
        s.resetState();
        const first = s.runSync(inputs).outputs;
        const t = timeSync(() => s.runSync(inputs).micros, this.budget.fast);
        const medianUs = quantile(t.interp, 0.5);
        const gmacPerSec = macs / medianUs / 1e3;
        const row: ModelRow = {
          model: m.name, threads, kernels: s.kernels,
          medianUs: round(medianUs), p90Us: round(quantile(t.interp, 0.9)),
          wallMedianUs: round(quantile(t.wall, 0.5)), wallP90Us: round(quantile(t.wall, 0.9)),
          iterations: t.interp.length,
          macs, gmacPerSec: round(gmacPerSec, 3), shareOfPeak: this.share(gmacPerSec, threads),
          shareOfBasePeak: this.baseShare(gmacPerSec, threads),
          scalarMedianUs: round(scalarMedianUs), scalarIterations: scalar.interp.length,
          speedupOverScalar: round(scalarMedianUs / medianUs, 1),
          matchesReference: sameBytes(first, refOutputs), outputSha256: sha256(first),
        };
        if (!row.matchesReference) this.result.errors.push(`${m.name}: ${threads} thread(s) ${s.kernels} differs from the reference kernels`);
        this.result.models.push(row);
        printModelRow(row);
      } finally {
        s.dispose();
      }
    }
    return { name: m.name, graph, program, input: inputs[0]! };
  }

  async runMicro(ort: OrtModule | null, ortError: string | null): Promise<void> {
    for (const c of this.microCases()) {
      try {
        await this.runMicroCase(c, ort, ortError);
      } catch (err) {
        const message = `${c.name}: ${errorText(err)}`;
        this.result.errors.push(message);
        process.stderr.write(`bench: ${message}\n`);
      }
      progress.advance(this.o.threads.length);
    }
  }

  private async runMicroCase(c: MicroCase, ort: OrtModule | null, ortError: string | null): Promise<void> {
    const program = compileGraph(c.graph).bytes;
    const reference = Session.fromBytes(program, c.name, { threads: 1, kernels: 'reference' });
    const refOutputs = reference.runSync(c.input).outputs;
    reference.dispose();
    for (const threads of this.o.threads) {
      const s = Session.fromBytes(program, c.name, { threads, kernels: 'auto' });
      let row: MicroRow;
      try {
        const outputs = (await s.runDetailed(c.input)).outputs;
        // runDetailed() (what await run() runs, with its interpreter time) against ORT's await run(): both async, the whole call.
        const t = await timeAsync(async () => (await s.runDetailed(c.input)).micros, this.budget.fast);
        const cleaveUs = quantile(t.wall, 0.5);
        const gmac = c.macs / cleaveUs / 1e3;
        row = {
          name: c.name, threads, kernels: s.kernels, macs: c.macs,
          cleaveUs: round(cleaveUs), cleaveP90Us: round(quantile(t.wall, 0.9)), cleaveInterpUs: round(quantile(t.interp, 0.5)),
          cleaveGmacPerSec: round(gmac, 3), cleaveShareOfPeak: this.share(gmac, threads),
          cleaveShareOfBasePeak: this.baseShare(gmac, threads), iterations: t.wall.length,
          ortUs: null, ortP90Us: null, ortGmacPerSec: null, ortShareOfPeak: null, ortShareOfBasePeak: null, ortIterations: null, ratio: null,
          outputSha256: sha256(outputs), matchesReference: sameBytes(outputs, refOutputs), maxDiffLsb: null,
        };
        if (!row.matchesReference) this.result.errors.push(`${c.name}: ${threads} thread(s) ${s.kernels} differs from the reference kernels`);
      } finally {
        s.dispose();
      }
      if (ort) await this.runOrt(ort, c, threads, row, refOutputs[0]! as Int8Array);
      else row.ortError = ortError ?? 'onnxruntime-node not loaded';
      this.result.micro.push(row);
      printMicroRow(row);
    }
  }

  private async runOrt(ort: OrtModule, c: MicroCase, threads: number, row: MicroRow, cleaveOut: Int8Array): Promise<void> {
    let session: Ort.InferenceSession | null = null;
    try {
      session = await ortSession(ort, c.onnx, threads);
      const feeds = { [c.ortInput.name]: new ort.Tensor('uint8', c.ortInput.data, c.ortInput.dims) };
      const out = (await session.run(feeds))[c.ortOutput];
      if (!out || !(out.data instanceof Uint8Array)) throw new Error(`ORT returned no uint8 output "${c.ortOutput}"`);
      const mine = c.ortToCleave(out.data);
      let maxDiff = 0;
      for (let i = 0; i < mine.length; i++) maxDiff = Math.max(maxDiff, Math.abs(mine[i]! - cleaveOut[i]!));
      const s = session;
      const t = await timeAsync(() => s.run(feeds), this.budget.fast);
      const ortUs = quantile(t.wall, 0.5);
      const gmac = c.macs / ortUs / 1e3;
      Object.assign(row, {
        ortUs: round(ortUs), ortP90Us: round(quantile(t.wall, 0.9)), ortGmacPerSec: round(gmac, 3),
        ortShareOfPeak: this.share(gmac, threads), ortShareOfBasePeak: this.baseShare(gmac, threads), ortIterations: t.wall.length,
        ratio: round(row.cleaveUs / ortUs, 3), maxDiffLsb: maxDiff,
      });
    } catch (err) {
      row.ortError = `onnxruntime-node could not run ${c.name}: ${errorText(err).split('\n')[0]}`;
    } finally {
      if (session) await session.release().catch(() => undefined);
    }
  }

  async runPool(): Promise<void> {
    const options = this.o.quick ? { heads: 20, requests: 25, workers: 2, window: 4 } : { heads: 20, requests: 1000, workers: 3, window: 4 };
    print(`\nMQTT worker pool: ${options.heads} heads x ${options.requests} requests, ${options.workers} workers, Mosquitto on loopback\n`);
    try {
      const p = await poolBench({ ...options, modelsDir: this.o.modelsDir });
      this.result.pool = p;
      if ('skipped' in p) {
        print(`skipped: ${p.skipped}\n`);
        return;
      }
      for (const e of p.errors) this.result.errors.push(`pool: ${e}`);
      print(`${p.requests} requests in ${p.seconds} s (${p.requestsPerSecond}/s), lost ${p.lost}, duplicate replies ${p.duplicateReplies}, resent ${p.resends}; ` +
        `round trip p50 ${p.roundTripP50Ms} ms p99 ${p.roundTripP99Ms} ms; RSS heads ${p.rssMiB.heads} MiB, workers ${p.rssMiB.workers.join('/')} MiB, broker ${p.rssMiB.broker} MiB\n`);
    } catch (err) {
      this.result.errors.push(`pool: ${errorText(err)}`);
      process.stderr.write(`bench: pool: ${errorText(err)}\n`);
    }
  }

  async runTelemetry(): Promise<void> {
    print('\ntelemetry cost per person_detect inference (CPU time with minus without)\n');
    try {
      const t = await telemetryCostBench({ runs: this.o.quick ? 200 : 2000, modelsDir: this.o.modelsDir });
      this.result.telemetry = t;
      this.result.telemetryOverheadPct = t.telemetryOverheadPct;
      for (const r of t.rows) print(`${r.sink.padEnd(5)} sample ${String(r.sampleRate).padEnd(5)} ${fmt(r.costMicros, 1).padStart(8)} µs  ${fmt(r.overheadPct, 2).padStart(6)} %\n`);
      print(`inference ${t.inferenceCpuMicros} µs CPU; at the default sampling (${t.defaultSampleRate}): ${t.telemetryOverheadPct} % (target < ${t.target} %)\n`);
    } catch (err) {
      this.result.errors.push(`telemetry: ${errorText(err)}`);
      process.stderr.write(`bench: telemetry: ${errorText(err)}\n`);
    }
  }

  async runCallOverhead(ort: OrtModule | null): Promise<void> {
    const hello = shippedModels(this.o.modelsDir).find((m) => m.name === 'tflm_hello_world');
    if (!hello) return;
    const c = await measureCallOverhead(compileGraph(readModel(fs.readFileSync(hello.file), hello.file)).bytes, ort, this.budget.fast);
    this.result.callOverhead = c;
    printCallOverhead(c);
  }

  runThreadHandoff(): void {
    if (!this.peak) return;
    print('\nthread pool hand-off (2 threads; bench/handoff.ts)\n');
    this.result.threadHandoff = measureThreadHandoff(this.peak, this.o.quick);
    for (const line of describeThreadHandoff(this.result.threadHandoff)) print(`${line}\n`);
  }

  async run(): Promise<BenchResult> {
    // The models and microbenchmarks are most of a full run's minute and more: a bar over their rows.
    // A model counts twice: its own rows, then its rows against onnxruntime-node.
    const rows = ((this.o.models ? 2 * this.models().length : 0) + (this.o.micro ? this.microCases().length : 0)) * this.o.threads.length;
    progress = startProgress('bench', rows);
    try {
      return await this.measure();
    } finally {
      progress.stop();
    }
  }

  private async measure(): Promise<BenchResult> {
    const r = this.result;
    this.measurePeak();
    printHeader(r);
    let ort: OrtModule | null = null;
    if (this.o.models || this.o.micro) {
      const loaded = loadOrt(this.o.ort);
      r.ort = { version: loaded.version, error: loaded.error };
      if (loaded.ort) {
        try {
          r.ortCallOverheadUs = round(await ortOverhead(loaded.ort, this.budget.fast));
        } catch (err) {
          r.ort.error = `onnxruntime-node loaded but cannot run a model: ${errorText(err).split('\n')[0]}`;
        }
      }
      ort = r.ort.error === null ? loaded.ort : null;
    }
    if (this.o.models) {
      print(`\nmodels (interpreter time; wall = whole runSync call; scalar = reference kernels, 1 thread)\n`);
      printModelHeader();
      await this.runModels(ort, r.ort.error);
    }
    if (this.o.micro) {
      await this.runCallOverhead(ort);
      this.runThreadHandoff();
      print(`\nmicrobenchmarks (wall time per call, both runtimes; ratio = cleave / ORT, below 1 = cleave faster)\n`);
      if (r.ort.error) print(`onnxruntime-node: ${r.ort.error}\n`);
      else print(`onnxruntime-node ${r.ort.version}: per-call overhead ${fmt(r.ortCallOverheadUs!, 1)} µs (1-byte Identity)\n`);
      printMicroHeader();
      await this.runMicro(ort, r.ort.error);
    }
    if (this.o.pool) await this.runPool();
    if (this.o.telemetry) await this.runTelemetry();
    if (this.o.wire) {
      print('\nwire protocol (bench/wire.ts)\n');
      try {
        r.wire = await wireBench({ quick: this.o.quick });
        for (const line of describeWireBench(r.wire)) print(`${line}\n`);
      } catch (err) {
        r.errors.push(`wire: ${errorText(err)}`);
      }
    }
    if (!this.o.quick) this.remeasurePeak();
    if (this.o.models) {
      r.wholeModelTargets = wholeModelTargets(r.modelPeers);
      printTargets(r.wholeModelTargets);
    }
    return r;
  }
}

// ---------------------------------------------------------------------------------------------
// Printing

function fmt(v: number | null, digits = 0): string {
  if (v === null || !Number.isFinite(v)) return '-';
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
/** Microseconds with one decimal below 1000, none above. */
const us = (v: number | null): string => fmt(v, v !== null && Math.abs(v) < 1000 ? 1 : 0);
const pct = (v: number | null): string => (v === null ? '-' : `${(v * 100).toFixed(1)}%`);

function row(cells: [string, number][]): string {
  return cells.map(([s, w]) => (w < 0 ? s.padEnd(-w) : s.padStart(w))).join('  ') + '\n';
}

function printHeader(r: BenchResult): void {
  const peak = r.peakGmacPerCore === null ? `unavailable (${r.peakError})` : `${fmt(r.peakGmacPerCore, 1)} GMAC/s per core (${r.peakLoop})`;
  print(`cleave bench${r.quick ? ' --quick' : ''}: ${r.cpu}, ${r.cores} core(s), node ${r.node}, load ${r.loadAverage.join(' ')}\n`);
  print(`int8 MAC ceiling: ${peak}\n`);
  if (r.peakVnniGmacPerCore) print(`AVX-512 VNNI ceiling: ${fmt(r.peakVnniGmacPerCore, 1)} GMAC/s per core (avx512-vpdpbusd)\n`);
  if (r.ceilingGmacPerCore !== null) print(`% peak: against ${r.ceilingLoop}; % base: against ${r.peakLoop}\n`);
}

const MODEL_COLS: [string, number][] = [
  ['model', -24], ['thr', 3], ['kernels', -8], ['median µs', 10], ['p90 µs', 10], ['wall µs', 10], ['MMAC', 8],
  ['GMAC/s', 7], ['% peak', 7], ['% base', 7], ['scalar µs', 11], ['x scalar', 8], ['= ref', 5],
];
function printModelHeader(): void {
  print(row(MODEL_COLS));
}
function printModelRow(m: ModelRow): void {
  const v = [m.model, String(m.threads), m.kernels, us(m.medianUs), us(m.p90Us), us(m.wallMedianUs), fmt(m.macs / 1e6, 2),
    fmt(m.gmacPerSec, 1), pct(m.shareOfPeak), pct(m.shareOfBasePeak), us(m.scalarMedianUs), fmt(m.speedupOverScalar, 1), m.matchesReference ? 'yes' : 'NO'];
  print(row(MODEL_COLS.map(([, w], i) => [v[i]!, w])));
}

function printCallOverhead(c: CallOverhead): void {
  print(`\ncall overhead (wall time per call in one process: cleave on ${c.model}, ORT on a 1-byte Identity)\n`);
  const cols: [string, number][] = [['call', -40], ['µs', 8], ['x ORT', 6]];
  print(row(cols));
  const line = (name: string, v: number | null, ratio: number | null) => print(row([[name, -40], [us(v), 8], [fmt(ratio, 2), 6]]));
  line('cleave await run()', c.runUs, c.runToOrt);
  line('cleave await run() on the worker thread', c.runOnWorkerUs, c.runOnWorkerToOrt);
  line('cleave runSync()', c.runSyncUs, c.ortRunUs ? round(c.runSyncUs / c.ortRunUs, 3) : null);
  line('onnxruntime-node await run()', c.ortRunUs, c.ortRunUs ? 1 : null);
}

const PEER_COLS: [string, number][] = [
  ['model', -24], ['thr', 3], ['kernels', -8], ['cleave µs', 10], ['ORT int8 µs', 11], ['ORT fp32 µs', 11], ['ratio', 6], ['vs', 4], ['Δ LSB', 5],
];
function printPeerHeader(): void {
  print(row(PEER_COLS));
}
function printPeerRow(p: ModelPeerRow): void {
  const v = [p.model, String(p.threads), p.kernels, us(p.cleave.wallMedianUs), us(p.ortInt8?.wallMedianUs ?? null), us(p.ortFp32?.wallMedianUs ?? null),
    fmt(p.ratio, 2), p.ortFastest ?? '-', p.ortInt8MaxDiffLsb === null ? '-' : String(p.ortInt8MaxDiffLsb)];
  print(row(PEER_COLS.map(([, w], i) => [v[i]!, w])));
}

function printTargets(checks: readonly TargetCheck[]): void {
  print('\nwhole-model targets of issue 14 (this run: await run() wall medians, interleaved with ORT)\n');
  for (const c of checks) {
    const verdict = c.met === null ? 'not measured' : c.met ? 'met' : 'not met';
    print(`${c.target.padEnd(70)}  ${fmt(c.measured, 2).padStart(6)}  ${verdict}\n`);
  }
}

const MICRO_COLS: [string, number][] = [
  ['microbenchmark', -22], ['thr', 3], ['cleave µs', 10], ['interp µs', 10], ['ORT µs', 10], ['ratio', 6],
  ['cleave %pk', 10], ['%base', 6], ['ORT %pk', 8], ['%base', 6], ['= ref', 5], ['Δ LSB', 5],
];
function printMicroHeader(): void {
  print(row(MICRO_COLS));
}
function printMicroRow(m: MicroRow): void {
  const v = [m.name, String(m.threads), us(m.cleaveUs), us(m.cleaveInterpUs), us(m.ortUs), fmt(m.ratio, 2),
    pct(m.cleaveShareOfPeak), pct(m.cleaveShareOfBasePeak), pct(m.ortShareOfPeak), pct(m.ortShareOfBasePeak), m.matchesReference ? 'yes' : 'NO', m.maxDiffLsb === null ? '-' : String(m.maxDiffLsb)];
  print(row(MICRO_COLS.map(([, w], i) => [v[i]!, w])));
}

// ---------------------------------------------------------------------------------------------

export async function main(argv: string[]): Promise<number> {
  let o: Options;
  try {
    o = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    if (err.message) process.stderr.write(`bench: ${err.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    return err.message ? 2 : 0;
  }
  const started = nowNs();
  const result = await new Bench(o, argv.length ? ['npm run bench --', ...argv].join(' ') : 'npm run bench').run();
  const file = o.json ?? path.join(packageRoot, 'bench', 'results', `${result.date.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  print(`\n${result.errors.length} error(s)${result.errors.map((e) => `\n  ${e}`).join('')}\n`);
  print(`results: ${file} (${(msSince(started) / 1000).toFixed(1)} s)\n`);
  return result.errors.length === 0 ? 0 : 1;
}

if (require.main === module) {
  // `npm run bench | head` closes stdout early: stop quietly instead of throwing EPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
