// The search's Pareto filter (a sorted pass with a k-d tree) keeps exactly what a plain pairwise
// filter keeps, one per distinct vector, on random vectors with many ties and duplicates, in two
// to seven objectives. The search's progress callback counts every step up to the total.
import t from 'tap';
import { paretoFilter } from '../../src/plan/pareto';
import { searchPareto, singleDevicePlan, bestSingleDevice, type PlanningProblem } from '../../src/plan/search';

/** A small deterministic generator (no Math.random: a failure must replay). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function naiveFront(values: Float64Array, stride: number, dims: number, ids: number[]): Set<string> {
  const key = (id: number) => Array.from(values.subarray(id * stride, id * stride + dims)).join(',');
  const noWorse = (a: number, b: number) => {
    for (let k = 0; k < dims; k++) if (values[a * stride + k]! > values[b * stride + k]!) return false;
    return true;
  };
  return new Set(ids.filter((p) => !ids.some((q) => q !== p && noWorse(q, p) && key(q) !== key(p))).map(key));
}

t.test('equals the pairwise filter on random vectors with ties, whichever objective leads', async (t) => {
  const random = lcg(13);
  for (let trial = 0; trial < 60; trial++) {
    const dims = 2 + (trial % 6), stride = dims + 1, count = 50 + Math.floor(random() * 400);
    const levels = 3 + (trial % 20); // few levels: many ties and exact duplicates
    const values = new Float64Array(count * stride).map(() => Math.floor(random() * levels));
    const ids = Array.from({ length: count }, (_, i) => i).filter(() => random() < 0.9);
    const first = trial % dims;
    const kept = paretoFilter(values, stride, dims, ids, first);
    const key = (id: number) => Array.from(values.subarray(id * stride, id * stride + dims)).join(',');
    const keys = kept.map(key);
    t.equal(new Set(keys).size, keys.length, 'one per distinct vector');
    t.same(new Set(keys), naiveFront(values, stride, dims, ids), `trial ${trial}: ${dims} objectives led by ${first}, ${ids.length} vectors`);
  }
});

/** Three devices on a chain of `n` ops; device d is (d+1) times faster and costs more energy. */
function chain(n: number): PlanningProblem {
  const link = { spec: 'tcp:8mbit:1ms', bytesPerSecond: 1e6, latencySeconds: 1e-3, joulesPerByte: 1e-7 };
  return {
    opCount: n, cuts: Array.from({ length: n - 1 }, (_, i) => i + 1),
    devices: [0, 1, 2].map((d) => ({ name: `d${d}`, fits: () => true, opMicros: Array.from({ length: n }, (_, k) => (10 + (k % 7)) / (d + 1)), opJoules: Array.from({ length: n }, (_, k) => (1 + (k % 3)) * 1e-6 * (d + 1)) })),
    links: [0, 1].map((a) => ({ a, b: a + 1, ...link })),
    wire: new Map(Array.from({ length: n + 1 }, (_, p) => [p, [{ codec: 'raw', bytes: 1000 - p * 10, lossless: true }]])),
    precisions: ['int8'],
  };
}

t.test('the search reports its progress step by step up to the total', async (t) => {
  const calls: [number, number][] = [];
  searchPareto(chain(20), { onProgress: (done, total) => calls.push([done, total]) });
  t.ok(calls.length > 1);
  t.ok(calls.every(([, total]) => total === calls[0]![1]), 'one total');
  t.ok(calls.every(([done], i) => i === 0 || done > calls[i - 1]![0]), 'increasing');
  t.same(calls[calls.length - 1], [calls[0]![1], calls[0]![1]], 'ends at the total');
});

t.test('single-device references: the whole model on each device, the input sent there first', async (t) => {
  const problem = chain(10);
  const local = singleDevicePlan(problem, 0)!;
  t.same(local.transfers, []);
  t.equal(local.objectives.latencyMicros, problem.devices[0]!.opMicros.reduce((a, b) => a + b, 0));
  const offload = singleDevicePlan(problem, 2)!;
  t.same(offload.transfers.map((x) => [x.from, x.to, x.bytes]), [[0, 2, 1000]]);
  // Two hops of 1 ms + 1000 B at 1 MB/s, then the compute on d2.
  t.ok(Math.abs(offload.objectives.latencyMicros - (2 * 2000 + problem.devices[2]!.opMicros.reduce((a, b) => a + b, 0))) < 1e-6);
  const best = bestSingleDevice(problem, 'energy')!;
  t.same(best.segments.map((s) => s.device), [0], 'least energy: the slow, frugal first device');
  const tight = { ...problem, devices: problem.devices.map((d) => ({ ...d, fits: () => false })) };
  t.equal(singleDevicePlan(tight, 1), undefined, 'nothing when the model does not fit');
  t.equal(bestSingleDevice(tight, 'latency'), undefined);
});
