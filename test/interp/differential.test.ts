// Every optimized kernel path gives the same bytes as the scalar reference, on randomized shapes
// (odd channel counts, 1x1 spatial, widths off the vector width, strides, padding, dilation,
// depth multipliers), extreme inputs and weights, and any thread count.
import t from 'tap';
import { Session, type SessionOptions } from '../../src/session';
import { compileGraph } from '../../src/compile/program';
import type { Graph } from '../../src/model/graph';
import { binding } from '../../src/native';
import { prng } from '../fuzz/mutate';
import { type ConvSpec, convGraph, fullyConnectedGraph, randomBytes } from '../lib/synthetic';

const features = binding.cpuFeatures();
const optimizedSets = [
  features.avx2 && 'avx2',
  features.neon && 'neon',
  features.dotprod && 'neon-dotprod',
].filter((x): x is 'avx2' | 'neon' | 'neon-dotprod' => typeof x === 'string');

function compare(t: Tap.Test, graph: Graph, inputs: Uint8Array[], label: string): void {
  const program = compileGraph(graph).bytes;
  const run = (options: SessionOptions) => {
    const s = Session.fromBytes(program, graph.source, options);
    const outputs = inputs.map((x) => Buffer.from(s.runSync(x).outputs[0]!.buffer));
    s.dispose();
    return outputs;
  };
  const reference = run({ kernels: 'reference', threads: 1 });
  for (const kernels of optimizedSets) {
    for (const threads of [1, 2, 3]) {
      const got = run({ kernels, threads });
      const same = got.every((g, i) => g.equals(reference[i]!));
      t.ok(same, `${label}: ${kernels} x${threads} equals reference`);
    }
  }
}

function inputsFor(bytes: number, seed: number): Uint8Array[] {
  return [randomBytes(bytes, seed), new Uint8Array(bytes).fill(0x80), new Uint8Array(bytes).fill(0x7f)];
}

t.test('an optimized kernel set is active where the CPU has one', async (t) => {
  const s = Session.fromBytes(compileGraph(convGraph({ height: 4, width: 4, inChannels: 3, outChannels: 5, kernel: 3 })).bytes);
  t.equal(s.kernels, optimizedSets.at(-1) ?? 'reference');
  t.throws(() => Session.fromBytes(compileGraph(convGraph({ height: 4, width: 4, inChannels: 3, outChannels: 5, kernel: 3 })).bytes, 'x', { kernels: features.arch === 'x64' ? 'neon' : 'avx2' }),
    { code: 'BAD_ARGUMENT', message: /kernel set "(neon|avx2)" is not available on this CPU/ });
  s.dispose();
});

t.test('conv and depthwise: randomized shapes', async (t) => {
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
      depthMultiplier: depthwise ? pick([1, 1, 2]) : 1,
      activation: pick(['NONE', 'RELU', 'RELU6']),
      inputZeroPoint: pick([-128, -3, 0, 127]),
      outputScale: pick([0.01, 0.08, 0.5]),
      seed: i + 1,
    };
    if (spec.padding === 'VALID' && ((spec.height - ((spec.kernel - 1) * spec.dilation! + 1)) < 0 || (spec.width - ((spec.kernelW! - 1) * spec.dilation! + 1)) < 0)) continue;
    const g = convGraph(spec);
    compare(t, g, inputsFor(spec.height * spec.width * spec.inChannels, 100 + i), JSON.stringify(spec));
  }
});

t.test('conv and depthwise: extreme weights (all -128, all 127) with extreme inputs', async (t) => {
  for (const weightFill of [-128, 127]) {
    for (const depthwise of [false, true]) {
      const spec: ConvSpec = { height: 6, width: 7, inChannels: 37, outChannels: 13, kernel: 3, depthwise, weightFill, inputZeroPoint: 127, outputScale: 8 };
      compare(t, convGraph(spec), inputsFor(6 * 7 * 37, 5), `weights ${weightFill}, ${depthwise ? 'depthwise' : 'conv'}`);
    }
  }
});

t.test('fully connected: batches, widths, per-tensor and per-channel', async (t) => {
  const shapes = [[1, 1, 1], [1, 7, 3], [1, 64, 10], [3, 33, 17], [5, 256, 40], [9, 100, 8], [1, 1024, 12]];
  for (const [batches, inputs, outputs] of shapes) {
    for (const perChannel of [false, true]) {
      for (const weightFill of [undefined, -128, 127]) {
        const g = fullyConnectedGraph({ batches: batches!, inputs: inputs!, outputs: outputs!, perChannel, weightFill, inputZeroPoint: weightFill === undefined ? 7 : 127 });
        compare(t, g, inputsFor(batches! * inputs!, batches! * 1000 + inputs!), `fc ${batches}x${inputs}->${outputs} perChannel=${perChannel} weights=${weightFill ?? 'random'}`);
      }
    }
  }
});
