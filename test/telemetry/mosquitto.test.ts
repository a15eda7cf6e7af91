// The MQTT sink against a real Mosquitto on loopback: password file, TLS, a broker restart, and a
// publishing process killed with SIGKILL. Skips without mosquitto unless CLEAVE_REQUIRE_TOOLS=1.
import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { MqttSink, Telemetry, type TelemetrySource } from '../../src/telemetry';
import { repoRoot } from '../lib/cli';
import { collect, seqs } from './helpers';
import { makeCertificates, Mosquitto, mosquittoMissing, requireTools } from './mosquitto';

const missing = mosquittoMissing();
if (missing && !requireTools) {
  t.skip(`Mosquitto broker tests: ${missing}; set CLEAVE_REQUIRE_TOOLS=1 to make this a failure`);
} else {
  t.test('mosquitto is installed', async (t) => t.equal(missing, null, missing ?? ''));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-mosquitto-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const source: TelemetrySource = { device: 'board-7', board: 'rpi5', model: 'person_detect.tflite', programHash: '0a1b2c3d', planId: null };
  const telemetryTopic = 'cleave/v1/lab/board-7/telemetry';
  const credentials = { username: 'fleet', password: 'secret' };
  let n = 0;
  const dir = () => fs.mkdtempSync(path.join(tmp, `case${n++}-`));

  t.test('wrong credentials are refused and said so; right ones publish', { skip: missing ?? false }, async (t) => {
    const broker = await Mosquitto.start(dir());
    t.teardown(() => broker.stop());
    await t.rejects(MqttSink.open({ url: broker.url, username: 'fleet', password: 'guess', fleet: 'lab', device: 'board-7', spoolDir: dir() }),
      { code: 'BROKER_AUTH', message: /refused the connection: .*(user "fleet")/ });
    await t.rejects(MqttSink.open({ url: broker.url, fleet: 'lab', device: 'board-7', spoolDir: dir() }), { code: 'BROKER_AUTH', message: /no username was given/ });
    const watcher = await collect(broker.url, [telemetryTopic], credentials);
    t.teardown(() => watcher.client.endAsync(true));
    const sink = await MqttSink.open({ url: broker.url, ...credentials, fleet: 'lab', device: 'board-7', spoolDir: dir() });
    const telemetry = new Telemetry(source, [sink], { sampleRate: 1, summaryEveryMs: 0 });
    for (let i = 0; i < 10; i++) telemetry.record({ stage: 'compute', latencyUs: i });
    t.same(seqs(await watcher.waitFor(telemetryTopic, 10)), [...Array(10).keys()]);
    await telemetry.close();
  });

  t.test('TLS with a certificate made by openssl; an unknown CA is refused', { skip: missing ?? false }, async (t) => {
    const d = dir();
    const tls = makeCertificates(d);
    const broker = await Mosquitto.start(d, tls);
    t.teardown(() => broker.stop());
    const url = `mqtts://127.0.0.1:${broker.tlsPort}`;
    const watcher = await collect(url, [telemetryTopic], { ...credentials, ca: fs.readFileSync(tls.caFile) });
    t.teardown(() => watcher.client.endAsync(true));
    const sink = await MqttSink.open({ url, ...credentials, tls: { caFile: tls.caFile }, fleet: 'lab', device: 'board-7', spoolDir: dir() });
    t.ok(sink.connected);
    const telemetry = new Telemetry(source, [sink], { sampleRate: 1, summaryEveryMs: 0 });
    for (let i = 0; i < 5; i++) telemetry.record({ stage: 'transfer', latencyUs: i });
    t.same(seqs(await watcher.waitFor(telemetryTopic, 5)), [0, 1, 2, 3, 4]);
    await telemetry.close();
    await t.rejects(MqttSink.open({ url, ...credentials, fleet: 'lab', device: 'board-7', spoolDir: dir() }),
      { code: 'BROKER_UNREACHABLE', message: /TLS handshake failed/ });
  });

  t.test('broker down for a while, then up: every record arrives once, in order', { skip: missing ?? false }, async (t) => {
    const broker = await Mosquitto.start(dir());
    t.teardown(() => broker.stop());
    // A persistent session: Mosquitto keeps what arrives for the watcher across its own restart.
    const watcher = await collect(broker.url, [telemetryTopic], { ...credentials, clientId: 'watcher', clean: false });
    t.teardown(() => watcher.client.endAsync(true));
    const sink = await MqttSink.open({ url: broker.url, ...credentials, fleet: 'lab', device: 'board-7', spoolDir: dir(), reconnectMs: 200 });
    const telemetry = new Telemetry(source, [sink], { sampleRate: 1, summaryEveryMs: 0 });
    for (let i = 0; i < 30; i++) telemetry.record({ stage: 'compute', latencyUs: i });
    t.ok(await sink.drained(15_000));
    // Let the watcher's PUBACKs reach the broker too, or Mosquitto redelivers to it after the restart.
    await watcher.waitFor(telemetryTopic, 30);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await broker.stop();
    for (let i = 30; i < 230; i++) telemetry.record({ stage: 'compute', latencyUs: i });
    await new Promise((resolve) => setTimeout(resolve, 500));
    t.equal(sink.pending, 200, 'spooled while the broker is down');
    await broker.resume();
    t.same(seqs(await watcher.waitFor(telemetryTopic, 230)), [...Array(230).keys()]);
    t.ok(await sink.drained(15_000));
    await telemetry.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    t.equal(watcher.byTopic.get(telemetryTopic)!.length, 230, 'no duplicates');
  });

  t.test('a publisher killed with SIGKILL while the broker is down: the next one drains its spool, nothing lost', { skip: missing ?? false }, async (t) => {
    const broker = await Mosquitto.start(dir());
    t.teardown(() => broker.stop());
    const watcher = await collect(broker.url, [telemetryTopic], { ...credentials, clientId: 'watcher', clean: false });
    t.teardown(() => watcher.client.endAsync(true));
    const spoolDir = dir();
    const options = { url: broker.url, ...credentials, fleet: 'lab', device: 'board-7', spoolDir };
    // The child records as fast as it can and prints each seq once it is spooled; the broker stops
    // under it (records in flight and spooled), then the child is killed.
    const script = `
      const { MqttSink, Telemetry } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'src', 'telemetry'))});
      (async () => {
        const sink = await MqttSink.open(${JSON.stringify(options)});
        const telemetry = new Telemetry(${JSON.stringify(source)}, [sink], { sampleRate: 1, summaryEveryMs: 0 });
        const tick = () => { for (let k = 0; k < 20; k++) process.stdout.write(telemetry.record({ stage: 'compute', latencyUs: k }).seq + '\\n'); setImmediate(tick); };
        tick();
      })();`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let confirmed = -1;
    await new Promise<void>((resolve) => {
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        confirmed = Number(line);
        if (confirmed === 1000) void broker.stop();
        if (confirmed >= 3000) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const before = watcher.byTopic.get(telemetryTopic)?.length ?? 0;
    t.ok(before < confirmed + 1, `killed with records still spooled (${before} of ${confirmed + 1} delivered)`);
    await broker.resume();
    const next = await MqttSink.open(options);
    t.ok(await next.drained(15_000), 'the next process drains the spool');
    await next.close();
    const got = seqs(watcher.byTopic.get(telemetryTopic) ?? []);
    const firstSeen = got.filter((s, i) => got.indexOf(s) === i);
    t.same(firstSeen.slice(0, confirmed + 1), [...Array(confirmed + 1).keys()], 'every confirmed record, in order');
    // At least once: what was in flight when the broker stopped comes again, from the next process
    // (up to 64 unacknowledged records) and from Mosquitto to the watcher (its own in-flight window).
    t.ok(got.length - firstSeen.length <= 200, `duplicates are only the in-flight windows (${got.length - firstSeen.length})`);
  });
}
