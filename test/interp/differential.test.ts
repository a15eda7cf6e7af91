// Every optimized kernel path gives the same bytes as the scalar reference, on randomized shapes,
// extreme inputs and weights, and any thread count (cases in test/lib/differential-cases.ts; the
// arm64 suite runs the same cases under qemu).
import t from 'tap';
import { Session, type SessionOptions } from '../../src/session';
import { compileGraph } from '../../src/compile/program';
import { binding } from '../../src/native';
import { differentialCases } from '../lib/differential-cases';
import { convGraph, fullyConnectedGraph } from '../lib/synthetic';

const features = binding.cpuFeatures();
const optimizedSets = [
  features.avx2 && 'avx2',
  features.avx512vnni && 'avx512-vnni',
  features.neon && 'neon',
  features.dotprod && 'neon-dotprod',
].filter((x): x is 'avx2' | 'avx512-vnni' | 'neon' | 'neon-dotprod' => typeof x === 'string');

t.test('an optimized kernel set is active where the CPU has one', async (t) => {
  const program = compileGraph(convGraph({ height: 4, width: 4, inChannels: 3, outChannels: 5, kernel: 3 })).bytes;
  const s = Session.fromBytes(program);
  t.equal(s.kernels, optimizedSets.at(-1) ?? 'reference');
  t.throws(() => Session.fromBytes(program, 'x', { kernels: features.arch === 'x64' ? 'neon' : 'avx2' }),
    { code: 'BAD_ARGUMENT', message: /kernel set "(neon|avx2)" is not available on this CPU/ });
  s.dispose();
});

t.test('optimized paths equal the reference', async (t) => {
  const cases = differentialCases();
  t.ok(cases.length >= 75, `${cases.length} cases`);
  for (const c of cases) {
    const program = compileGraph(c.graph).bytes;
    const run = (options: SessionOptions) => {
      const s = Session.fromBytes(program, c.graph.source, options);
      const outputs = c.inputs.map((run) => Buffer.from(s.runSync(run).outputs[0]!.buffer));
      s.dispose();
      return outputs;
    };
    const reference = run({ kernels: 'reference', threads: 1 });
    for (const kernels of optimizedSets) {
      for (const threads of [1, 2, 3]) {
        const same = run({ kernels, threads }).every((g, i) => g.equals(reference[i]!));
        t.ok(same, `${c.label}: ${kernels} x${threads} equals reference`);
      }
    }
  }
});

t.test('each layer names the form of its matrix product: u8s8 where exact and faster, s16 otherwise', async (t) => {
  const kernelOf = async (graph: ReturnType<typeof fullyConnectedGraph>, kernels: (typeof optimizedSets)[number]) => {
    const s = Session.fromBytes(compileGraph(graph).bytes, graph.source, { kernels, threads: 1 });
    const { profile } = await s.profile(new Uint8Array(graph.tensors[graph.inputs[0]!]!.byteLength));
    s.dispose();
    return profile[0]!.kernel;
  };
  const oneRow = fullyConnectedGraph({ batches: 1, inputs: 64, outputs: 10, symmetricWeights: true });
  const oneRowWithMinus128 = fullyConnectedGraph({ batches: 1, inputs: 64, outputs: 10, weightFill: -128 });
  const manyRows = fullyConnectedGraph({ batches: 64, inputs: 64, outputs: 10, symmetricWeights: true });
  const conv = convGraph({ height: 9, width: 9, inChannels: 8, outChannels: 8, kernel: 3, symmetricWeights: true });
  const shallowRows = fullyConnectedGraph({ batches: 64, inputs: 8, outputs: 16, symmetricWeights: true });
  const shallowRowsWithMinus128 = fullyConnectedGraph({ batches: 64, inputs: 8, outputs: 16, weightFill: -128 });
  const shallowConv = convGraph({ height: 9, width: 9, inChannels: 8, outChannels: 16, kernel: 1, stride: 2, padding: 'SAME', symmetricWeights: true });
  const fewPixelsConv = convGraph({ height: 2, width: 3, inChannels: 8, outChannels: 16, kernel: 3, padding: 'SAME', symmetricWeights: true });
  const fewPixelsConvWithMinus128 = convGraph({ height: 2, width: 3, inChannels: 8, outChannels: 16, kernel: 3, padding: 'SAME', weightFill: -128 });
  if (features.avx2) {
    // AVX2's u8s8 needs weights in [-127, 127] and pays only where weights stream more than they
    // multiply (few rows) or where widening rows costs s16 as much as its multiplies (k <= 8).
    t.equal(await kernelOf(oneRow, 'avx2'), 'avx2:gemm-u8s8');
    t.equal(await kernelOf(oneRowWithMinus128, 'avx2'), 'avx2:gemm-s16');
    t.equal(await kernelOf(manyRows, 'avx2'), 'avx2:gemm-s16');
    t.equal(await kernelOf(shallowRows, 'avx2'), 'avx2:gemm-u8s8');
    t.equal(await kernelOf(shallowRowsWithMinus128, 'avx2'), 'avx2:gemm-s16');
    // A k x k (or strided) convolution gathers its patches straight from the input in either form;
    // a shallow one of many pixels runs the s16 form, whose direct convolution is the faster there
    // (and with at most 16 channels and 32 products per output, the form that keeps the patch in
    // registers).
    t.equal(await kernelOf(conv, 'avx2'), 'avx2:direct-s16');
    t.equal(await kernelOf(shallowConv, 'avx2'), 'avx2:direct-small');
    t.equal(await kernelOf(fewPixelsConv, 'avx2'), 'avx2:direct-u8s8');
    t.equal(await kernelOf(fewPixelsConvWithMinus128, 'avx2'), 'avx2:direct-s16');
  }
  if (features.avx512vnni) {
    // vpdpbusd is exact for any weight and does four products per lane: every layer takes it, on
    // 512-bit registers.
    for (const g of [oneRow, oneRowWithMinus128, manyRows]) t.equal(await kernelOf(g, 'avx512-vnni'), 'avx512-vnni:gemm-u8s8-512');
    t.equal(await kernelOf(conv, 'avx512-vnni'), 'avx512-vnni:im2col+gemm-u8s8-512');
  }
  if (!features.avx2 && !features.avx512vnni) t.pass('no x86 kernel set on this CPU');
});

