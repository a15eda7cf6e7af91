// Builds the search's PlanningProblem from a model: per-op costs of each device (measured when a
// profile of that board is given, predicted by the cost model otherwise), the bytes each wire codec
// sends at each position (measured on the model's golden or seeded inputs), and each segment's
// memory: an activation arena (first-fit over the segment's lifetimes, as the compiler plans it,
// scratch buffers aside) plus its weights, int8 or int4.
import { CODECS, type CodecName, encode } from '../codec';
import { planArena } from '../compile/arena-planner';
import { compileGraph } from '../compile/program';
import { opMacs } from '../model/analysis';
import { type Graph, elementCount, isConstant } from '../model/graph';
import { listCuts } from '../segments/cuts';
import { Session } from '../session';
import { estimateJoules } from '../../hal';
import { type CostModel, boardSpeed, predictMicros } from './cost-model';
import type { Device, Link } from './devices';
import { measurementInputs } from './inputs';
import { type Profile, opBytes } from './profile';
import type { PlanningProblem, Precision, SearchDevice, WireOption } from './search';

export type CostSource = 'measured' | 'predicted';
export type EnergySource = 'measured' | 'estimated' | 'none';

export interface DeviceCosts {
  micros: number[];
  joules: number[];
  source: CostSource;
  energy: EnergySource;
}

/** Per-op costs on `device`: its board's profile of this model if given, else the cost model's prediction. */
export function deviceCosts(graph: Graph, device: Device, profiles: Profile[], model: CostModel): DeviceCosts {
  const power = device.board.power.model;
  const estimate = (micros: number[]) => micros.map((us) => (power ? estimateJoules(power, us / 1e6, 1) : 0));
  const profile = profiles.find((p) => p.board.id === device.board.id && p.ops.length === graph.ops.length && p.ops.every((o, k) => o.opcode === graph.ops[k]!.opcode));
  if (profile) {
    const micros = profile.ops.map((o) => o.micros);
    const measuredEnergy = profile.energy.kind !== 'none' && profile.ops.every((o) => o.joules !== undefined);
    return {
      micros,
      joules: measuredEnergy ? profile.ops.map((o) => o.joules!) : estimate(micros),
      source: 'measured',
      energy: measuredEnergy ? (profile.energy.kind as EnergySource) : power ? 'estimated' : 'none',
    };
  }
  const speed = boardSpeed(device.board.cpu);
  const micros = graph.ops.map((op, k) => predictMicros(model, { opcode: op.opcode, macs: opMacs(graph, op), bytes: opBytes(graph, k) }, speed));
  return { micros, joules: estimate(micros), source: 'predicted', energy: power ? 'estimated' : 'none' };
}

export interface SegmentMemory {
  arenaBytes: number;
  weightBytes: number;
}

/** Memory of segments [begin, end) of `graph`, memoized; arenas are planned only when the bounds cannot decide. */
export class SegmentMemoryTable {
  private readonly crossing: Map<number, number[]>;
  private readonly constPrefix: number[];
  private readonly int4SavingPrefix: number[];
  private readonly arenas = new Map<number, number>();

  constructor(private readonly graph: Graph) {
    this.crossing = new Map(listCuts(graph).map((c) => [c.position, c.crossing]));
    this.crossing.set(0, graph.inputs.filter((t) => !isConstant(graph.tensors[t]!)));
    this.crossing.set(graph.ops.length, [...graph.outputs]);
    const constBytes = graph.ops.map((op) => op.inputs.reduce((n, t) => n + (t >= 0 && isConstant(graph.tensors[t]!) ? graph.tensors[t]!.byteLength : 0), 0));
    // int4 packs CONV_2D/DEPTHWISE_CONV_2D/FULLY_CONNECTED int8 weights two to a byte (segments/int4.ts).
    const saving = graph.ops.map((op) => {
      if (!['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED'].includes(op.opcode)) return 0;
      const w = graph.tensors[op.inputs[1] ?? -1];
      return w && isConstant(w) && w.dtype === 'int8' ? w.byteLength - Math.ceil(elementCount(w.shape) / 2) : 0;
    });
    const sums = (v: number[]) => v.reduce<number[]>((acc, x) => (acc.push(acc[acc.length - 1]! + x), acc), [0]);
    this.constPrefix = sums(constBytes);
    this.int4SavingPrefix = sums(saving);
  }

  weightBytes(begin: number, end: number, precision: Precision): number {
    const int8 = this.constPrefix[end]! - this.constPrefix[begin]!;
    return precision === 'int4' ? int8 - (this.int4SavingPrefix[end]! - this.int4SavingPrefix[begin]!) : int8;
  }

  /** True when int4 would change anything in the segment. */
  hasInt4Weights(begin: number, end: number): boolean {
    return this.int4SavingPrefix[end]! > this.int4SavingPrefix[begin]!;
  }

