// Re-quantizes a graph's CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED weights from int8 to
// symmetric int4 per output channel ([-7, 7], TFLite's packed int4: two per byte, low nibble first).
// Biases are rescaled to the new accumulator scale (input scale x new weight scale) so the int32
// arithmetic keeps its meaning.
import type { Graph, Tensor } from '../model/graph';

const WEIGHT_OPS: Record<string, number> = { CONV_2D: 0, DEPTHWISE_CONV_2D: 3, FULLY_CONNECTED: 0 };

export interface Int4Report {
  tensors: number;
  weightBytesBefore: number;
  weightBytesAfter: number;
}

function int8Values(t: Tensor): Int8Array {
  return new Int8Array(t.data!.buffer, t.data!.byteOffset, t.data!.byteLength);
}

/** Index of element i along axis `dim` of `shape`. */
function channelOf(i: number, shape: number[], dim: number): number {
  const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  return Math.floor(i / inner) % shape[dim]!;
}

export function requantizeWeightsInt4(graph: Graph): { graph: Graph; report: Int4Report } {
  const tensors = graph.tensors.map((t) => ({ ...t }));
  const report: Int4Report = { tensors: 0, weightBytesBefore: 0, weightBytesAfter: 0 };
  const done = new Set<number>();
  for (const op of graph.ops) {
    const dim = WEIGHT_OPS[op.opcode];
    const filterIndex = op.inputs[1] ?? -1;
    if (dim === undefined || filterIndex < 0 || done.has(filterIndex)) continue;
    const filter = tensors[filterIndex]!;
    const input = tensors[op.inputs[0]!]!;
    if (filter.dtype !== 'int8' || !filter.data || !filter.quantization || !input.quantization) continue;
    const channels = filter.shape[dim]!;
    const values = int8Values(filter);
    const oldScales = Array.from({ length: channels }, (_, c) => filter.quantization!.scale[filter.quantization!.scale.length > 1 ? c : 0]!);
    const maxAbs = new Array<number>(channels).fill(0);
    values.forEach((v, i) => {
      const c = channelOf(i, filter.shape, dim);
      maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(v));
    });
    // New per-channel scale so the largest weight maps to +-7; an all-zero channel keeps its scale.
    const newScales = oldScales.map((s, c) => (maxAbs[c] ? Math.fround((maxAbs[c]! * s) / 7) : s));
    const packed = new Uint8Array(Math.ceil(values.length / 2));
    values.forEach((v, i) => {
      const c = channelOf(i, filter.shape, dim);
      const q = Math.max(-7, Math.min(7, Math.round((v * oldScales[c]!) / newScales[c]!)));
      packed[i >> 1]! |= (q & 0x0f) << ((i & 1) * 4);
    });
    report.tensors++;
    report.weightBytesBefore += filter.byteLength;
    report.weightBytesAfter += packed.length;
    tensors[filterIndex] = {
      ...filter,
      dtype: 'int4',
      data: packed,
      byteLength: packed.length,
      quantization: { scale: newScales, zeroPoint: newScales.map(() => 0), quantizedDimension: dim },
    };
    done.add(filterIndex);
    const biasIndex = op.inputs[2] ?? -1;
    const bias = biasIndex >= 0 ? tensors[biasIndex] : undefined;
    if (bias?.data && bias.dtype === 'int32' && !done.has(biasIndex)) {
      const view = new DataView(bias.data.buffer, bias.data.byteOffset, bias.data.byteLength);
      const rescaled = new Uint8Array(bias.byteLength);
      const out = new DataView(rescaled.buffer);
      for (let c = 0; c < bias.byteLength / 4; c++) {
        const v = Math.round((view.getInt32(4 * c, true) * oldScales[c]!) / newScales[c]!);
        out.setInt32(4 * c, Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, v)), true);
      }
      const inScale = input.quantization.scale[0]!;
      tensors[biasIndex] = {
        ...bias,
        data: rescaled,
        quantization: { scale: newScales.map((s) => Math.fround(s * inScale)), zeroPoint: newScales.map(() => 0), quantizedDimension: 0 },
      };
      done.add(biasIndex);
    }
  }
  return { graph: { ...graph, tensors }, report };
}
