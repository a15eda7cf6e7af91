// Inputs to measure a model on: its golden cases when they sit beside it (models/<name>/<case>/),
// otherwise seeded pseudo-random bytes, so profiles and codec sizes are reproducible either way.
import * as path from 'node:path';
import type { Graph } from '../model/graph';
import { readCaseInputs } from '../segments/agreement';

/** xorshift32: a tiny deterministic generator; the bytes need only be repeatable, not strong. */
function seededBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export interface InputSet {
  /** Golden case name, or `random-<seed>`. */
  name: string;
  inputs: Uint8Array[];
}

/** Up to `count` input sets for the model at `modelPath` (inputs in the graph's input order). */
export function measurementInputs(graph: Graph, modelPath: string, count: number): InputSet[] {
  const golden = readCaseInputs(path.dirname(modelPath), graph.inputs).slice(0, count);
  if (golden.length > 0) return golden;
  return Array.from({ length: count }, (_, k) => ({
    name: `random-${k + 1}`,
    inputs: graph.inputs.map((t) => seededBytes(graph.tensors[t]!.byteLength, k + 1)),
  }));
}