  /** Activation lifetimes of the segment, in its own op numbering. */
  private lifetimes(begin: number, end: number): { id: number; bytes: number; first: number; last: number }[] {
    const last = end - begin - 1;
    const spans = new Map<number, { id: number; bytes: number; first: number; last: number }>();
    const touch = (t: number, k: number) => {
      const tensor = this.graph.tensors[t];
      if (!tensor || isConstant(tensor)) return;
      const s = spans.get(t);
      if (s) {
        s.first = Math.min(s.first, k);
        s.last = Math.max(s.last, k);
      } else spans.set(t, { id: t, bytes: tensor.byteLength, first: k, last: k });
    };
    for (const t of this.crossing.get(begin) ?? []) touch(t, 0);
    for (let k = begin; k < end; k++) {
      const op = this.graph.ops[k]!;
      for (const t of [...op.inputs, ...op.outputs, ...op.intermediates]) if (t >= 0) touch(t, k - begin);
    }
    for (const t of this.crossing.get(end) ?? []) touch(t, last);
    for (const s of spans.values()) if (this.graph.tensors[s.id]!.isVariable) [s.first, s.last] = [0, last];
    return [...spans.values()];
  }

  /** Does the segment fit `ram` bytes of arena (and `ram` or `flash` of weights)? */
  fits(begin: number, end: number, precision: Precision, ramBytes: number, flashBytes: number): boolean {
    const weights = this.weightBytes(begin, end, precision);
    const weightsInRam = flashBytes === Infinity;
    if (!weightsInRam && weights > flashBytes) return false;
    const room = weightsInRam ? ramBytes - weights : ramBytes;
    if (room === Infinity) return true;
    if (room < 0) return false;
    const key = begin * (this.graph.ops.length + 1) + end;
    let arena = this.arenas.get(key);
    if (arena === undefined) {
      const spans = this.lifetimes(begin, end);
      const sum = spans.reduce((n, s) => n + s.bytes, 0);
      // Without reuse the arena is at most the sum; when that fits, no need to plan it.
      if (sum <= room) return true;
      arena = planArena(spans).arenaBytes;
      this.arenas.set(key, arena);
    }
    return arena <= room;
  }
}

/** Mean encoded bytes of what crosses each position (0: the model inputs; opCount: its outputs), per codec that takes its dtypes. */
export function measureWireSizes(graph: Graph, modelPath: string, codecs: readonly CodecName[], inputSets = 2): Map<number, WireOption[]> {
  // The model's outputs too (at position opCount): a pipeline sends them back to the first device.
  const positions = new Map<number, number[]>([[0, graph.inputs], ...listCuts(graph).map((c): [number, number[]] => [c.position, c.crossing]), [graph.ops.length, graph.outputs]]);
  const session = Session.fromBytes(compileGraph(graph).bytes, modelPath, { threads: 1 });
  const sets = measurementInputs(graph, modelPath, inputSets);
  const dumps = sets.map((s) => {
    session.resetState();
    return session.runSync(s.inputs, { dump: true }).dumps!;
  });
  session.dispose();
  const wire = new Map<number, WireOption[]>();
  for (const [position, tensors] of positions) {
    const options: WireOption[] = [];
    for (const codec of CODECS) {
      if (!codecs.includes(codec.name)) continue;
      if (!tensors.every((t) => codec.dtypes.includes(graph.tensors[t]!.dtype as never))) continue;
      let bytes = 0;
      for (const [c, dump] of dumps.entries()) {
        for (const t of tensors) {
          const spec = graph.tensors[t]!;
          const data = dump.get(t) ?? sets[c]!.inputs[graph.inputs.indexOf(t)]!;
          bytes += encode(codec.name, { data, dtype: spec.dtype as 'int8', shape: spec.shape, scale: spec.quantization?.scale[0] ?? 0, zeroPoint: spec.quantization?.zeroPoint[0] ?? 0 }).length;
        }
      }
      options.push({ codec: codec.name, bytes: bytes / dumps.length, lossless: codec.lossless });
    }
    wire.set(position, options);
  }
  return wire;
}

export interface ProblemInputs {
  graph: Graph;
  devices: Device[];
  links: Link[];
  costs: DeviceCosts[];
  wire: Map<number, WireOption[]>;
  precisions: Precision[];
  maxLatencyMicros?: number;
}

export function buildProblem(inputs: ProblemInputs): { problem: PlanningProblem; memory: SegmentMemoryTable } {
  const memory = new SegmentMemoryTable(inputs.graph);
  const devices: SearchDevice[] = inputs.devices.map((d, i) => ({
    name: d.name,
    // int4 on a segment without int4 weights is the int8 segment again: refuse it so no plan is listed twice.
    fits: (begin, end, precision) => (precision === 'int8' || memory.hasInt4Weights(begin, end)) && memory.fits(begin, end, precision, d.ramBytes, d.flashBytes),
    opMicros: inputs.costs[i]!.micros,
    opJoules: inputs.costs[i]!.joules,
  }));
  const cuts = listCuts(inputs.graph).map((c) => c.position);
  return {
    problem: { opCount: inputs.graph.ops.length, cuts, devices, links: inputs.links, wire: inputs.wire, precisions: inputs.precisions, maxLatencyMicros: inputs.maxLatencyMicros },
    memory,
  };
}
