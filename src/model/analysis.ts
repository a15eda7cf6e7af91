// Static figures of a Graph: multiply-accumulates per op, weight bytes, activation sizes and the
// memory lifetimes of activation tensors. Formulas are documented in docs/inspect.md.
import { type Graph, type Op, type Tensor, elementCount, isConstant } from './graph';

/** Multiply-accumulates of one op (0 for ops that only move, compare or add values). */
export function opMacs(graph: Graph, op: Op): number {
  const t = (i: number): Tensor | undefined => (i >= 0 ? graph.tensors[i] : undefined);
  const out = t(op.outputs[0] ?? -1);
  const outCount = out ? elementCount(out.shape) : 0;
  const filter = t(op.inputs[1] ?? -1);
  switch (op.opcode) {
    case 'CONV_2D': {
      // each output element: KH*KW*Cin products; filter is [Cout, KH, KW, Cin]
      const [, kh = 0, kw = 0, cin = 0] = filter?.shape ?? [];
      return outCount * kh * kw * cin;
    }
    case 'DEPTHWISE_CONV_2D': {
      // each output element: KH*KW products; filter is [1, KH, KW, Cout]
      const [, kh = 0, kw = 0] = filter?.shape ?? [];
      return outCount * kh * kw;
    }
    case 'FULLY_CONNECTED': {
      // each output element: accum_depth products; filter is [output_depth, accum_depth]
      return outCount * (filter?.shape[1] ?? 0);
    }
    case 'SVDF': {
      // feature matmul: batch*num_filters*input_size; time matmul: batch*num_filters*memory_size
      const input = t(op.inputs[0] ?? -1);
      const time = t(op.inputs[2] ?? -1);
      const batch = input?.shape[0] ?? 0;
      const [numFilters = 0, inputSize = 0] = filter?.shape ?? [];
      const memorySize = time?.shape[1] ?? 0;
      return batch * numFilters * (inputSize + memorySize);
    }
    default:
      return 0;
  }
}

/** Bytes of constant inputs (weights, biases, shape tensors) read by an op. */
export function opWeightBytes(graph: Graph, op: Op): number {
  let bytes = 0;
  for (const i of op.inputs) {
    const tensor = i >= 0 ? graph.tensors[i] : undefined;
    if (tensor && isConstant(tensor)) bytes += tensor.byteLength;
  }
  return bytes;
}

export interface Lifetime {
  tensor: number;
  bytes: number;
  /** First and last op index (inclusive) during which the tensor must hold its value. */
  first: number;
  last: number;
}

/**
 * When each activation tensor is live, in op order. Graph inputs live from op 0, outputs until the
 * last op, variable tensors (state kept across runs) for the whole run.
 */
export function activationLifetimes(graph: Graph): Lifetime[] {
  const lastOp = Math.max(graph.ops.length - 1, 0);
  const spans = new Map<number, Lifetime>();
  const touch = (tensor: number, opIndex: number) => {
    const t = graph.tensors[tensor];
    if (!t || isConstant(t)) return;
    const s = spans.get(tensor);
    if (s) {
      s.first = Math.min(s.first, opIndex);
      s.last = Math.max(s.last, opIndex);
    } else {
      spans.set(tensor, { tensor, bytes: t.byteLength, first: opIndex, last: opIndex });
    }
  };
  for (const i of graph.inputs) touch(i, 0);
  graph.ops.forEach((op, k) => {
    for (const i of [...op.inputs, ...op.outputs, ...op.intermediates]) if (i >= 0) touch(i, k);
  });
  for (const o of graph.outputs) touch(o, lastOp);
  for (const s of spans.values()) {
    if (graph.tensors[s.tensor]!.isVariable) {
      s.first = 0;
      s.last = lastOp;
    }
  }
  return [...spans.values()].sort((a, b) => a.tensor - b.tensor);
}

/** The largest sum of simultaneously live activation bytes: the lower bound of any arena. */
export function peakLiveBytes(lifetimes: readonly Lifetime[], opCount: number): { bytes: number; atOp: number } {
  let best = { bytes: 0, atOp: 0 };
  for (let k = 0; k < Math.max(opCount, 1); k++) {
    let sum = 0;
    for (const l of lifetimes) if (l.first <= k && k <= l.last) sum += l.bytes;
    if (sum > best.bytes) best = { bytes: sum, atOp: k };
  }
  return best;
}

export interface ModelSummary {
  parameters: number;
  weightBytes: number;
  macs: number;
  activationBytes: number;
  largestActivation: { tensor: number; name: string; bytes: number } | null;
  peakLiveActivationBytes: number;
  peakAtOp: number;
}

export function summarize(graph: Graph): ModelSummary {
  let parameters = 0;
  let weightBytes = 0;
  let activationBytes = 0;
  let largest: ModelSummary['largestActivation'] = null;
  for (const t of graph.tensors) {
    if (isConstant(t)) {
      parameters += elementCount(t.shape);
      weightBytes += t.byteLength;
    } else {
      activationBytes += t.byteLength;
      if (!largest || t.byteLength > largest.bytes) largest = { tensor: t.index, name: t.name, bytes: t.byteLength };
    }
  }
  const peak = peakLiveBytes(activationLifetimes(graph), graph.ops.length);
  return {
    parameters,
    weightBytes,
    macs: graph.ops.reduce((sum, op) => sum + opMacs(graph, op), 0),
    activationBytes,
    largestActivation: largest,
    peakLiveActivationBytes: peak.bytes,
    peakAtOp: peak.atOp,
  };
}
