// The exact search for where to cut a model, where each piece runs, its weight precision and each
// cut's wire codec. A plan places contiguous segments on devices in chain order (devices may be
// skipped: data is forwarded over the links in between). Its objectives are all to be minimized:
// end-to-end latency, the slowest stage (1/throughput), bytes on the wire and the energy of each
// device. Latency, bytes and energy are sums and the slowest stage a max over the plan's steps, so
// extending two partial plans by the same step keeps any dominance between them: the Pareto set of
// partial plans at each (op position, device) is all a dynamic program needs to keep, and its front
// is the front of every plan (test/plan/search.test.ts checks it against brute-force enumeration).
import { CleaveError } from '../errors';
import type { Link } from './devices';

export type Precision = 'int8' | 'int4';

export interface WireOption {
  codec: string;
  bytes: number;
  lossless: boolean;
}

export interface SearchDevice {
  name: string;
  /** Segment [begin, end) with `precision` fits this device's memory. */
  fits(begin: number, end: number, precision: Precision): boolean;
  /** Per-op latency (µs) and energy (J) on this device. */
  opMicros: number[];
  opJoules: number[];
}

export interface PlanningProblem {
  opCount: number;
  /** Valid cut positions (1..opCount-1), ascending. */
  cuts: number[];
  devices: SearchDevice[];
  /** links[i] joins devices i and i+1. */
  links: Link[];
  /** Wire options for what crosses each position: the model inputs at 0, each cut's crossing set. */
  wire: Map<number, WireOption[]>;
  precisions: Precision[];
  maxLatencyMicros?: number;
}

export interface Objectives {
  latencyMicros: number;
  /** The slowest stage (a segment's compute or one link's transfer): 1e6 / this = inferences per second. */
  bottleneckMicros: number;
  wireBytes: number;
  /** Per device, in chain order. */
  joules: number[];
}

export interface PlacedSegment {
  begin: number;
  end: number;
  device: number;
  precision: Precision;
}

export interface Transfer {
  position: number;
  from: number;
  to: number;
  codec: string;
  lossless: boolean;
  /** Bytes of one crossing, sent once per hop. */
  bytes: number;
}

export interface CandidatePlan {
  segments: PlacedSegment[];
  transfers: Transfer[];
  objectives: Objectives;
}

/** One step of a plan: a transfer (when the device changes) then a segment. */
export interface Step {
  segment: PlacedSegment;
  transfer?: Transfer;
}

export function emptyObjectives(devices: number): Objectives {
  return { latencyMicros: 0, bottleneckMicros: 0, wireBytes: 0, joules: new Array<number>(devices).fill(0) };
}

/**
 * The objectives after one more step. The search and any enumeration must both build plans through
 * this one function, so their figures agree to the last bit.
 */
export function extend(problem: PlanningProblem, o: Objectives, step: Step, prefix: PrefixSums): Objectives {
  const joules = [...o.joules];
  let latency = o.latencyMicros, bottleneck = o.bottleneckMicros, bytes = o.wireBytes;
  const t = step.transfer;
  if (t) {
    for (let h = t.from; h < t.to; h++) {
      const link = problem.links[h]!;
      const micros = (link.latencySeconds + t.bytes / link.bytesPerSecond) * 1e6;
      latency += micros;
      bottleneck = Math.max(bottleneck, micros);
      bytes += t.bytes;
      joules[h] = joules[h]! + t.bytes * link.joulesPerByte;
    }
  }
  const s = step.segment;
  const micros = prefix.micros[s.device]![s.end]! - prefix.micros[s.device]![s.begin]!;
  latency += micros;
  bottleneck = Math.max(bottleneck, micros);
  joules[s.device] = joules[s.device]! + prefix.joules[s.device]![s.end]! - prefix.joules[s.device]![s.begin]!;
  return { latencyMicros: latency, bottleneckMicros: bottleneck, wireBytes: bytes, joules };
}

export interface PrefixSums {
  micros: number[][];
  joules: number[][];
}

export function prefixSums(problem: PlanningProblem): PrefixSums {
  const sums = (values: number[]) => values.reduce<number[]>((acc, v) => (acc.push(acc[acc.length - 1]! + v), acc), [0]);
  return { micros: problem.devices.map((d) => sums(d.opMicros)), joules: problem.devices.map((d) => sums(d.opJoules)) };
}

/** a is no worse than b in every objective. */
export function dominatesOrEquals(a: Objectives, b: Objectives): boolean {
  if (a.latencyMicros > b.latencyMicros || a.bottleneckMicros > b.bottleneckMicros || a.wireBytes > b.wireBytes) return false;
  for (let i = 0; i < a.joules.length; i++) if (a.joules[i]! > b.joules[i]!) return false;
  return true;
}

