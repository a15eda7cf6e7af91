// The differential cases: graphs whose optimized kernel paths must give the reference's bytes.
// Shared by test/interp/differential.test.ts (host, tap) and test/arm64/run.js (under qemu).
import type { Graph } from '../../src/model/graph';
import { prng } from '../fuzz/mutate';
import { type ConvSpec, addGraph, convGraph, fullyConnectedGraph, randomBytes } from './synthetic';

export interface DifferentialCase {
  label: string;
  graph: Graph;
  /** One run per entry: random bytes, then all -128, then all 127 (for each graph input). */
  inputs: Uint8Array[][];
}

function inputsFor(bytes: number, seed: number, count = 1): Uint8Array[][] {
  const runs = [(k: number) => randomBytes(bytes, seed + k), () => new Uint8Array(bytes).fill(0x80), () => new Uint8Array(bytes).fill(0x7f)];
  return runs.map((make) => Array.from({ length: count }, (_, k) => make(k)));
}

export function differentialCases(): DifferentialCase[] {
  const cases: DifferentialCase[] = [];
  // conv and depthwise: randomized shapes (odd channel counts, 1x1 spatial, widths off the vector
  // width, strides, padding, dilation, depth multipliers, activations, zero points)
  const rand = prng(42);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  for (let i = 0; i < 40; i++) {
    const depthwise = i % 3 === 2;
    const spec: ConvSpec = {
      height: pick([1, 2, 5, 7, 12]),
      width: pick([1, 3, 6, 9, 17]),
      inChannels: pick([1, 3, 7, 8, 16, 19, 33]),
      outChannels: pick([1, 5, 8, 9, 16, 24, 31]),
      kernel: pick([1, 1, 3, 5]),
      kernelW: pick([1, 3]),
      stride: pick([1, 1, 2]),
      strideW: pick([1, 2, 3]),
      dilation: pick([1, 1, 2]),
      padding: pick(['SAME', 'VALID']),
      depthwise,
      depthMultiplier: depthwise ? pick([1, 1, 2, 8]) : 1,
      activation: pick(['NONE', 'RELU', 'RELU6']),
      inputZeroPoint: pick([-128, -3, 0, 127]),
      outputScale: pick([0.01, 0.08, 0.5]),
      // Every other case without -128 weights: the form AVX2's u8s8 matrix product takes.
      symmetricWeights: i % 2 === 0,
      seed: i + 1,
    };
    const reach = (k: number) => (k - 1) * spec.dilation! + 1;
    if (spec.padding === 'VALID' && (spec.height < reach(spec.kernel) || spec.width < reach(spec.kernelW!))) continue;
    cases.push({ label: `random #${i} ${JSON.stringify(spec)}`, graph: convGraph(spec), inputs: inputsFor(spec.height * spec.width * spec.inChannels, 100 + i) });
  }
  // extreme weights (all -128, all 127, alternating -127/127) with extreme inputs
  for (const weightFill of [-128, 127, -127]) {
    for (const depthwise of [false, true]) {
      const spec: ConvSpec = { height: 6, width: 7, inChannels: 37, outChannels: 13, kernel: 3, depthwise, weightFill, inputZeroPoint: 127, outputScale: 8 };
      cases.push({ label: `weights ${weightFill}, ${depthwise ? 'depthwise' : 'conv'}`, graph: convGraph(spec), inputs: inputsFor(6 * 7 * 37, 5) });
    }
  }
  // first layers, which the x86 sets run as direct convolutions: few input channels (tap rows of
  // at most 16 bytes gathered into one patch, or longer ones widened tap row by tap row), the
  // patch of the input's last pixel, strides, padding, dilation; and depthwise convolutions of a
  // one-channel input, which run as convolutions with one filter per output channel
  for (const [i, spec] of ([
    { height: 17, width: 19, inChannels: 3, outChannels: 8, kernel: 3, stride: 2, padding: 'SAME', inputZeroPoint: -128 },
    { height: 17, width: 19, inChannels: 3, outChannels: 8, kernel: 3, stride: 2, padding: 'VALID', symmetricWeights: true },
    { height: 9, width: 10, inChannels: 1, outChannels: 64, kernel: 10, kernelW: 4, stride: 2, padding: 'SAME', symmetricWeights: true },
    { height: 12, width: 11, inChannels: 5, outChannels: 9, kernel: 3, kernelW: 3, dilation: 2, padding: 'SAME', inputZeroPoint: 127 },
    { height: 8, width: 8, inChannels: 6, outChannels: 12, kernel: 3, padding: 'VALID', weightFill: -128, inputZeroPoint: 127 },
    { height: 8, width: 8, inChannels: 6, outChannels: 12, kernel: 3, padding: 'VALID', weightFill: 127, inputZeroPoint: -128 },
    { height: 13, width: 13, inChannels: 1, outChannels: 8, kernel: 3, stride: 2, padding: 'SAME', depthwise: true, depthMultiplier: 8 },
    { height: 13, width: 14, inChannels: 1, outChannels: 3, kernel: 3, padding: 'VALID', depthwise: true, depthMultiplier: 3, inputZeroPoint: 127 },
    { height: 7, width: 9, inChannels: 1, outChannels: 1, kernel: 5, kernelW: 3, dilation: 2, padding: 'SAME', depthwise: true, weightFill: -128 },
    { height: 10, width: 10, inChannels: 1, outChannels: 16, kernel: 3, padding: 'SAME', depthwise: true, depthMultiplier: 16, weightFill: 127, inputZeroPoint: -128 },
    // products at most 8 deep, which AVX2 packs in both forms (u8s8 for a product, s16 for a
    // direct convolution); convolutions of at most 8 output pixels, which AVX2 runs as direct-u8s8
    // (int8 patches, taps outside the input holding the zero point, a last group of fewer than
    // four); and the same shapes with a -128 weight, which fall back to s16
    { height: 9, width: 11, inChannels: 8, outChannels: 16, kernel: 1, stride: 2, padding: 'SAME', symmetricWeights: true, inputZeroPoint: 127 },
    { height: 7, width: 9, inChannels: 2, outChannels: 9, kernel: 1, kernelW: 3, padding: 'SAME', symmetricWeights: true, inputZeroPoint: -128 },
    { height: 7, width: 9, inChannels: 2, outChannels: 9, kernel: 1, kernelW: 3, padding: 'SAME', weightFill: -128, inputZeroPoint: -128 },
    { height: 6, width: 5, inChannels: 1, outChannels: 24, kernel: 2, kernelW: 3, stride: 2, padding: 'SAME', weightFill: 127, inputZeroPoint: 0 },
    { height: 6, width: 5, inChannels: 1, outChannels: 24, kernel: 2, kernelW: 3, stride: 2, padding: 'SAME', weightFill: -127, inputZeroPoint: 127 },
    { height: 2, width: 3, inChannels: 8, outChannels: 16, kernel: 3, padding: 'SAME', symmetricWeights: true, inputZeroPoint: 127 },
    { height: 3, width: 2, inChannels: 5, outChannels: 9, kernel: 3, padding: 'SAME', symmetricWeights: true, inputZeroPoint: -128 },
    { height: 3, width: 2, inChannels: 5, outChannels: 9, kernel: 3, padding: 'SAME', weightFill: -128, inputZeroPoint: -128 },
    { height: 2, width: 2, inChannels: 3, outChannels: 17, kernel: 3, padding: 'SAME', weightFill: 127, inputZeroPoint: 0 },
  ] as ConvSpec[]).entries()) {
    cases.push({ label: `direct ${JSON.stringify(spec)}`, graph: convGraph({ seed: 50 + i, ...spec }), inputs: inputsFor(spec.height * spec.width * spec.inChannels, 60 + i) });
  }
  // layers AVX2 runs with the patch in registers (direct-small: at most 16 output channels, at most
  // 32 products per output, dilation 1): person_detect's and vww's first layers at odd sizes, the
  // patch depths at and around one and two 16-byte pieces (a tap row straddling the two, 31 tap
  // rows of one byte), 1, 5, 8, 9 and 16 output channels, unpadded layers whose last windows end at
  // the input's last byte, extreme weights and zero points; and just past the limits (17 channels,
  // 33 products), which keep direct-s16
  for (const [i, spec] of ([
    { height: 15, width: 13, inChannels: 1, outChannels: 8, kernel: 3, stride: 2, padding: 'SAME', depthwise: true, depthMultiplier: 8, inputZeroPoint: -128 },
    { height: 15, width: 17, inChannels: 3, outChannels: 8, kernel: 3, stride: 2, padding: 'SAME', weightFill: -128, inputZeroPoint: 127 },
    { height: 15, width: 17, inChannels: 3, outChannels: 8, kernel: 3, stride: 2, padding: 'SAME', weightFill: 127, inputZeroPoint: -128 },
    { height: 9, width: 10, inChannels: 2, outChannels: 16, kernel: 4, padding: 'SAME', inputZeroPoint: 0, activation: 'RELU6' },
    { height: 9, width: 10, inChannels: 2, outChannels: 9, kernel: 3, kernelW: 3, padding: 'SAME', inputZeroPoint: 127 },
    { height: 33, width: 5, inChannels: 1, outChannels: 5, kernel: 31, kernelW: 1, padding: 'SAME', inputZeroPoint: -3 },
    { height: 6, width: 7, inChannels: 1, outChannels: 1, kernel: 3, padding: 'VALID', inputZeroPoint: 127 },
    { height: 6, width: 7, inChannels: 3, outChannels: 5, kernel: 3, padding: 'VALID', weightFill: -128, inputZeroPoint: -128 },
    { height: 5, width: 5, inChannels: 16, outChannels: 16, kernel: 1, kernelW: 2, strideW: 3, padding: 'VALID', activation: 'RELU' },
    { height: 7, width: 7, inChannels: 3, outChannels: 17, kernel: 3, stride: 2, padding: 'SAME' },
    { height: 7, width: 7, inChannels: 11, outChannels: 8, kernel: 3, kernelW: 1, padding: 'SAME' },
    // batches: a padded layer runs image by image over its zero-point frame, an unpadded one steps
    // from one image into the next
    { batches: 2, height: 7, width: 9, inChannels: 3, outChannels: 8, kernel: 3, stride: 2, padding: 'VALID', inputZeroPoint: 127 },
    { batches: 3, height: 9, width: 7, inChannels: 1, outChannels: 8, kernel: 3, stride: 2, padding: 'SAME', depthwise: true, depthMultiplier: 8 },
  ] as ConvSpec[]).entries()) {
    const bytes = (spec.batches ?? 1) * spec.height * spec.width * spec.inChannels;
    cases.push({ label: `direct-small ${JSON.stringify(spec)}`, graph: convGraph({ seed: 80 + i, ...spec }), inputs: inputsFor(bytes, 90 + i) });
  }
  // layers large enough to be split over threads (2M+ multiply-accumulates)
  for (const spec of [
    { height: 28, width: 30, inChannels: 32, outChannels: 33, kernel: 3, seed: 7 },
    { height: 28, width: 30, inChannels: 32, outChannels: 33, kernel: 3, symmetricWeights: true, seed: 7 },
    { height: 20, width: 20, inChannels: 64, outChannels: 64, kernel: 1, seed: 8 },
    { height: 20, width: 20, inChannels: 64, outChannels: 64, kernel: 1, symmetricWeights: true, seed: 8 },
    { height: 64, width: 66, inChannels: 64, outChannels: 64, kernel: 3, depthwise: true, seed: 9 },
    { height: 200, width: 200, inChannels: 1, outChannels: 8, kernel: 3, depthwise: true, depthMultiplier: 8, seed: 10 },
    { height: 128, width: 128, inChannels: 8, outChannels: 16, kernel: 1, symmetricWeights: true, seed: 13 },
    { height: 256, width: 256, inChannels: 8, outChannels: 16, kernel: 1, stride: 2, padding: 'SAME', symmetricWeights: true, inputZeroPoint: -128, seed: 14 },
  ] as ConvSpec[]) {
    cases.push({ label: `threaded ${JSON.stringify(spec)}`, graph: convGraph(spec), inputs: inputsFor(spec.height * spec.width * spec.inChannels, 11) });
  }
  // 3x3 depthwise (x86 Depthwise3x3): output rows in pairs at a vertical stride of 1 with an odd
  // row left over, windows that never lie wholly inside the input (widths 1 and 2), horizontal
  // strides of 1, 2 and 3 across the inside columns, and channel groups cut short (19, 5)
  for (const spec of [
    { height: 7, width: 2, inChannels: 19, outChannels: 19, kernel: 3, padding: 'SAME', inputZeroPoint: -128, seed: 40 },
    { height: 9, width: 1, inChannels: 8, outChannels: 8, kernel: 3, padding: 'SAME', seed: 41 },
    { height: 5, width: 14, inChannels: 12, outChannels: 12, kernel: 3, strideW: 3, padding: 'VALID', inputZeroPoint: 127, seed: 42 },
    { height: 8, width: 13, inChannels: 5, outChannels: 5, kernel: 3, strideW: 2, padding: 'SAME', weightFill: 127, seed: 43 },
    { height: 3, width: 3, inChannels: 24, outChannels: 24, kernel: 3, padding: 'VALID', weightFill: -128, seed: 44 },
  ] as ConvSpec[]) {
    cases.push({ label: `depthwise 3x3 ${JSON.stringify(spec)}`, graph: convGraph({ depthwise: true, ...spec }), inputs: inputsFor(spec.height * spec.width * spec.inChannels, 17) });
  }
  // layers just above the cut-over (native/interp/optimized_ops.cc, WorthSplitting), split into
  // about two tasks per thread: rows that are not a multiple of the split (6x6, 3x3), the models'
  // pointwise and depthwise shapes, 3x3 convolutions on few rows
  for (const spec of [
    { height: 6, width: 6, inChannels: 128, outChannels: 128, kernel: 1, seed: 21 },
    { height: 7, width: 7, inChannels: 64, outChannels: 64, kernel: 1, padding: 'VALID', seed: 29 },
    { height: 6, width: 6, inChannels: 128, outChannels: 128, kernel: 3, depthwise: true, padding: 'SAME', inputZeroPoint: -128, seed: 30 },
    { height: 3, width: 3, inChannels: 256, outChannels: 256, kernel: 1, symmetricWeights: true, seed: 22 },
    { height: 9, width: 9, inChannels: 64, outChannels: 64, kernel: 1, inputZeroPoint: -128, seed: 23 },
    { height: 8, width: 8, inChannels: 32, outChannels: 64, kernel: 3, padding: 'SAME', symmetricWeights: true, seed: 24 },
    { height: 16, width: 14, inChannels: 32, outChannels: 48, kernel: 3, stride: 2, padding: 'SAME', seed: 25 },
    { height: 24, width: 24, inChannels: 32, outChannels: 32, kernel: 3, depthwise: true, padding: 'SAME', seed: 26 },
    { height: 48, width: 48, inChannels: 8, outChannels: 8, kernel: 3, depthwise: true, padding: 'SAME', inputZeroPoint: 127, seed: 27 },
    { height: 49, width: 47, inChannels: 16, outChannels: 16, kernel: 3, stride: 2, depthwise: true, padding: 'VALID', seed: 28 },
  ] as ConvSpec[]) {
    cases.push({ label: `split ${JSON.stringify(spec)}`, graph: convGraph(spec), inputs: inputsFor(spec.height * spec.width * spec.inChannels, 13) });
  }
  // fully connected layers of too few rows to split by rows: split by blocks of output channels
  // (a last block narrower than the others, per-tensor and per-channel, -128 weights)
  for (const [batches, inputs, outputs, perChannel, weightFill] of [
    [1, 1024, 1024, true, undefined], [1, 2048, 400, false, undefined], [2, 640, 520, true, -128], [3, 1024, 300, true, 127],
  ] as const) {
    cases.push({
      label: `split fc ${batches}x${inputs}->${outputs} perChannel=${perChannel} weights=${weightFill ?? 'random'}`,
      graph: fullyConnectedGraph({ batches, inputs, outputs, perChannel, weightFill, inputZeroPoint: -128 }),
      inputs: inputsFor(batches * inputs, 14),
    });
  }
  for (const symmetricWeights of [false, true]) {
    cases.push({
      label: `threaded fc 256x512->64 symmetricWeights=${symmetricWeights}`,
      graph: fullyConnectedGraph({ batches: 256, inputs: 512, outputs: 64, perChannel: true, symmetricWeights }),
      inputs: inputsFor(256 * 512, 12),
    });
  }
  // ADD of same-shape tensors: lengths off the vector width, scale ratios both ways, activations
  for (const [i, shape] of [[1, 1], [3, 5], [1, 4, 4, 9], [2, 8, 8, 16], [1, 32, 32, 16]].entries()) {
    const spec = {
      shape,
      scales: [[0.05, 0.1, 0.08], [0.2, 0.03, 0.1], [0.01, 0.01, 0.5], [0.1, 0.1, 0.02], [0.04, 0.1, 0.05]][i] as [number, number, number],
      zeroPoints: [[-3, 4, 5], [-128, 0, -128], [127, -128, 0], [0, 0, 0], [-128, 4, -128]][i] as [number, number, number],
      activation: (['NONE', 'RELU', 'RELU6', 'NONE', 'RELU'] as const)[i],
    };
    const n = shape.reduce((a, b) => a * b, 1);
    cases.push({ label: `add ${JSON.stringify(spec)}`, graph: addGraph(spec), inputs: inputsFor(n, 300 + i, 2) });
  }
  // fully connected: batches, widths, per-tensor and per-channel
  const shapes = [[1, 1, 1], [1, 7, 3], [1, 64, 10], [3, 33, 17], [5, 256, 40], [9, 100, 8], [1, 1024, 12]] as const;
  for (const [batches, inputs, outputs] of shapes) {
    for (const perChannel of [false, true]) {
      for (const weights of ['random', 'symmetric', -128, 127, -127] as const) {
        const weightFill = typeof weights === 'number' ? weights : undefined;
        cases.push({
          label: `fc ${batches}x${inputs}->${outputs} perChannel=${perChannel} weights=${weights}`,
          graph: fullyConnectedGraph({
            batches, inputs, outputs, perChannel, weightFill, symmetricWeights: weights === 'symmetric',
            inputZeroPoint: weightFill === undefined ? 7 : 127,
          }),
          inputs: inputsFor(batches * inputs, batches * 1000 + inputs),
        });
      }
    }
  }
  return cases;
}
