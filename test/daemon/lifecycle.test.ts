// `cleave daemon` as systemd runs it: NOTIFY_SOCKET is a real unix datagram socket (python3), and
// the sequence READY=1 → STATUS → WATCHDOG=1 pings → RELOADING=1 + MONOTONIC_USEC → READY=1 →
// STOPPING=1 is checked, with the watchdog rhythm counted in a window. SIGHUP with inputs in flight
// drops none and runs the later ones on the new config; a bad config is refused and the old one runs
// on; SIGTERM stops taking inputs, finishes those in flight and flushes telemetry before exit 0.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { daemonFolder, dropInputs, jsonLines, NotifyReceiver, personDetect, python3Missing, requireTools, startDaemon, until } from '../lib/daemon';

interface Record_ {
  kind: string;
  stage: string;
  outcome: string;
}

const missing = python3Missing();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-daemon-life-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Options {
  out?: string;
  maxInFlight?: number;
  pollMs?: number;
}

/** A folder with a head config on person_detect: in/ watched, done/, results in `out`, telemetry to a JSONL file. */
function setup(extra: Options = {}) {
  const lines = (o: Options) => [
    'role: head',
    'stateDir: state',
    'head:',
    `  model: ${personDetect}`,
    `  maxInFlight: ${o.maxInFlight ?? 1}`,
    `  source: { directory: { path: in, done: done, pollMs: ${o.pollMs ?? 500} } }`,
    `  results: { dir: ${o.out ?? 'out'} }`,
    'telemetry:',
    '  targets: ["file:telemetry.jsonl"]',
    '  summaryEverySec: 0',
  ];
  const folder = daemonFolder(tmp, lines(extra));
  const { dir, config } = folder;
  const write = (o: Options) => folder.write(lines(o));
  fs.mkdirSync(path.join(dir, 'in'));
  const count = (sub: string) => (fs.existsSync(path.join(dir, sub)) ? fs.readdirSync(path.join(dir, sub)).filter((f) => !f.endsWith('.tmp')).length : 0);
  const endToEnd = () => jsonLines<Record_>(path.join(dir, 'telemetry.jsonl')).filter((r) => r.kind === 'record' && r.stage === 'end-to-end');
  return { dir, config, write, count, endToEnd };
}

t.test('python3 is there for NOTIFY_SOCKET', { skip: requireTools ? false : missing ?? false }, async (t) => t.equal(missing, null, missing ?? ''));

