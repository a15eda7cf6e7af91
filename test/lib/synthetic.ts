// Small Graphs built in code (no .tflite file) for tests: single ops with chosen shapes and
// deterministic pseudo-random weights, compiled and run like any model.
import type { Graph, Op, Tensor } from '../../src/model/graph';
import { byteSize, type DType } from '../../src/model/dtype';
import { prng } from '../fuzz/mutate';

export function randomBytes(n: number, seed: number): Uint8Array {
  const rand = prng(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

function tensor(index: number, shape: number[], dtype: DType, scale: number[], zeroPoint: number[], data: Uint8Array | null): Tensor {
  const count = shape.reduce((a, b) => a * b, 1);
  return {
    index, name: `t${index}`, shape, dtype, isVariable: false, buffer: data ? index + 1 : 0, data,
    byteLength: byteSize(dtype, count),
    quantization: { scale, zeroPoint, quantizedDimension: 0 },
  };
}

export interface ConvSpec {
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride?: number;
  padding?: 'SAME' | 'VALID';
  seed?: number;
}

/** One CONV_2D with per-channel int8 weights and int32 bias. */
export function convGraph(spec: ConvSpec): Graph {
  const { height: h, width: w, inChannels: cin, outChannels: cout, kernel: k } = spec;
  const stride = spec.stride ?? 1;
  const padding = spec.padding ?? 'SAME';
  const seed = spec.seed ?? 1;
  const oh = padding === 'SAME' ? Math.ceil(h / stride) : Math.floor((h - k) / stride) + 1;
  const ow = padding === 'SAME' ? Math.ceil(w / stride) : Math.floor((w - k) / stride) + 1;
  const filterScales = Array.from({ length: cout }, (_, c) => Math.fround(0.002 + 0.0001 * (c % 7)));
  const bias = new Int32Array(cout).map((_, c) => ((c * 7919) % 2000) - 1000);
  const tensors = [
    tensor(0, [1, h, w, cin], 'int8', [Math.fround(0.05)], [-3], null),
    tensor(1, [cout, k, k, cin], 'int8', filterScales, filterScales.map(() => 0), randomBytes(cout * k * k * cin, seed)),
    tensor(2, [cout], 'int32', filterScales.map((s) => Math.fround(s * 0.05)), filterScales.map(() => 0), new Uint8Array(bias.buffer)),
    tensor(3, [1, oh, ow, cout], 'int8', [Math.fround(0.08)], [5], null),
  ];
  const op: Op = {
    index: 0, opcode: 'CONV_2D', version: 3, inputs: [0, 1, 2], outputs: [3], intermediates: [],
    options: { padding, strideW: stride, strideH: stride, dilationWFactor: 1, dilationHFactor: 1, fusedActivationFunction: 'RELU' },
  };
  return {
    source: `conv${k}x${k}_${h}x${w}x${cin}to${cout}`, schemaVersion: 3, description: '', subgraphName: '',
    tensors, ops: [op], inputs: [0], outputs: [3], metadata: [], signatureDefs: [], bufferCount: 5,
  };
}
