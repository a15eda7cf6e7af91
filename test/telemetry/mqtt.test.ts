// The MQTT sink against the embedded broker (aedes): QoS 1 delivery in order, the retained status
// and its last will, spooling through an outage, and refused credentials.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MqttSink, startEmbeddedBroker, Telemetry, type TelemetrySource } from '../../src/telemetry';
import { collect, Relay, seqs } from './helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-mqtt-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const source: TelemetrySource = { device: 'board-7', board: 'rpi5', model: 'person_detect.tflite', programHash: '0a1b2c3d', planId: null };
const topic = (kind: string) => `cleave/v1/lab/board-7/${kind}`;

t.test('records arrive once and in order, through an outage; status is retained online, will is offline', async (t) => {
  const broker = await startEmbeddedBroker({ username: 'fleet', password: 'pw' });
  t.teardown(() => broker.close());
  const relay = new Relay(broker.port);
  await relay.up();
  t.teardown(() => relay.down());
  const watcher = await collect(broker.url, ['cleave/v1/lab/+/+'], { username: 'fleet', password: 'pw' });
  t.teardown(() => watcher.client.endAsync(true));

  const sink = await MqttSink.open({ url: `mqtt://127.0.0.1:${relay.port}`, username: 'fleet', password: 'pw', fleet: 'lab', device: 'board-7', spoolDir: path.join(tmp, 'outage'), reconnectMs: 200 });
  t.ok(sink.connected);
  const telemetry = new Telemetry(source, [sink], { sampleRate: 1, summaryEveryMs: 0 });
  t.same(await watcher.waitFor(topic('status'), 1), ['online']);
  for (let i = 0; i < 50; i++) telemetry.record({ stage: 'compute', latencyUs: 100 + i });
  t.same(seqs(await watcher.waitFor(topic('telemetry'), 50)), [...Array(50).keys()]);

  await relay.down();
  t.same((await watcher.waitFor(topic('status'), 2)).at(-1), 'offline', 'the broker publishes the last will when the device drops');
  for (let i = 50; i < 250; i++) telemetry.record({ stage: 'compute', latencyUs: 100 + i });
  t.notOk(sink.connected);
  t.equal(sink.pending, 200, 'records wait in the spool while the broker is unreachable');
  await new Promise((resolve) => setTimeout(resolve, 600));
  await relay.up();
  const all = await watcher.waitFor(topic('telemetry'), 250);
  t.same(seqs(all), [...Array(250).keys()], 'every record once, in order');
  t.ok(await sink.drained(15_000));
  t.same(watcher.byTopic.get(topic('status'))!.at(-1), 'online');

  await telemetry.close();
  const summary = JSON.parse((await watcher.waitFor(topic('summary'), 1))[0]!);
  t.match(summary, { kind: 'summary', count: 250, published: 250, dropped: 0 });
  t.same((await watcher.waitFor(topic('status'), 4)).at(-1), 'offline', 'a clean close marks the device offline');
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(seqs(watcher.byTopic.get(topic('telemetry'))!).length, 250, 'no duplicates arrived late');
});

t.test('records spooled while no broker runs are delivered by the next process', async (t) => {
  const spoolDir = path.join(tmp, 'next-process');
  const broker = await startEmbeddedBroker();
  const port = broker.port;
  await broker.close();
  const offline = await MqttSink.open({ url: `mqtt://127.0.0.1:${port}`, fleet: 'lab', device: 'board-7', spoolDir, connectWaitMs: 300, flushMs: 100 });
  t.notOk(offline.connected);
  const first = new Telemetry(source, [offline], { sampleRate: 1, summaryEveryMs: 0 });
  for (let i = 0; i < 20; i++) first.record({ stage: 'end-to-end', latencyUs: i });
  await first.close();

  const again = await startEmbeddedBroker({ port });
  t.teardown(() => again.close());
  const watcher = await collect(again.url, [topic('telemetry')]);
  t.teardown(() => watcher.client.endAsync(true));
  const online = await MqttSink.open({ url: again.url, fleet: 'lab', device: 'board-7', spoolDir });
  t.same(seqs(await watcher.waitFor(topic('telemetry'), 20)), [...Array(20).keys()]);
  t.ok(await online.drained(15_000));
  await online.close();
});

t.test('wrong credentials are refused and said so', async (t) => {
  const broker = await startEmbeddedBroker({ username: 'fleet', password: 'right' });
  t.teardown(() => broker.close());
  await t.rejects(
    MqttSink.open({ url: broker.url, username: 'fleet', password: 'wrong', fleet: 'lab', device: 'board-7', spoolDir: path.join(tmp, 'auth') }),
    { code: 'BROKER_AUTH', message: new RegExp(`MQTT broker ${broker.url.replace(/[.]/g, '\\.')} refused the connection: .*(user "fleet")`) },
  );
  await t.rejects(
    MqttSink.open({ url: broker.url, fleet: 'lab', device: 'board-7', spoolDir: path.join(tmp, 'auth') }),
    { code: 'BROKER_AUTH', message: /no username was given/ },
  );
});