t.test('the sd_notify sequence: READY, STATUS, watchdog pings, RELOADING with MONOTONIC_USEC, READY, refused reload, STOPPING', { skip: missing ?? false }, async (t) => {
  const c = setup();
  const receiver = await NotifyReceiver.start(path.join(c.dir, 'notify.sock'));
  t.teardown(() => receiver.stop());
  const daemon = await startDaemon(t, c.config, { NOTIFY_SOCKET: receiver.address, WATCHDOG_USEC: '200000' }, /^ready: head model\.tflite on directory /);
  const ready = await receiver.waitFor((m) => m === 'READY=1');
  t.equal(ready, 0, 'READY=1 is the first notification');
  await receiver.waitFor((m) => /^STATUS=head model\.tflite on directory .*: 0 done, 0 failed, 0 in flight$/.test(m), ready);

  // Watchdog: WATCHDOG_USEC 200 ms asks for a ping every 100 ms (test/daemon/notify.test.ts checks
  // the period). A loaded machine delays pings, so ten are waited for, not expected within a time.
  // Nor do they come faster: nine periods, 900 ms, between the first and the tenth as the receiver
  // saw them arrive; half of that allows for the receiver being slow to see the first.
  const pings = () => receiver.messages.filter((m) => m.text === 'WATCHDOG=1');
  await until(() => pings().length >= 10, 'ten WATCHDOG=1 pings');
  const spanMs = (pings()[9]!.t - pings()[0]!.t) * 1000;
  t.ok(spanMs >= 450, `ten WATCHDOG=1 over ${spanMs.toFixed(0)} ms (900 ms expected): none faster than every 100 ms`);

  dropInputs(path.join(c.dir, 'in'), 3);
  await until(() => c.count('out') === 3, '3 results');
  await receiver.waitFor((m) => /^STATUS=.*: 3 done, 0 failed, 0 in flight$/.test(m));

  const beforeReload = receiver.messages.length;
  daemon.signal('SIGHUP');
  const reloading = await receiver.waitFor((m) => m.startsWith('RELOADING=1'), beforeReload);
  const m = /^RELOADING=1\nMONOTONIC_USEC=(\d+)$/.exec(receiver.messages[reloading]!.text);
  t.ok(m, `RELOADING=1 with MONOTONIC_USEC: ${JSON.stringify(receiver.messages[reloading]!.text)}`);
  // python3's time.monotonic() reads the same CLOCK_MONOTONIC when the datagram arrives. Another
  // clock (the wall clock, or one counted from the process's start) is off by far more than the 30 s
  // allowed here for a loaded machine to deliver the datagram.
  const skewMs = Math.abs(Number(m![1]) / 1000 - receiver.messages[reloading]!.t * 1000);
  t.ok(skewMs < 30_000, `MONOTONIC_USEC is CLOCK_MONOTONIC (${skewMs.toFixed(1)} ms from the receiver's clock)`);
  await receiver.waitFor((m) => m === 'READY=1', reloading);
  await daemon.waitForLine(/^reloaded: /);

  // A config that breaks the schema: refused, said so, and the running one goes on.
  fs.writeFileSync(c.config, 'role: head\nhead: {}\n');
  const beforeBad = receiver.messages.length;
  daemon.signal('SIGHUP');
  const refusedAt = await receiver.waitFor((m) => m.startsWith('RELOADING=1'), beforeBad);
  const readyAgain = await receiver.waitFor((m) => m === 'READY=1', refusedAt);
  await receiver.waitFor((m) => /^STATUS=reload refused \(.*head\.model: missing/.test(m), readyAgain);
  await until(() => daemon.stderr.some((l) => /reload refused, the running config stays: .*daemon\.yaml: head\.model: missing/.test(l)), 'the refusal in the log');
  dropInputs(path.join(c.dir, 'in'), 2, 3);
  await until(() => c.count('out') === 5, 'inputs after a refused reload still processed');

  const beforeStop = receiver.messages.length;
  daemon.signal('SIGTERM');
  t.same(await daemon.exited, { code: 0, signal: null });
  const stopping = await receiver.waitFor((m) => m === 'STOPPING=1', beforeStop);
  t.same(receiver.messages.slice(stopping + 1).filter((m) => m.text === 'WATCHDOG=1'), [], 'no pings after STOPPING=1');
});

t.test('SIGHUP with inputs in flight: none dropped, none run twice, later ones on the new config and source', async (t) => {
  const c = setup({ out: 'out1', maxInFlight: 2 });
  const daemon = await startDaemon(t, c.config);
  const total = 150;
  dropInputs(path.join(c.dir, 'in'), total);
  await until(() => c.count('out1') >= 5, 'the first results');
  // A changed source too: a new watcher of the same folder, which must not take the inputs in flight.
  c.write({ out: 'out2', maxInFlight: 1, pollMs: 300 });
  daemon.signal('SIGHUP');
  const atSignal = c.count('out1');
  await daemon.waitForLine(/^reloaded: /);
  await until(() => c.count('done') === total, `all ${total} inputs done`);
  daemon.signal('SIGTERM');
  t.same(await daemon.exited, { code: 0, signal: null });
  t.ok(atSignal < total, `the reload came with inputs waiting (${atSignal} of ${total} done)`);
  const out1 = fs.readdirSync(path.join(c.dir, 'out1'));
  const out2 = fs.readdirSync(path.join(c.dir, 'out2'));
  t.ok(out2.length > 0, `later inputs went to the new config's results (${out1.length} old, ${out2.length} new)`);
  t.same([...out1, ...out2].sort(), Array.from({ length: total }, (_, i) => `in-${String(i).padStart(4, '0')}.bin.json`), 'every input has one result');
  const e2e = c.endToEnd();
  t.equal(e2e.length, total, 'one end-to-end record per input: none run twice');
  t.same(e2e.filter((r) => r.outcome !== 'ok'), []);
});

t.test('SIGTERM drains: no new inputs, the ones in flight finished, telemetry flushed, exit 0', async (t) => {
  const c = setup({ maxInFlight: 4 });
  const daemon = await startDaemon(t, c.config);
  const total = 300;
  dropInputs(path.join(c.dir, 'in'), total);
  await until(() => c.count('out') >= 3, 'the first results');
  daemon.signal('SIGTERM');
  t.same(await daemon.exited, { code: 0, signal: null });
  const results = c.count('out');
  t.ok(results < total, `stopped taking inputs (${results} of ${total} taken)`);
  t.equal(c.count('done'), results, 'every input taken was finished and moved to done/');
  t.equal(c.count('in'), total - results, 'the rest wait in the folder for the next start');
  t.equal(c.endToEnd().length, results, 'telemetry of every finished input was flushed');
  t.match(daemon.stdout.at(-1), new RegExp(`^stopped: .*${results} done, 0 failed, 0 in flight`));
});