t.test('a depthwise convolution of a one-channel input runs as a convolution where the set has a direct one', async (t) => {
  const graph = convGraph({ height: 13, width: 13, inChannels: 1, outChannels: 8, kernel: 3, stride: 2, padding: 'SAME', depthwise: true, depthMultiplier: 8 });
  const kernelOf = async (kernels: (typeof optimizedSets)[number]) => {
    const s = Session.fromBytes(compileGraph(graph).bytes, graph.source, { kernels, threads: 1 });
    const { profile } = await s.profile(new Uint8Array(13 * 13));
    s.dispose();
    return profile[0]!.kernel;
  };
  if (features.avx2) t.equal(await kernelOf('avx2'), 'avx2:direct-small');
  if (features.avx512vnni) t.equal(await kernelOf('avx512-vnni'), 'avx512-vnni:im2col+gemm-u8s8-512');
  if (features.neon) t.equal(await kernelOf('neon'), 'neon:depthwise');
  if (!features.avx2 && !features.neon) t.pass('no optimized kernel set on this CPU');
});

t.test('AVX2 keeps the patch in registers (direct-small) only for at most 16 channels, 32 products per output and dilation 1', async (t) => {
  if (!features.avx2) {
    t.pass('no AVX2 on this CPU');
    return;
  }
  const kernelOf = async (graph: ReturnType<typeof convGraph>) => {
    const s = Session.fromBytes(compileGraph(graph).bytes, graph.source, { kernels: 'avx2', threads: 1 });
    const { profile } = await s.profile(new Uint8Array(graph.tensors[graph.inputs[0]!]!.byteLength));
    s.dispose();
    return profile[0]!.kernel;
  };
  const layer = { height: 11, width: 11, kernel: 3, stride: 2, padding: 'SAME' as const, symmetricWeights: true };
  // The limits: n <= 16 (two blocks of 8), k <= 32 (two 16-byte pieces), tap rows of kw x in_c <= 16 bytes.
  t.equal(await kernelOf(convGraph({ ...layer, inChannels: 3, outChannels: 8 })), 'avx2:direct-small');
  t.equal(await kernelOf(convGraph({ ...layer, inChannels: 3, outChannels: 16 })), 'avx2:direct-small');
  t.equal(await kernelOf(convGraph({ ...layer, inChannels: 3, outChannels: 17 })), 'avx2:direct-s16');
  t.equal(await kernelOf(convGraph({ ...layer, kernel: 4, inChannels: 2, outChannels: 8 })), 'avx2:direct-small');
  t.equal(await kernelOf(convGraph({ ...layer, kernel: 3, kernelW: 1, inChannels: 11, outChannels: 8 })), 'avx2:direct-s16');
  t.equal(await kernelOf(convGraph({ ...layer, kernel: 1, kernelW: 4, inChannels: 8, outChannels: 8 })), 'avx2:direct-s16');
  t.equal(await kernelOf(convGraph({ ...layer, inChannels: 3, outChannels: 8, dilation: 2 })), 'avx2:direct-s16');
});
