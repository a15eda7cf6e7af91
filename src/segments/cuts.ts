// Cuts of a model: a cut is a position p in the op order (TFLite stores ops topologically sorted)
// that splits ops [0, p) from [p, n). Its crossing set is every activation produced before the cut
// (or a graph input) and still needed after it (read by a later op, or a graph output). Residual
// networks cross several tensors at most cuts.
import { type Graph, isConstant } from '../model/graph';
import { CleaveError } from '../errors';

export interface Cut {
  /** Ops [0, position) run before the cut. */
  position: number;
  /** Tensor indices (in the model) that cross, ascending. */
  crossing: number[];
  bytes: number;
}

function producers(graph: Graph): Map<number, number> {
  const p = new Map<number, number>();
  graph.ops.forEach((op, k) => op.outputs.forEach((t) => p.set(t, k)));
  return p;
}

export function crossingAt(graph: Graph, position: number): number[] {
  const produced = producers(graph);
  const crossing = new Set<number>();
  const before = (t: number) => graph.inputs.includes(t) || (produced.get(t) ?? Infinity) < position;
  for (let k = position; k < graph.ops.length; k++) {
    for (const t of graph.ops[k]!.inputs) if (t >= 0 && before(t)) crossing.add(t);
  }
  for (const t of graph.outputs) if (before(t)) crossing.add(t);
  return [...crossing].filter((t) => !isConstant(graph.tensors[t]!)).sort((a, b) => a - b);
}

/**
 * Every valid cut: positions 1..n-1 where no recurrent state (a variable tensor) would be shared by
 * ops on both sides.
 */
export function listCuts(graph: Graph): Cut[] {
  const cuts: Cut[] = [];
  for (let p = 1; p < graph.ops.length; p++) {
    const crossing = crossingAt(graph, p);
    if (crossing.some((t) => graph.tensors[t]!.isVariable)) continue;
    cuts.push({ position: p, crossing, bytes: crossing.reduce((s, t) => s + graph.tensors[t]!.byteLength, 0) });
  }
  return cuts;
}

/** Parses "3,7" into sorted positions, refusing ones that are not valid cuts of this graph. */
export function parseCuts(graph: Graph, spec: string): number[] {
  const valid = new Set(listCuts(graph).map((c) => c.position));
  const positions = spec.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const p = Number(s);
    if (!Number.isInteger(p) || !valid.has(p)) {
      throw new CleaveError('BAD_CUT', `${graph.source}: "${s}" is not a valid cut (valid: 1..${graph.ops.length - 1}; see \`cleave cuts\`)`);
    }
    return p;
  });
  if (positions.length === 0) throw new CleaveError('BAD_CUT', `${graph.source}: no cut given`);
  return [...new Set(positions)].sort((a, b) => a - b);
}
