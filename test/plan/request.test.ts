// The request latency model: the search's compute and hops, plus each message's frame and TCP/IP
// headers, plus the reply with the model's outputs back from the last device over every hop.
import t from 'tap';
import { linkBytes, requestLatencyMicros } from '../../src/plan/request';
import { parseLinkSpec } from '../../src/plan/devices';
import type { CandidatePlan, PlanningProblem } from '../../src/plan/search';

const tcp = { a: 0, b: 1, ...parseLinkSpec('tcp:8mbit:2ms', 'test') }; // 1 MB/s
const serial = { a: 1, b: 2, ...parseLinkSpec('serial:100000', 'test') }; // 10 kB/s, no delay

const problem: PlanningProblem = {
  opCount: 4, cuts: [1, 2, 3],
  devices: [0, 1, 2].map((d) => ({ name: `d${d}`, fits: () => true, opMicros: [100, 200, 300, 400].map((us) => us / (d + 1)), opJoules: [0, 0, 0, 0] })),
  links: [tcp, serial],
  wire: new Map([[2, [{ codec: 'raw', bytes: 3000, lossless: true }]], [4, [{ codec: 'raw', bytes: 10, lossless: true }, { codec: 'lossless', bytes: 12, lossless: true }]]]),
  precisions: ['int8'],
};

t.test('a TCP message carries its frame and one set of headers per 1448-byte segment; serial only the frame', async (t) => {
  t.equal(linkBytes(tcp, 0), 24 + 66);
  t.equal(linkBytes(tcp, 3000), 3024 + 3 * 66);
  t.equal(linkBytes(serial, 3000), 3024);
});

t.test('a split plan: compute, the forward hop and the reply over the same hop', async (t) => {
  const plan: CandidatePlan = {
    segments: [{ begin: 0, end: 2, device: 0, precision: 'int8' }, { begin: 2, end: 4, device: 1, precision: 'int8' }],
    transfers: [{ position: 2, from: 0, to: 1, codec: 'raw', lossless: true, bytes: 3000 }],
    objectives: { latencyMicros: 0, bottleneckMicros: 0, wireBytes: 0, joules: [0, 0, 0] },
  };
  const compute = 100 + 200 + (300 + 400) / 2;
  const forward = 2000 + linkBytes(tcp, 3000);
  const reply = 2000 + linkBytes(tcp, 10);
  t.ok(Math.abs(requestLatencyMicros(problem, plan) - (compute + forward + reply)) < 1e-6);
  t.ok(Math.abs(requestLatencyMicros(problem, plan, { perRemoteMicros: 250 }) - (compute + forward + reply + 250)) < 1e-6, 'the measured per-request overhead, once for the one remote part');
});

t.test('a plan on the first device alone has no wire time; one on the third replies over both hops', async (t) => {
  const local: CandidatePlan = { segments: [{ begin: 0, end: 4, device: 0, precision: 'int8' }], transfers: [], objectives: { latencyMicros: 0, bottleneckMicros: 0, wireBytes: 0, joules: [0, 0, 0] } };
  t.equal(requestLatencyMicros(problem, local), 1000);
  t.equal(requestLatencyMicros(problem, local, { perRemoteMicros: 250 }), 1000, 'no remote part, no overhead');
  const far: CandidatePlan = {
    segments: [{ begin: 0, end: 2, device: 0, precision: 'int8' }, { begin: 2, end: 4, device: 2, precision: 'int8' }],
    transfers: [{ position: 2, from: 0, to: 2, codec: 'raw', lossless: true, bytes: 3000 }],
    objectives: { latencyMicros: 0, bottleneckMicros: 0, wireBytes: 0, joules: [0, 0, 0] },
  };
  const expected = 300 + 700 / 3 + (2000 + linkBytes(tcp, 3000)) + (linkBytes(serial, 3000) / 10000) * 1e6 + (linkBytes(serial, 10) / 10000) * 1e6 + 2000 + linkBytes(tcp, 10);
  t.ok(Math.abs(requestLatencyMicros(problem, far) - expected) < 1e-6, `${requestLatencyMicros(problem, far)} vs ${expected}`);
});
