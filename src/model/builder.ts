// Building Graphs in code rather than reading them from a .tflite file: quantized tensors and
// single-op graphs (for synthetic layers in tests and benchmarks).
import { byteSize, type DType } from './dtype';
import type { Graph, Op, Tensor } from './graph';

/** A tensor with per-tensor (one scale) or per-axis quantization on axis 0; `data` makes it constant. */
export function quantizedTensor(index: number, shape: number[], dtype: DType, scale: number[], zeroPoint: number[], data: Uint8Array | null): Tensor {
  const count = shape.reduce((a, b) => a * b, 1);
  return {
    index, name: `t${index}`, shape, dtype, isVariable: false, buffer: data ? index + 1 : 0, data,
    byteLength: byteSize(dtype, count),
    quantization: { scale, zeroPoint, quantizedDimension: 0 },
  };
}

/** A graph of one op whose input is tensor 0 and whose output is the last tensor. */
export function singleOpGraph(source: string, tensors: Tensor[], op: Op): Graph {
  return {
    source, schemaVersion: 3, description: '', subgraphName: '',
    tensors, ops: [op], inputs: [0], outputs: [tensors.length - 1], metadata: [], signatureDefs: [], bufferCount: tensors.length + 1,
  };
}
