// Every optimized kernel path gives the same bytes as the scalar reference, on randomized shapes,
// extreme inputs and weights, and any thread count (cases in test/lib/differential-cases.ts; the
// arm64 suite runs the same cases under qemu).
import t from 'tap';
import { Session, type SessionOptions } from '../../src/session';
import { compileGraph } from '../../src/compile/program';
import { binding } from '../../src/native';
import { differentialCases } from '../lib/differential-cases';
import { convGraph } from '../lib/synthetic';

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
