// The report behind `cleave inspect`: per-op tensors, MACs and weight bytes, and model totals.
// Its JSON form is documented in docs/inspect.md.
import { opMacs, opWeightBytes, summarize, type ModelSummary } from './model/analysis';
import { type Graph, type Tensor, isConstant } from './model/graph';
import { readModelFile } from './model/reader';
import { compileGraph } from './compile/program';
import { CleaveError } from './errors';
import { Session } from './session';

export interface TensorReport {
  index: number;
  name: string;
  shape: number[];
  dtype: string;
  scale: number[] | null;
  zeroPoint: number[] | null;
  constant: boolean;
  bytes: number;
}

export interface OpReport {
  index: number;
  op: string;
  version: number;
  inputs: TensorReport[];
  outputs: TensorReport[];
  /** Raw input tensor indices as in the model (-1 = omitted optional input). */
  inputIndices: number[];
  outputIndices: number[];
  options: Record<string, unknown>;
  macs: number;
  weightBytes: number;
  /**
   * What runs the op on this machine with `kernels: 'auto'`: "reference", or "<set>:<implementation>"
   * (e.g. "avx2:im2col+gemm-s16", "avx2:depthwise-3x3"); null when the model cannot be loaded.
   */
  kernel: string | null;
}

export interface InspectReport {
  model: string;
  schemaVersion: number;
  description: string;
  tensorCount: number;
  inputs: TensorReport[];
  outputs: TensorReport[];
  ops: OpReport[];
  totals: ModelSummary;
  /** The planned arena of the compiled Program, or why the model cannot be compiled. */
  arena: { bytes: number; lowerBound: number } | { error: string };
}

export function tensorReport(t: Tensor): TensorReport {
  return {
    index: t.index,
    name: t.name,
    shape: t.shape,
    dtype: t.dtype,
    scale: t.quantization?.scale ?? null,
    zeroPoint: t.quantization?.zeroPoint ?? null,
    constant: isConstant(t),
    bytes: t.byteLength,
  };
}

export function buildReport(graph: Graph): InspectReport {
  const tensor = (i: number) => tensorReport(graph.tensors[i]!);
  const kernels = opKernels(graph);
  return {
    model: graph.source,
    schemaVersion: graph.schemaVersion,
    description: graph.description,
    tensorCount: graph.tensors.length,
    inputs: graph.inputs.map(tensor),
    outputs: graph.outputs.map(tensor),
    ops: graph.ops.map((op) => ({
      index: op.index,
      op: op.opcode,
      version: op.version,
      inputs: op.inputs.filter((i) => i >= 0).map(tensor),
      outputs: op.outputs.map(tensor),
      inputIndices: op.inputs,
      outputIndices: op.outputs,
      options: op.options,
      macs: opMacs(graph, op),
      weightBytes: opWeightBytes(graph, op),
      kernel: kernels?.[op.index] ?? null,
    })),
    totals: summarize(graph),
    arena: plannedArena(graph),
  };
}

function plannedArena(graph: Graph): InspectReport['arena'] {
  try {
    const program = compileGraph(graph);
    return { bytes: program.arenaBytes, lowerBound: program.arenaLowerBound };
  } catch (err) {
    if (err instanceof CleaveError) return { error: err.message };
    throw err;
  }
}

// The kernel each op runs on, as the loaded model chose it (per layer, from shapes and weights): one
// profiled run on zero inputs. Null when the model cannot be compiled or loaded.
function opKernels(graph: Graph): string[] | null {
  let session: Session | undefined;
  try {
    session = Session.fromBytes(compileGraph(graph).bytes, graph.source, { kernels: 'auto', threads: 1 });
    const zeros = graph.inputs.map((i) => new Uint8Array(graph.tensors[i]!.byteLength));
    const kernels: string[] = [];
    for (const p of session.runSync(zeros, { profile: true }).profile ?? []) kernels[p.op] = p.kernel;
    return kernels;
  } catch (err) {
    if (err instanceof CleaveError) return null;
    throw err;
  } finally {
    session?.dispose();
  }
}

export function inspectModel(path: string): InspectReport {
  return buildReport(readModelFile(path));
}
