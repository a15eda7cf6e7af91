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
import { paretoFilter } from './pareto';

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
 * The wire option worth trying at a position: every objective grows with the bytes sent, so only the
 * smallest encoding can be on the front (the first listed among equals, lossless codecs first).
 */
function usefulWire(options: WireOption[]): WireOption | undefined {
  return [...options].sort((a, b) => a.bytes - b.bytes || Number(b.lossless) - Number(a.lossless))[0];
}

export interface SearchOptions {
  /** Called after each cut position is expanded and after the final filter: `done` of `total` steps. */
  onProgress?: (done: number, total: number) => void;
}

const PRECISIONS: readonly Precision[] = ['int8', 'int4'];

/**
 * Partial plans of the search, one row each: the objectives (latency, slowest stage, wire bytes,
 * then each device's energy), the previous row and the step that led here. Typed arrays, not
 * objects: a long chain makes hundreds of thousands of them.
 */
class LabelStore {
  values: Float64Array;
  prev: Int32Array;
  begin: Int32Array;
  end: Int32Array;
  device: Int8Array;
  precision: Int8Array;
  transfer: Int8Array;
  size = 0;

  constructor(readonly stride: number, capacity = 1024) {
    this.values = new Float64Array(capacity * stride);
    this.prev = new Int32Array(capacity);
    this.begin = new Int32Array(capacity);
    this.end = new Int32Array(capacity);
    this.device = new Int8Array(capacity);
    this.precision = new Int8Array(capacity);
    this.transfer = new Int8Array(capacity);
  }

  /** A new row (objectives zero); grows the arrays when full. */
  add(): number {
    if (this.size === this.prev.length) {
      const grow = <T extends Float64Array | Int32Array | Int8Array>(a: T, n: number): T => {
        const b = new (a.constructor as new (n: number) => T)(n);
        b.set(a);
        return b;
      };
      const capacity = this.prev.length * 2;
      this.values = grow(this.values, capacity * this.stride);
      this.prev = grow(this.prev, capacity);
      this.begin = grow(this.begin, capacity);
      this.end = grow(this.end, capacity);
      this.device = grow(this.device, capacity);
      this.precision = grow(this.precision, capacity);
      this.transfer = grow(this.transfer, capacity);
    }
    return this.size++;
  }
}

/**
 * The exact Pareto front of every plan (one plan per distinct objective vector).
 *
 * States are (cut position, device of the last segment). A state's partial plans all continue the
 * same way (the same segments from the same position, the same transfers from the same device), so
 * only its Pareto set is expanded; energies of devices after the state's are zero in all of them
 * and are not compared. A segment on the last device must end the model (nothing can follow it).
 * Each state's candidates are filtered once, when every candidate has arrived (they all come
 * from earlier positions), by the sorted k-d filter of pareto.ts, led by the energy of the state's
 * device: it is set mostly by where that device's segment begins, so it splits the candidates into
 * groups the k-d tree then separates well (on the 200-op bench chain, 2.6 times fewer tree visits
 * than leading with latency).
 */
