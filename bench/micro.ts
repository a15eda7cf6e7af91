// The microbenchmark cases: one op each, built in code twice over the same numbers. cleave gets a
// Graph (int8 activations, as TFLite quantizes them); onnxruntime-node gets an ONNX model with uint8
// activations (the same real values: zero points shifted by 128) and int8 weights, the combination
// its x86 kernels are fastest at. Both compute the same quantized function up to requantization
// rounding, so their outputs can be compared (`maxDiffLsb` in the report).
import type { Graph, Op } from '../src/model/graph';
import { quantizedTensor, singleOpGraph } from '../src/model/builder';
import { prng } from '../test/fuzz/mutate';
import { encodeModel, floats, int32s, int8s, scalarFloat, scalarUint8, type OnnxGraph } from './onnx';


export function randomInt8(n: number, seed: number): Int8Array {
  const rand = prng(seed);
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rand() * 256) - 128;
  return out;
}

export interface MicroCase {
  name: string;
  macs: number;
  /** cleave's model: one op. */
  graph: Graph;
  /** cleave's input (int8). */
  input: Int8Array;
  /** The same op for onnxruntime-node: ModelProto bytes. */
  onnx: Uint8Array;
  ortInput: { name: string; dims: number[]; data: Uint8Array };
  ortOutput: string;
  /** ORT's output (uint8, its layout) as cleave's int8 output in cleave's layout, for comparing. */
  ortToCleave(out: Uint8Array): Int8Array;
}



