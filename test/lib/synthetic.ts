// Small Graphs built in code (no .tflite file) for tests: single ops with chosen shapes and
// deterministic pseudo-random weights, compiled and run like any model.
import type { Graph, Op } from '../../src/model/graph';
import { quantizedTensor, singleOpGraph } from '../../src/model/builder';
import { prng } from '../fuzz/mutate';

export function randomBytes(n: number, seed: number): Uint8Array {
  const rand = prng(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}


export interface ConvSpec {
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  kernel: number;
  kernelW?: number;
  stride?: number;
  strideW?: number;
  dilation?: number;
  padding?: 'SAME' | 'VALID';
  depthwise?: boolean;
  depthMultiplier?: number;
  activation?: 'NONE' | 'RELU' | 'RELU6';
  inputZeroPoint?: number;
  outputScale?: number;
  /** Weight bytes: random by default, or all one value (e.g. -128, 127) to probe saturation. */
  weightFill?: number;
  /** Random weights in [-127, 127] (TFLite's int8 weight range), not [-128, 127]. */
  symmetricWeights?: boolean;
  seed?: number;
  /** Images in the input and output (1 by default). */
  batches?: number;
}

function weights(n: number, seed: number, fill?: number, symmetric = false): Uint8Array {
  if (fill !== undefined) return new Uint8Array(n).fill(fill & 255);
  const b = randomBytes(n, seed);
  return symmetric ? b.map((x) => (x === 0x80 ? 0x81 : x)) : b;
}

function outSize(size: number, kernel: number, stride: number, dilation: number, padding: 'SAME' | 'VALID'): number {
  const effective = (kernel - 1) * dilation + 1;
  return padding === 'SAME' ? Math.ceil(size / stride) : Math.floor((size - effective) / stride) + 1;
}

/** One CONV_2D (or DEPTHWISE_CONV_2D) with per-channel int8 weights and int32 bias. */
export function convGraph(spec: ConvSpec): Graph {
  const { height: h, width: w, inChannels: cin, kernel: kh } = spec;
  const kw = spec.kernelW ?? kh;
  const depthwise = spec.depthwise ?? false;
  const multiplier = spec.depthMultiplier ?? 1;
  const cout = depthwise ? cin * multiplier : spec.outChannels;
  const sh = spec.stride ?? 1, sw = spec.strideW ?? sh, dil = spec.dilation ?? 1;
  const padding = spec.padding ?? 'SAME';
  const seed = spec.seed ?? 1;
  const batches = spec.batches ?? 1;
  const oh = outSize(h, kh, sh, dil, padding), ow = outSize(w, kw, sw, dil, padding);
  const rand = prng(seed + 17);
  const filterScales = Array.from({ length: cout }, () => Math.fround(0.0005 + 0.004 * rand()));
  const bias = new Int32Array(cout).map(() => Math.floor(rand() * 4000) - 2000);
  const inScale = Math.fround(0.05);
  const filterShape = depthwise ? [1, kh, kw, cout] : [cout, kh, kw, cin];
  const tensors = [
    quantizedTensor(0, [batches, h, w, cin], 'int8', [inScale], [spec.inputZeroPoint ?? -3], null),
    quantizedTensor(1, filterShape, 'int8', filterScales, filterScales.map(() => 0), weights(filterShape.reduce((a, b) => a * b, 1), seed, spec.weightFill, spec.symmetricWeights)),
    quantizedTensor(2, [cout], 'int32', filterScales.map((s) => Math.fround(s * inScale)), filterScales.map(() => 0), new Uint8Array(bias.buffer)),
    quantizedTensor(3, [batches, oh, ow, cout], 'int8', [Math.fround(spec.outputScale ?? 0.08)], [5], null),
  ];
  tensors[1]!.quantization!.quantizedDimension = depthwise ? 3 : 0;
  const options: Op['options'] = {
    padding, strideW: sw, strideH: sh, dilationWFactor: dil, dilationHFactor: dil, fusedActivationFunction: spec.activation ?? 'RELU',
  };
  if (depthwise) options.depthMultiplier = multiplier;
  const op: Op = { index: 0, opcode: depthwise ? 'DEPTHWISE_CONV_2D' : 'CONV_2D', version: 3, inputs: [0, 1, 2], outputs: [3], intermediates: [], optionsType: depthwise ? 'DepthwiseConv2DOptions' : 'Conv2DOptions', options };
  return singleOpGraph(`${depthwise ? 'dw' : 'conv'}${kh}x${kw}_${h}x${w}x${cin}to${cout}`, tensors, op);
}

export interface FullyConnectedSpec {
  batches: number;
  inputs: number;
  outputs: number;
  perChannel?: boolean;
  inputZeroPoint?: number;
  weightFill?: number;
  /** Random weights in [-127, 127], not [-128, 127]. */
  symmetricWeights?: boolean;
  seed?: number;
}

/** One FULLY_CONNECTED with int8 weights (per-tensor or per-channel scales) and int32 bias. */
export function fullyConnectedGraph(spec: FullyConnectedSpec): Graph {
  const { batches, inputs: k, outputs: n } = spec;
  const seed = spec.seed ?? 1;
  const rand = prng(seed + 29);
  const scales = spec.perChannel ? Array.from({ length: n }, () => Math.fround(0.0005 + 0.004 * rand())) : [Math.fround(0.002)];
  const bias = new Int32Array(n).map(() => Math.floor(rand() * 4000) - 2000);
  const tensors = [
    quantizedTensor(0, [batches, k], 'int8', [Math.fround(0.05)], [spec.inputZeroPoint ?? 7], null),
    quantizedTensor(1, [n, k], 'int8', scales, scales.map(() => 0), weights(n * k, seed, spec.weightFill, spec.symmetricWeights)),
    quantizedTensor(2, [n], 'int32', [Math.fround(0.0001)], [0], new Uint8Array(bias.buffer)),
    quantizedTensor(3, [batches, n], 'int8', [Math.fround(0.3)], [-2], null),
  ];
  const op: Op = {
    index: 0, opcode: 'FULLY_CONNECTED', version: 4, inputs: [0, 1, 2], outputs: [3], intermediates: [], optionsType: 'FullyConnectedOptions',
    options: { fusedActivationFunction: 'NONE', keepNumDims: false },
  };
  return singleOpGraph(`fc_${batches}x${k}to${n}`, tensors, op);
}

export interface AddSpec {
  shape: number[];
  scales: [number, number, number];
  zeroPoints: [number, number, number];
  activation?: 'NONE' | 'RELU' | 'RELU6';
}

/** One int8 ADD of two same-shape inputs (the second a graph input too). */
export function addGraph(spec: AddSpec): Graph {
  const tensors = [0, 1, 2].map((i) => quantizedTensor(i, spec.shape, 'int8', [Math.fround(spec.scales[i]!)], [spec.zeroPoints[i]!], null));
  const op: Op = {
    index: 0, opcode: 'ADD', version: 2, inputs: [0, 1], outputs: [2], intermediates: [], optionsType: 'AddOptions',
    options: { fusedActivationFunction: spec.activation ?? 'NONE' },
  };
  return { ...singleOpGraph(`add_${spec.shape.join('x')}`, tensors, op), inputs: [0, 1] };
}

/** One int8 AVERAGE_POOL_2D over [1, h, w, channels] with a square VALID window. */
export function averagePoolGraph(spec: { height: number; width: number; channels: number; filter: number; stride: number }): Graph {
  const { height: h, width: w, channels: c, filter, stride } = spec;
  const oh = outSize(h, filter, stride, 1, 'VALID'), ow = outSize(w, filter, stride, 1, 'VALID');
  const tensors = [
    quantizedTensor(0, [1, h, w, c], 'int8', [Math.fround(0.05)], [-3], null),
    quantizedTensor(1, [1, oh, ow, c], 'int8', [Math.fround(0.05)], [-3], null),
  ];
  const op: Op = {
    index: 0, opcode: 'AVERAGE_POOL_2D', version: 2, inputs: [0], outputs: [1], intermediates: [], optionsType: 'Pool2DOptions',
    options: { padding: 'VALID', strideW: stride, strideH: stride, filterWidth: filter, filterHeight: filter, fusedActivationFunction: 'NONE' },
  };
  return singleOpGraph(`avgpool${filter}x${filter}_${h}x${w}x${c}`, tensors, op);
}

/** One int8 CONCATENATION of `count` graph inputs of shape [1, width] along the last axis. */
export function concatenationGraph(count: number, width: number): Graph {
  const tensors = Array.from({ length: count }, (_, i) => quantizedTensor(i, [1, width], 'int8', [Math.fround(0.1)], [0], null));
  tensors.push(quantizedTensor(count, [1, count * width], 'int8', [Math.fround(0.1)], [0], null));
  const inputs = Array.from({ length: count }, (_, i) => i);
  const op: Op = {
    index: 0, opcode: 'CONCATENATION', version: 1, inputs, outputs: [count], intermediates: [], optionsType: 'ConcatenationOptions',
    options: { axis: -1, fusedActivationFunction: 'NONE' },
  };
  return { ...singleOpGraph(`concat${count}x${width}`, tensors, op), inputs };
}
