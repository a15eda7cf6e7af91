// Issue 14's whole-model targets read from the benchmark's rows (bench/model-peers.ts): the bounds
// as the issue words them ("at most 0.7×", ad "below 0.5×", 2 threads "at least 1.5×"), and "not
// measured" rather than a verdict where a row or ORT's figures are missing.
import t from 'tap';
import { wholeModelTargets, type ModelPeerRow } from '../../bench/model-peers';

function row(model: string, threads: number, cleaveUs: number, ratio: number | null): ModelPeerRow {
  const timing = (us: number) => ({ wallMedianUs: us, wallP90Us: us, iterations: 1 });
  return {
    model, threads, kernels: 'avx2', cleave: timing(cleaveUs),
    ortInt8: ratio === null ? null : timing(cleaveUs / ratio), ortFp32: null, ortInt8Weights: 'uint8',
    ortFastest: ratio === null ? null : 'int8', ratio, ortInt8MaxDiffLsb: null,
  };
}

const find = (checks: ReturnType<typeof wholeModelTargets>, text: string) => checks.find((c) => c.target.includes(text))!;

t.test('bounds are inclusive where the issue says "at most" and strict where it says "below"', async (t) => {
  const checks = wholeModelTargets([
    row('mlperf_tiny_kws', 1, 70, 0.7), row('mlperf_tiny_vww', 1, 200, 0.71),
    row('mlperf_tiny_ad', 1, 5, 0.5), row('mlperf_tiny_ic', 1, 300, 0.4),
    row('mlperf_tiny_vww', 2, 133.3, 0.5), row('mlperf_tiny_ic', 2, 200, 0.3),
  ]);
  t.equal(checks.length, 8);
  t.match(find(checks, 'mlperf_tiny_kws, 1 thread'), { measured: 0.7, met: true });
  t.match(find(checks, 'mlperf_tiny_vww, 1 thread'), { measured: 0.71, met: false });
  t.match(find(checks, 'mlperf_tiny_ad, 1 thread'), { measured: 0.5, met: false });
  t.match(find(checks, 'mlperf_tiny_ic, 1 thread'), { measured: 0.4, met: true });
  t.match(find(checks, 'mlperf_tiny_vww: cleave at 2 threads'), { measured: 1.5, met: true });
  t.match(find(checks, 'mlperf_tiny_ic: cleave at 2 threads'), { measured: 1.5, met: true });
});

t.test('a missing row or ORT figure is "not measured", not a verdict', async (t) => {
  const checks = wholeModelTargets([row('mlperf_tiny_kws', 1, 70, null), row('tflm_person_detect', 1, 300, 1.2)]);
  t.match(find(checks, 'mlperf_tiny_kws, 1 thread'), { measured: null, met: null });
  t.match(find(checks, 'tflm_person_detect, 1 thread'), { measured: 1.2, met: false });
  t.match(find(checks, 'tflm_person_detect: cleave at 2 threads'), { measured: null, met: null });
  t.match(find(checks, 'mlperf_tiny_ad'), { met: null });
});