/** Adds `item` to a Pareto set unless something there is no worse; drops what it beats. */
export function paretoInsert<T extends { objectives: Objectives }>(set: T[], item: T): boolean {
  for (const other of set) if (dominatesOrEquals(other.objectives, item.objectives)) return false;
  for (let i = set.length - 1; i >= 0; i--) if (dominatesOrEquals(item.objectives, set[i]!.objectives)) set.splice(i, 1);
  set.push(item);
  return true;
}

/**
 * Wire options worth trying at a position: every objective grows with the bytes sent, so only the
 * smallest encoding can be on the front (the first listed among equals, lossless codecs first).
 */
function usefulWire(options: WireOption[]): WireOption[] {
  const sorted = [...options].sort((a, b) => a.bytes - b.bytes || Number(b.lossless) - Number(a.lossless));
  return sorted.slice(0, 1);
}

/** Precisions worth trying: int4 only changes memory, so it is tried only where int8 does not fit. */
function usefulPrecision(problem: PlanningProblem, device: SearchDevice, begin: number, end: number): Precision | undefined {
  return problem.precisions.find((p) => device.fits(begin, end, p));
}

interface Label {
  objectives: Objectives;
  step: Step | null;
  prev: Label | null;
}

function unwind(label: Label): CandidatePlan {
  const steps: Step[] = [];
  for (let l: Label | null = label; l && l.step; l = l.prev) steps.unshift(l.step);
  return { segments: steps.map((s) => s.segment), transfers: steps.flatMap((s) => (s.transfer ? [s.transfer] : [])), objectives: label.objectives };
}

/** The exact Pareto front of every plan (one plan per distinct objective vector). */
export function searchPareto(problem: PlanningProblem): CandidatePlan[] {
  const n = problem.opCount;
  const m = problem.devices.length;
  const positions = [0, ...problem.cuts, n];
  const prefix = prefixSums(problem);
  const wire = new Map([...problem.wire].map(([p, options]) => [p, usefulWire(options)]));
  // states[i][d]: Pareto set of plans covering ops [0, positions[i]) whose last segment ran on d.
  const states: Label[][][] = positions.map(() => Array.from({ length: m }, () => []));
  const start: Label = { objectives: emptyObjectives(m), step: null, prev: null };
  const limit = problem.maxLatencyMicros ?? Infinity;
  const expand = (from: Label, fromDevice: number, i: number, firstDevice: number) => {
    const begin = positions[i]!;
    for (let j = i + 1; j < positions.length; j++) {
      const end = positions[j]!;
      for (let d = firstDevice; d < m; d++) {
        const device = problem.devices[d]!;
        const precision = usefulPrecision(problem, device, begin, end);
        if (!precision) continue;
        const segment = { begin, end, device: d, precision };
        const transfers: (Transfer | undefined)[] = d === fromDevice
          ? [undefined]
          : (wire.get(begin) ?? []).map((w) => ({ position: begin, from: fromDevice, to: d, codec: w.codec, lossless: w.lossless, bytes: w.bytes }));
        for (const transfer of transfers) {
          const step: Step = transfer ? { segment, transfer } : { segment };
          const objectives = extend(problem, from.objectives, step, prefix);
          if (objectives.latencyMicros > limit) continue;
          paretoInsert(states[j]![d]!, { objectives, step, prev: from });
        }
      }
    }
  };
  // The input is at the first device: the first segment runs there or is sent down the chain.
  expand(start, 0, 0, 0);
  for (let i = 1; i < positions.length - 1; i++) {
    for (let d = 0; d < m; d++) for (const label of states[i]![d]!) expand(label, d, i, d + 1);
  }
  const front: Label[] = [];
  for (const label of states[positions.length - 1]!.flat()) paretoInsert(front, label);
  return front.map(unwind).sort((a, b) => a.objectives.latencyMicros - b.objectives.latencyMicros || a.objectives.bottleneckMicros - b.objectives.bottleneckMicros);
}

export type Objective = 'latency' | 'throughput' | 'energy';

export function totalJoules(o: Objectives): number {
  return o.joules.reduce((a, b) => a + b, 0);
}

/** The front's best plan for one objective; ties broken by latency, then total energy. */
export function choosePlan(front: CandidatePlan[], objective: Objective): CandidatePlan {
  if (front.length === 0) throw new CleaveError('NO_FEASIBLE_PLAN', 'no plan fits every device\'s memory within the latency limit');
  const key = (p: CandidatePlan): number[] => {
    const o = p.objectives;
    if (objective === 'throughput') return [o.bottleneckMicros, o.latencyMicros, totalJoules(o)];
    if (objective === 'energy') return [totalJoules(o), o.latencyMicros];
    return [o.latencyMicros, totalJoules(o), o.bottleneckMicros];
  };
  return front.reduce((best, p) => {
    const [a, b] = [key(p), key(best)];
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? p : best;
    return best;
  });
}
