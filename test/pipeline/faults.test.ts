// The server killed mid-stream (SIGKILL, no goodbye): with a new server on the same port every request
// completes once, in order, byte-identical; with none, every unfinished request fails naming the peer.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline, type PipelineResult } from '../../src/pipeline/runner';
import { bytesOf, personDetectCases, serveChild, splitPersonDetect } from '../lib/pipeline';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-wire-faults-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ready = (async () => ({ plan: await splitPersonDetect(path.join(tmp, 'plan')), cases: await personDetectCases() }))();

t.test('server killed mid-stream and restarted: every request completes once, in order', async (t) => {
  const { plan, cases } = await ready;
  const first = await serveChild([plan, '--segment', '1', '--threads', '1']);
  let second: Awaited<ReturnType<typeof serveChild>> | null = null;
  t.teardown(() => {
    first.child.kill('SIGKILL');
    second?.child.kill('SIGKILL');
  });
  const p = await pipeline(plan, { remotes: { 1: `127.0.0.1:${first.port}` }, window: 4, reconnectAttempts: 14, timeoutMs: 5000, session: { threads: 1 } });
  const order = Array.from({ length: 30 }, (_, i) => cases[i % cases.length]!);
  // Killed the moment the fifth result is in, not after a poll that a loaded machine may delay until
  // every request is done: at most a window's replies can still be on their way.
  let done = 0;
  const runs = order.map((c) => p.run(c.input).then((r) => {
    if (++done === 5) first.child.kill('SIGKILL');
    return r;
  }));
  await first.exited;
  t.ok(done < order.length, `killed with ${order.length - done} requests unfinished`);
  second = await serveChild([plan, '--segment', '1', '--threads', '1'], first.port);
  const results: PipelineResult[] = await Promise.all(runs);
  await p.close();
  t.same(results.map((r) => bytesOf(r.outputs[0]!).toString('hex')), order.map((c) => c.expected.toString('hex')), 'all 30 outputs byte-identical, in order');
  t.ok(results.some((r) => r.stages[1]!.attempts! > 1), 'requests in flight at the kill were sent again');
});

t.test('server killed and gone: unfinished requests fail naming the peer, finished ones stand', async (t) => {
  const { plan, cases } = await ready;
  const server = await serveChild([plan, '--segment', '1', '--threads', '1']);
  t.teardown(() => server.child.kill('SIGKILL'));
  const p = await pipeline(plan, { remotes: { 1: `127.0.0.1:${server.port}` }, window: 3, reconnectAttempts: 3, reconnectDelayMs: 20, session: { threads: 1 } });
  const order = Array.from({ length: 20 }, (_, i) => cases[i % cases.length]!);
  const runs = order.map((c) => p.run(c.input));
  await runs[2];
  server.child.kill('SIGKILL');
  const started = performance.now();
  const settled = await Promise.allSettled(runs);
  await p.close();
  // Three attempts 20 and 40 ms apart: well under a second here. The bound only tells giving up from
  // retrying without end, with room for a machine many times slower.
  const tookMs = performance.now() - started;
  t.ok(tookMs < 30_000, `given up within bounded time (${tookMs.toFixed(0)} ms)`);
  const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
  t.ok(failed.length > 0, `${failed.length} failed`);
  for (const f of failed) t.match((f.reason as Error).message, new RegExp(`^tcp:127\\.0\\.0\\.1:${server.port}: peer unreachable after 3 connection attempts`));
  settled.forEach((s, i) => {
    if (s.status === 'fulfilled') t.equal(bytesOf(s.value.outputs[0]!).toString('hex'), order[i]!.expected.toString('hex'), `input ${i} completed correctly`);
  });
});

t.test('server killed and gone with fallback "local": every request completes here, byte-identical', async (t) => {
  const { plan, cases } = await ready;
  const server = await serveChild([plan, '--segment', '1', '--threads', '1']);
  t.teardown(() => server.child.kill('SIGKILL'));
  const p = await pipeline(plan, { remotes: { 1: `127.0.0.1:${server.port}` }, window: 3, reconnectAttempts: 3, reconnectDelayMs: 20, fallback: 'local', session: { threads: 1 } });
  const order = Array.from({ length: 20 }, (_, i) => cases[i % cases.length]!);
  const runs = order.map((c) => p.run(c.input));
  await runs[2];
  server.child.kill('SIGKILL');
  const results = await Promise.all(runs);
  t.same(results.map((r) => bytesOf(r.outputs[0]!).toString('hex')), order.map((c) => c.expected.toString('hex')), 'all 20 byte-identical, in order');
  const where = results.map((r) => r.stages[1]!.where);
  t.equal(where[0], `tcp:127.0.0.1:${server.port}`);
  t.equal(where.at(-1), `local (fallback for tcp:127.0.0.1:${server.port})`);
  // A pipeline opened while the peer is down falls back from the first input.
  const late = await pipeline(plan, { remotes: { 1: `127.0.0.1:${server.port}` }, reconnectAttempts: 2, reconnectDelayMs: 10, fallback: 'local', session: { threads: 1 } });
  t.same(bytesOf((await late.run(cases[0]!.input)).outputs[0]!), cases[0]!.expected);
  await late.close();
  await p.close();
});