export function searchPareto(problem: PlanningProblem, options: SearchOptions = {}): CandidatePlan[] {
  const n = problem.opCount;
  const m = problem.devices.length;
  const positions = [0, ...problem.cuts, n];
  const last = positions.length - 1;
  const prefix = prefixSums(problem);
  const wire = positions.map((p) => usefulWire(problem.wire.get(p) ?? []));
  const stride = 3 + m;
  const store = new LabelStore(stride);
  const limit = problem.maxLatencyMicros ?? Infinity;
  const pending: number[][] = Array.from({ length: positions.length * m }, () => []);
  const finals: number[] = [];
  const joules = new Float64Array(m);
  // Precision of segment (position i, position j, device), per i: -1 when nothing fits, -2 not yet asked.
  const precisionAt = new Int8Array(positions.length * m);
  const usefulPrecision = (d: number, begin: number, end: number): number => {
    const device = problem.devices[d]!;
    for (const p of problem.precisions) if (device.fits(begin, end, p)) return PRECISIONS.indexOf(p);
    return -1;
  };

  const expand = (labels: number[], i: number, fromDevice: number, firstDevice: number) => {
    const begin = positions[i]!;
    const w = wire[i];
    for (let j = i + 1; j <= last; j++) {
      const end = positions[j]!;
      for (let d = firstDevice; d < m; d++) {
        if (d === m - 1 && j < last) continue;
        const moves = d !== fromDevice;
        if (moves && !w) continue;
        let precision = precisionAt[j * m + d]!;
        if (precision === -2) precision = precisionAt[j * m + d] = usefulPrecision(d, begin, end);
        if (precision < 0) continue;
        const segMicros = prefix.micros[d]![end]! - prefix.micros[d]![begin]!;
        const segJoulesEnd = prefix.joules[d]![end]!, segJoulesBegin = prefix.joules[d]![begin]!;
        const target = j === last ? finals : pending[j * m + d]!;
        for (const from of labels) {
          // The same arithmetic, in the same order, as extend(): the brute-force test compares bits.
          const v = store.values;
          const base = from * stride;
          let latency = v[base]!, bottleneck = v[base + 1]!, bytes = v[base + 2]!;
          for (let k = 0; k < m; k++) joules[k] = v[base + 3 + k]!;
          if (moves) {
            for (let h = fromDevice; h < d; h++) {
              const link = problem.links[h]!;
              const micros = (link.latencySeconds + w!.bytes / link.bytesPerSecond) * 1e6;
              latency += micros;
              bottleneck = Math.max(bottleneck, micros);
              bytes += w!.bytes;
              joules[h] = joules[h]! + w!.bytes * link.joulesPerByte;
            }
          }
          latency += segMicros;
          if (latency > limit) continue;
          bottleneck = Math.max(bottleneck, segMicros);
          joules[d] = joules[d]! + segJoulesEnd - segJoulesBegin;
          const id = store.add();
          const out = store.values;
          out[id * stride] = latency;
          out[id * stride + 1] = bottleneck;
          out[id * stride + 2] = bytes;
          for (let k = 0; k < m; k++) out[id * stride + 3 + k] = joules[k]!;
          store.prev[id] = from;
          store.begin[id] = begin;
          store.end[id] = end;
          store.device[id] = d;
          store.precision[id] = precision;
          store.transfer[id] = moves ? 1 : 0;
          target.push(id);
        }
      }
    }
  };

  // The input is at the first device: the first segment runs there or is sent down the chain.
  const start = store.add();
  precisionAt.fill(-2);
  expand([start], 0, 0, 0);
  options.onProgress?.(1, last + 1);
  for (let i = 1; i < last; i++) {
    precisionAt.fill(-2);
    for (let d = 0; d < m - 1; d++) {
      const labels = paretoFilter(store.values, stride, 4 + d, pending[i * m + d]!, 3 + d);
      pending[i * m + d] = [];
      expand(labels, i, d, d + 1);
    }
    options.onProgress?.(i + 1, last + 1);
  }
  const front = paretoFilter(store.values, stride, stride, finals, stride - 1);
  options.onProgress?.(last + 1, last + 1);
  const wireAt = new Map(positions.flatMap((p, i) => (wire[i] ? [[p, wire[i]!] as const] : [])));
  return front.map((id) => unwind(problem, store, id, wireAt)).sort((a, b) => a.objectives.latencyMicros - b.objectives.latencyMicros || a.objectives.bottleneckMicros - b.objectives.bottleneckMicros);
}

function unwind(problem: PlanningProblem, store: LabelStore, id: number, wire: Map<number, WireOption>): CandidatePlan {
  const m = problem.devices.length;
  const v = store.values.subarray(id * store.stride, (id + 1) * store.stride);
  const objectives: Objectives = { latencyMicros: v[0]!, bottleneckMicros: v[1]!, wireBytes: v[2]!, joules: Array.from(v.subarray(3, 3 + m)) };
  const segments: PlacedSegment[] = [];
  const transfers: Transfer[] = [];
  // Row 0 is the empty plan, on the first device.
  for (let l = id; l !== 0; l = store.prev[l]!) {
    const segment: PlacedSegment = { begin: store.begin[l]!, end: store.end[l]!, device: store.device[l]!, precision: PRECISIONS[store.precision[l]!]! };
    segments.unshift(segment);
    if (store.transfer[l]) {
      const w = wire.get(segment.begin)!;
      transfers.unshift({ position: segment.begin, from: store.device[store.prev[l]!]!, to: segment.device, codec: w.codec, lossless: w.lossless, bytes: w.bytes });
    }
  }
  return { segments, transfers, objectives };
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

/**
 * The whole model on device `d` (the input sent down the chain to it first), as a reference beside
 * the front: the plans split computing is compared with are "all on the first device" and "all on
 * the last" (full offloading). Undefined when it does not fit the device or its position has no
 * wire option; the latency limit is not applied.
 */
export function singleDevicePlan(problem: PlanningProblem, d: number): CandidatePlan | undefined {
  const device = problem.devices[d]!;
  const precision = problem.precisions.find((p) => device.fits(0, problem.opCount, p));
  if (!precision) return undefined;
  const segment: PlacedSegment = { begin: 0, end: problem.opCount, device: d, precision };
  let step: Step = { segment };
  if (d > 0) {
    const w = usefulWire(problem.wire.get(0) ?? []);
    if (!w) return undefined;
    step = { segment, transfer: { position: 0, from: 0, to: d, codec: w.codec, lossless: w.lossless, bytes: w.bytes } };
  }
  const objectives = extend(problem, emptyObjectives(problem.devices.length), step, prefixSums(problem));
  return { segments: [segment], transfers: step.transfer ? [step.transfer] : [], objectives };
}

/** The best single-device plan for `objective`, undefined when no device holds the whole model. */
export function bestSingleDevice(problem: PlanningProblem, objective: Objective): CandidatePlan | undefined {
  const plans = problem.devices.flatMap((_, d) => singleDevicePlan(problem, d) ?? []);
  return plans.length ? choosePlan(plans, objective) : undefined;
}