const bytesOf = (a: Int8Array | Int32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * An output scale that keeps the int8 result mostly in range (about 30 LSB standard deviation for
 * uniform random int8 inputs and weights): results that saturate everywhere would compare nothing.
 */
function outputScale(inScale: number, weightScale: number, depth: number): number {
  return Math.fround((inScale * weightScale * Math.sqrt(depth) * 74 * 74) / 30);
}

const IN_SCALE = Math.fround(0.05);
const IN_ZP = -3;
const OUT_ZP = 5;

/** CONV_2D k×k, stride 1, SAME padding, per-channel int8 weights, int32 bias, no activation. */
export function convCase(h: number, w: number, cin: number, cout: number, k: number, seed = 1): MicroCase {
  const name = `conv${k}x${k}_${cin}to${cout}_${h}x${w}`;
  const filterScales = Array.from({ length: cout }, (_, c) => Math.fround(0.002 + 0.0001 * (c % 7)));
  const outScale = outputScale(IN_SCALE, 0.0023, k * k * cin);
  const filter = randomInt8(cout * k * k * cin, seed); // [cout, k, k, cin]
  const bias = new Int32Array(cout).map((_, c) => ((c * 7919) % 2000) - 1000);
  const input = randomInt8(h * w * cin, seed + 1); // NHWC
  const tensors = [
    quantizedTensor(0, [1, h, w, cin], 'int8', [IN_SCALE], [IN_ZP], null),
    quantizedTensor(1, [cout, k, k, cin], 'int8', filterScales, filterScales.map(() => 0), bytesOf(filter)),
    quantizedTensor(2, [cout], 'int32', filterScales.map((s) => Math.fround(s * IN_SCALE)), filterScales.map(() => 0), bytesOf(bias)),
    quantizedTensor(3, [1, h, w, cout], 'int8', [outScale], [OUT_ZP], null),
  ];
  const op: Op = {
    index: 0, opcode: 'CONV_2D', version: 3, inputs: [0, 1, 2], outputs: [3], intermediates: [], optionsType: 'Conv2DOptions',
    options: { padding: 'SAME', strideW: 1, strideH: 1, dilationWFactor: 1, dilationHFactor: 1, fusedActivationFunction: 'NONE' },
  };

  // ONNX: NCHW activations, OIHW weights.
  const oihw = new Int8Array(filter.length);
  for (let o = 0; o < cout; o++) {
    for (let y = 0; y < k; y++) for (let x = 0; x < k; x++) for (let i = 0; i < cin; i++) {
      oihw[((o * cin + i) * k + y) * k + x] = filter[((o * k + y) * k + x) * cin + i]!;
    }
  }
  const nchw = new Uint8Array(input.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < cin; c++) {
    nchw[(c * h + y) * w + x] = input[(y * w + x) * cin + c]! + 128;
  }
  const pad = (k - 1) >> 1;
  const g: OnnxGraph = {
    name,
    nodes: [{
      opType: 'QLinearConv',
      inputs: ['x', 'x_scale', 'x_zero_point', 'w', 'w_scale', 'w_zero_point', 'y_scale', 'y_zero_point', 'B'],
      outputs: ['y'],
      attributes: [
        { name: 'kernel_shape', ints: [k, k] }, { name: 'pads', ints: [pad, pad, k - 1 - pad, k - 1 - pad] },
        { name: 'strides', ints: [1, 1] }, { name: 'dilations', ints: [1, 1] }, { name: 'group', int: 1 },
      ],
    }],
    initializers: [
      scalarFloat('x_scale', IN_SCALE), scalarUint8('x_zero_point', IN_ZP + 128),
      int8s('w', oihw, [cout, cin, k, k]), floats('w_scale', filterScales), int8s('w_zero_point', new Int8Array(cout), [cout]),
      scalarFloat('y_scale', outScale), scalarUint8('y_zero_point', OUT_ZP + 128),
      int32s('B', bias, [cout]),
    ],
    inputs: [{ name: 'x', type: 'uint8', dims: [1, cin, h, w] }],
    outputs: [{ name: 'y', type: 'uint8', dims: [1, cout, h, w] }],
  };
  return {
    name, macs: h * w * cout * k * k * cin,
    graph: singleOpGraph(name, tensors, op), input,
    onnx: encodeModel(g),
    ortInput: { name: 'x', dims: [1, cin, h, w], data: nchw },
    ortOutput: 'y',
    ortToCleave(out) {
      const nhwc = new Int8Array(h * w * cout);
      for (let c = 0; c < cout; c++) for (let p = 0; p < h * w; p++) nhwc[p * cout + c] = out[c * h * w + p]! - 128;
      return nhwc;
    },
  };
}

/**
 * FULLY_CONNECTED: input [batches, depth], filter [units, depth] int8 with one scale, int32 bias.
 * The bias is zero because ONNX's QLinearMatMul has none; cleave still reads and adds it.
 */
export function fcCase(batches: number, depth: number, units: number, seed = 2): MicroCase {
  const name = `fc_${batches}x${depth}x${units}`;
  const wScale = Math.fround(0.002);
  const outScale = outputScale(IN_SCALE, wScale, depth);
  const filter = randomInt8(units * depth, seed); // [units, depth]
  const bias = new Int32Array(units);
  const input = randomInt8(batches * depth, seed + 1);
  const tensors = [
    quantizedTensor(0, [batches, depth], 'int8', [IN_SCALE], [IN_ZP], null),
    quantizedTensor(1, [units, depth], 'int8', [wScale], [0], bytesOf(filter)),
    quantizedTensor(2, [units], 'int32', [Math.fround(wScale * IN_SCALE)], [0], bytesOf(bias)),
    quantizedTensor(3, [batches, units], 'int8', [outScale], [OUT_ZP], null),
  ];
  const op: Op = {
    index: 0, opcode: 'FULLY_CONNECTED', version: 4, inputs: [0, 1, 2], outputs: [3], intermediates: [], optionsType: 'FullyConnectedOptions',
    options: { fusedActivationFunction: 'NONE', keepNumDims: false },
  };
  const kn = new Int8Array(filter.length); // ONNX MatMul B is [depth, units]
  for (let u = 0; u < units; u++) for (let d = 0; d < depth; d++) kn[d * units + u] = filter[u * depth + d]!;
  const g: OnnxGraph = {
    name,
    nodes: [{
      opType: 'QLinearMatMul',
      inputs: ['a', 'a_scale', 'a_zero_point', 'b', 'b_scale', 'b_zero_point', 'y_scale', 'y_zero_point'],
      outputs: ['y'],
    }],
    initializers: [
      scalarFloat('a_scale', IN_SCALE), scalarUint8('a_zero_point', IN_ZP + 128),
      int8s('b', kn, [depth, units]), scalarFloat('b_scale', wScale), int8s('b_zero_point', new Int8Array(1), []),
      scalarFloat('y_scale', outScale), scalarUint8('y_zero_point', OUT_ZP + 128),
    ],
    inputs: [{ name: 'a', type: 'uint8', dims: [batches, depth] }],
    outputs: [{ name: 'y', type: 'uint8', dims: [batches, units] }],
  };
  return {
    name, macs: batches * depth * units,
    graph: singleOpGraph(name, tensors, op), input,
    onnx: encodeModel(g),
    ortInput: { name: 'a', dims: [batches, depth], data: Uint8Array.from(input, (v) => v + 128) },
    ortOutput: 'y',
    ortToCleave: (out) => Int8Array.from(out, (v) => v - 128),
  };
}

/** The three microbenchmarks of issue 4. */
export function microCases(): MicroCase[] {
  return [convCase(56, 56, 64, 64, 3), fcCase(1, 1024, 1024), fcCase(256, 512, 512)];
}
