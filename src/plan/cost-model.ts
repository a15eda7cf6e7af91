// Cost models for devices not at hand: per op type, a linear model of an op's latency on the MACs it
// does and the bytes it moves (micros = a + b*MACs + c*bytes, coefficients >= 0), fitted by least
// squares from measured profiles, then scaled from the profiled board to another by the descriptor's
// figures: clock x SIMD width (ops run on one core: `threads` 1). Every figure the planner uses says
// whether it was measured or predicted.
import { CleaveError } from '../errors';
import type { BoardDescriptor } from '../../hal';
import type { Profile } from './profile';

export interface OpSample {
  opcode: string;
  macs: number;
  bytes: number;
  micros: number;
}

/** micros = intercept + perMac*MACs + perByte*bytes. */
export interface LinearCost {
  intercept: number;
  perMac: number;
  perByte: number;
  samples: number;
}

export interface CostModel {
  /** The board the samples were measured on, and its speed (MHz x SIMD width in bits). */
  board: string;
  speed: number;
  byOpcode: Record<string, LinearCost>;
  /** For op types no sample had. */
  fallback: LinearCost;
}

// Feature sets tried in order: the first whose least-squares coefficients are all >= 0 is kept, so
// an op type with few or collinear samples falls back to a simpler model rather than a negative one.
const FEATURE_SETS: (keyof Omit<LinearCost, 'samples'>)[][] = [
  ['intercept', 'perMac', 'perByte'], ['intercept', 'perByte'], ['intercept', 'perMac'], ['perByte'], ['intercept'],
];

function feature(s: OpSample, f: keyof Omit<LinearCost, 'samples'>): number {
  return f === 'intercept' ? 1 : f === 'perMac' ? s.macs : s.bytes;
}

/** Solves the normal equations A x = b by Gauss-Jordan elimination; null when singular. */
function solve(a: number[][], b: number[]): number[] | null {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[pivot]![c]!)) pivot = r;
    if (Math.abs(m[pivot]![c]!) < 1e-12 * Math.max(1, Math.abs(m[c]![c]!))) return null;
    [m[c], m[pivot]] = [m[pivot]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const k = m[r]![c]! / m[c]![c]!;
      for (let j = c; j <= n; j++) m[r]![j]! -= k * m[c]![j]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}

/**
 * Least squares weighted by 1/micros^2 (relative error): a 2 µs op and a 2 ms op count alike,
 * which is what a planner summing many ops of both sizes needs.
 */
export function fitLinear(samples: OpSample[]): LinearCost {
  for (const features of FEATURE_SETS) {
    if (samples.length < features.length) continue;
    const ata = features.map(() => features.map(() => 0));
    const atb = features.map(() => 0);
    for (const s of samples) {
      const w = 1 / Math.max(s.micros, 1e-3) ** 2;
      features.forEach((fi, i) => {
        atb[i]! += w * feature(s, fi) * s.micros;
        features.forEach((fj, j) => (ata[i]![j]! += w * feature(s, fi) * feature(s, fj)));
      });
    }
    const x = solve(ata, atb);
    if (!x || x.some((v) => !(v >= 0))) continue;
    const cost: LinearCost = { intercept: 0, perMac: 0, perByte: 0, samples: samples.length };
    features.forEach((f, i) => (cost[f] = x[i]!));
    return cost;
  }
  return { intercept: 0, perMac: 0, perByte: 0, samples: samples.length };
}

export function evaluateLinear(c: LinearCost, macs: number, bytes: number): number {
  return c.intercept + c.perMac * macs + c.perByte * bytes;
}

/** Clock (MHz) x SIMD width (bits) of a board: the figure per-op times scale by. */
export function boardSpeed(cpu: BoardDescriptor['cpu'], measuredMHz?: number | null): number {
  const mhz = cpu.clockMHz ?? measuredMHz;
  if (!mhz) throw new CleaveError('BAD_PROFILE', `board with core ${cpu.core} has no clockMHz and none was measured: cannot scale costs to or from it`);
  return mhz * (cpu.simdBits ?? 32);
}

