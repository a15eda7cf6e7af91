// person_detect's tail behind a proxy that delays, corrupts or resets the link: every output is still
// the whole model's, once, in order (damaged frames fail their CRC, the connection is dropped, the
// runner reconnects and sends again what was not answered; the server answers repeats from its cache).
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from '../../src/pipeline/runner';
import { SegmentServer } from '../../src/pipeline/serve';
import { faultProxy, type Faults } from '../lib/fault-proxy';
import { bytesOf, personDetectCases, splitPersonDetect } from '../lib/pipeline';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-wire-proxy-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ready = (async () => {
  const plan = await splitPersonDetect(path.join(tmp, 'plan'));
  const server = await SegmentServer.start({ planPath: plan, segment: 1, listen: { host: '127.0.0.1', port: 0 }, session: { threads: 1 } });
  return { plan, server, cases: await personDetectCases() };
})();
t.teardown(async () => (await ready).server.close());

const links: [string, Faults][] = [
  ['5 ms each way', { delayMs: 5, maxFaults: 0 }],
  ['1% of TCP segments lost (each a 200 ms retransmission stall)', { loss: 0.01, maxFaults: 0 }],
  ['a flipped byte every 20 KB', { corruptEvery: 20_000, maxFaults: 4 }],
  ['a reset every 30 KB', { resetEvery: 30_000, maxFaults: 3 }],
];

for (const [name, faults] of links) {
  t.test(`${name}: every output byte-identical, once, in order`, async (t) => {
    const { plan, server, cases } = await ready;
    const proxy = await faultProxy(server.port!, faults);
    t.teardown(() => proxy.close());
    const p = await pipeline(plan, { remotes: { 1: `127.0.0.1:${proxy.port}` }, window: 4, codec: 'raw', timeoutMs: 3000, retries: 6, reconnectAttempts: 8, session: { threads: 1 } });
    const order = Array.from({ length: 24 }, (_, i) => cases[i % cases.length]!);
    const results = await Promise.all(order.map((c) => p.run(c.input)));
    await p.close();
    t.same(results.map((r) => bytesOf(r.outputs[0]!).toString('hex')), order.map((c) => c.expected.toString('hex')));
    t.equal(proxy.faults(), faults.maxFaults, `${proxy.faults()} faults injected`);
    if (faults.delayMs) t.ok(results.every((r) => r.stages[1]!.wireMs! >= 2 * faults.delayMs!), 'the delay shows in the wire time');
    else if (faults.loss) t.comment(`${proxy.stalls()} segment(s) lost`);
    else t.ok(results.some((r) => r.stages[1]!.attempts! > 1), 'some requests were sent again');
  });
}

t.test('loss stalls a direction for the retransmission time and keeps byte order', async (t) => {
  const { plan, server, cases } = await ready;
  // Every segment lost: each chunk waits one retransmission time, so each request waits at least two.
  const proxy = await faultProxy(server.port!, { loss: 1, retransmitMs: 40, maxFaults: 0 });
  t.teardown(() => proxy.close());
  const p = await pipeline(plan, { remotes: { 1: `127.0.0.1:${proxy.port}` }, window: 4, codec: 'raw', session: { threads: 1 } });
  const order = Array.from({ length: 6 }, (_, i) => cases[i % cases.length]!);
  const results = await Promise.all(order.map((c) => p.run(c.input)));
  await p.close();
  t.same(results.map((r) => bytesOf(r.outputs[0]!).toString('hex')), order.map((c) => c.expected.toString('hex')));
  t.ok(results.every((r) => r.stages[1]!.wireMs! >= 2 * 40), 'each request waited a retransmission each way');
  t.ok(proxy.stalls() >= 2 * order.length, `${proxy.stalls()} stalls`);
});

t.test('a link that damages every request: each fails after its retries, naming the peer and the fault', async (t) => {
  const { plan, server, cases } = await ready;
  const proxy = await faultProxy(server.port!, { corruptEvery: 5000, maxFaults: 1000 });
  t.teardown(() => proxy.close());
  const p = await pipeline(plan, { remotes: { 1: `127.0.0.1:${proxy.port}` }, window: 2, codec: 'raw', retries: 2, reconnectDelayMs: 10, session: { threads: 1 } });
  const started = performance.now();
  const settled = await Promise.allSettled(cases.slice(0, 4).map((c) => p.run(c.input)));
  await p.close();
  // Two retries each: 0.2 s here, loaded. The bound only tells giving up from retrying without end,
  // with room for a machine many times slower.
  const tookMs = performance.now() - started;
  t.ok(tookMs < 30_000, `bounded in time (${tookMs.toFixed(0)} ms)`);
  for (const s of settled) {
    t.equal(s.status, 'rejected');
    if (s.status === 'rejected') {
      t.match(s.reason, { code: 'WIRE_RETRIES_EXHAUSTED', message: new RegExp(`^tcp:127\\.0\\.0\\.1:${proxy.port}: request #\\d+ unanswered after 3 attempts \\(last fault: .*CRC-32`) });
    }
  }
});
