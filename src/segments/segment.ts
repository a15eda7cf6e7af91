// Extracts the ops [begin, end) of a graph as a standalone Graph: its inputs are the tensors
// crossing the cut at `begin` (the model's inputs for the first segment), its outputs those crossing
// at `end` (the model's outputs for the last). Tensors are renumbered densely; constant data stays a
// view into the original model.
import * as path from 'node:path';
import type { Graph, Op, Tensor } from '../model/graph';
import { crossingAt } from './cuts';

export interface Segment {
  graph: Graph;
  begin: number;
  end: number;
  /** For each segment input/output, the tensor index in the original model. */
  inputs: number[];
  outputs: number[];
  /** Original tensor index -> segment tensor index. */
  tensorMap: Map<number, number>;
}

export function extractSegment(graph: Graph, begin: number, end: number, name: string): Segment {
  const inputs = begin === 0 ? [...graph.inputs] : crossingAt(graph, begin);
  const outputs = end === graph.ops.length ? [...graph.outputs] : crossingAt(graph, end);
  const ops = graph.ops.slice(begin, end);
  const used = new Set<number>([...inputs, ...outputs]);
  for (const op of ops) for (const t of [...op.inputs, ...op.outputs, ...op.intermediates]) if (t >= 0) used.add(t);
  const order = [...used].sort((a, b) => a - b);
  const tensorMap = new Map(order.map((t, i) => [t, i]));
  const remap = (t: number) => (t < 0 ? t : tensorMap.get(t)!);
  const tensors: Tensor[] = order.map((t, i) => ({ ...graph.tensors[t]!, index: i, buffer: graph.tensors[t]!.data ? i + 1 : 0 }));
  const segmentOps: Op[] = ops.map((op, k) => ({
    ...op,
    index: k,
    inputs: op.inputs.map(remap),
    outputs: op.outputs.map(remap),
    intermediates: op.intermediates.map(remap),
  }));
  return {
    graph: {
      ...graph,
      source: name,
      description: `cleave segment: ops ${begin}..${end - 1} of ${path.basename(graph.source)}`,
      tensors,
      ops: segmentOps,
      inputs: inputs.map(remap),
      outputs: outputs.map(remap),
      metadata: [],
      signatureDefs: [],
      bufferCount: tensors.length + 1,
    },
    begin,
    end,
    inputs,
    outputs,
    tensorMap,
  };
}

/** The segments between consecutive cut positions. */
export function splitGraph(graph: Graph, cuts: number[], baseName: string): Segment[] {
  const bounds = [0, ...cuts, graph.ops.length];
  return bounds.slice(0, -1).map((b, i) => extractSegment(graph, b, bounds[i + 1]!, `${baseName}.seg${i}`));
}