export function fitCostModel(samples: OpSample[], board: string, speed: number): CostModel {
  const groups = new Map<string, OpSample[]>();
  for (const s of samples) groups.set(s.opcode, [...(groups.get(s.opcode) ?? []), s]);
  const byOpcode: Record<string, LinearCost> = {};
  for (const [opcode, group] of groups) byOpcode[opcode] = fitLinear(group);
  return { board, speed, byOpcode, fallback: fitLinear(samples) };
}

/** Predicted micros of one op on a board of `targetSpeed` (see boardSpeed). */
export function predictMicros(model: CostModel, op: { opcode: string; macs: number; bytes: number }, targetSpeed: number): number {
  const c = model.byOpcode[op.opcode] ?? model.fallback;
  return (evaluateLinear(c, op.macs, op.bytes) * model.speed) / targetSpeed;
}

export function samplesOf(profiles: Profile[]): OpSample[] {
  return profiles.flatMap((p) => p.ops.map((o) => ({ opcode: o.opcode, macs: o.macs, bytes: o.bytes, micros: o.micros })));
}

/** Fits a cost model from profiles of one board. */
export function costModelFromProfiles(profiles: Profile[]): CostModel {
  if (profiles.length === 0) throw new CleaveError('BAD_PROFILE', 'no profiles to fit a cost model from');
  const board = profiles[0]!.board;
  const other = profiles.find((p) => p.board.id !== board.id);
  if (other) throw new CleaveError('BAD_PROFILE', `profiles of ${board.id} and ${other.board.id} cannot fit one cost model: give one board's profiles`);
  const mhz = profiles.map((p) => p.conditions.cpuMHz).find((m) => m) ?? null;
  return fitCostModel(samplesOf(profiles), board.id, boardSpeed(board.cpu, mhz));
}

export interface HeldBackError {
  /** Ops held back (every `stride`-th sample) and never used to fit. */
  ops: number;
  medianAbsPercent: number;
  meanAbsPercent: number;
  /** Held-back ops' summed predicted time over their summed measured time, minus one, in percent. */
  totalPercent: number;
}

/** Fits on all samples but every `stride`-th and reports the error of predicting those. */
export function heldBackError(samples: OpSample[], stride = 5): HeldBackError {
  const train = samples.filter((_, i) => i % stride !== stride - 1);
  const test = samples.filter((_, i) => i % stride === stride - 1 && samples[i]!.micros > 0);
  const model = fitCostModel(train, 'held-back', 1);
  const errors = test.map((s) => Math.abs(predictMicros(model, s, 1) - s.micros) / s.micros * 100).sort((a, b) => a - b);
  const predicted = test.reduce((n, s) => n + predictMicros(model, s, 1), 0);
  const measured = test.reduce((n, s) => n + s.micros, 0);
  return {
    ops: test.length,
    medianAbsPercent: errors.length ? errors[errors.length >> 1]! : 0,
    meanAbsPercent: errors.length ? errors.reduce((a, b) => a + b, 0) / errors.length : 0,
    totalPercent: measured > 0 ? (predicted / measured - 1) * 100 : 0,
  };
}

export interface HeldBackProfileError {
  model: string;
  ops: number;
  /** Median over the model's ops of |predicted - measured| / measured, in percent. */
  medianAbsPercent: number;
  /** The whole model's predicted time over its measured time, minus one, in percent. */
  totalPercent: number;
}

/**
 * Each profile held back in turn: the model is fitted on the other profiles (of the same board) and
 * predicts the held-back model's ops, as it does for a model never profiled.
 */
export function heldBackProfileErrors(profiles: Profile[]): HeldBackProfileError[] {
  if (profiles.length < 2) return [];
  return profiles.map((held, i) => {
    const model = fitCostModel(samplesOf(profiles.filter((_, j) => j !== i)), 'held-back', 1);
    const ops = held.ops.filter((o) => o.micros > 0);
    const predicted = ops.map((o) => predictMicros(model, o, 1));
    const errors = ops.map((o, k) => Math.abs(predicted[k]! - o.micros) / o.micros * 100).sort((a, b) => a - b);
    const measuredTotal = ops.reduce((n, o) => n + o.micros, 0);
    return {
      model: held.model,
      ops: ops.length,
      medianAbsPercent: errors.length ? errors[errors.length >> 1]! : 0,
      totalPercent: measuredTotal > 0 ? (predicted.reduce((a, b) => a + b, 0) / measuredTotal - 1) * 100 : 0,
    };
  });
}
