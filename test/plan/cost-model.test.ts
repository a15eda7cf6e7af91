// Cost models: a per-op-type linear fit recovers the coefficients of data that is linear, never
// goes negative, scales by clock x SIMD width between boards, and its held-back error is measured
// on samples it was not fitted on.
import t from 'tap';
import { boardSpeed, fitCostModel, fitLinear, heldBackError, heldBackProfileErrors, predictMicros, type OpSample } from '../../src/plan/cost-model';
import { ticks } from '../../src/plan/chart';

const linear = (opcode: string, a: number, b: number, c: number): OpSample[] =>
  Array.from({ length: 12 }, (_, i) => {
    const macs = 1000 * (i + 1) * ((i % 3) + 1), bytes = 500 * (i + 2) + (i % 4) * 300;
    return { opcode, macs, bytes, micros: a + b * macs + c * bytes };
  });

t.test('a linear op type is fitted exactly, and predicted exactly on held-back samples', async (t) => {
  const c = fitLinear(linear('CONV_2D', 2, 0.001, 0.01));
  t.ok(Math.abs(c.intercept - 2) < 1e-6 && Math.abs(c.perMac - 0.001) < 1e-9 && Math.abs(c.perByte - 0.01) < 1e-9, JSON.stringify(c));
  const e = heldBackError([...linear('CONV_2D', 2, 0.001, 0.01), ...linear('ADD', 1, 0, 0.002)]);
  t.ok(e.ops > 0);
  t.ok(e.medianAbsPercent < 1e-6 && e.meanAbsPercent < 1e-6, JSON.stringify(e));
});

t.test('no coefficient is negative, even when the best unconstrained fit has one', async (t) => {
  const samples = [{ macs: 0, bytes: 100, micros: 10 }, { macs: 0, bytes: 200, micros: 5 }, { macs: 0, bytes: 300, micros: 1 }].map((s) => ({ opcode: 'X', ...s }));
  const c = fitLinear(samples);
  t.ok(c.intercept >= 0 && c.perMac >= 0 && c.perByte >= 0, JSON.stringify(c));
});

t.test('predictions scale by clock x SIMD width; unseen op types use the overall fit', async (t) => {
  const model = fitCostModel(linear('CONV_2D', 0, 0.001, 0), 'fast', boardSpeed({ arch: 'arm64', core: 'a', simd: [], clockMHz: 2000, simdBits: 128 }));
  const slow = boardSpeed({ arch: 'armv7m', core: 'm', simd: [], clockMHz: 100, simdBits: 32 });
  t.equal(slow, 3200);
  const op = { opcode: 'CONV_2D', macs: 1e6, bytes: 0 };
  t.ok(Math.abs(predictMicros(model, op, slow) - 1000 * 80) < 1e-3, 'a 20x slower clock and 4x narrower SIMD: 80x');
  t.ok(predictMicros(model, { ...op, opcode: 'NEVER_SEEN' }, slow) > 0);
  t.throws(() => boardSpeed({ arch: 'x86_64', core: 'x', simd: [] }), { code: 'BAD_PROFILE' });
});

t.test('chart axes reach past the largest value with round steps', async (t) => {
  t.same(ticks(47.3), [0, 10, 20, 30, 40, 50]);
  t.same(ticks(2.2), [0, 0.5, 1, 1.5, 2, 2.5]);
  t.same(ticks(0), [0, 0.2]);
});

t.test('each profile held back is predicted by a model fitted on the others', async (t) => {
  const profile = (model: string, samples: OpSample[]) => ({ model, ops: samples }) as unknown as Parameters<typeof heldBackProfileErrors>[0][number];
  const exact = heldBackProfileErrors([profile('a', linear('CONV_2D', 2, 0.001, 0.01)), profile('b', linear('CONV_2D', 2, 0.001, 0.01).map((s) => ({ ...s, macs: s.macs * 3, micros: 2 + 0.001 * s.macs * 3 + 0.01 * s.bytes })))]);
  t.same(exact.map((e) => e.model), ['a', 'b']);
  t.ok(exact.every((e) => e.ops === 12 && e.medianAbsPercent < 1e-6 && Math.abs(e.totalPercent) < 1e-6), JSON.stringify(exact));
  // A model twice as slow as the one it is predicted from: predicted at half its time.
  const slow = heldBackProfileErrors([profile('fast', linear('ADD', 0, 0, 0.01)), profile('slow', linear('ADD', 0, 0, 0.02))]);
  t.ok(Math.abs(slow[1]!.totalPercent - -50) < 1e-6 && Math.abs(slow[1]!.medianAbsPercent - 50) < 1e-6, JSON.stringify(slow[1]));
  t.same(heldBackProfileErrors([profile('alone', linear('ADD', 1, 0, 0))]), [], 'one profile: nothing to hold back');
});
