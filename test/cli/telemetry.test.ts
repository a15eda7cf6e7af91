// `cleave run --telemetry` and `cleave telemetry tail|broker` as a user runs them: the embedded
// broker, a tail subscribed to it, and person_detect publishing its records.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CliChild, cleave } from '../lib/cli';
import { shippedModels } from '../lib/models';
import { parseTelemetryMessage } from '../../src/telemetry';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-cli-telemetry-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const personDetect = shippedModels().find((m) => m.name === 'tflm_person_detect')!;
const model = personDetect.file;
const input = path.join(personDetect.dir, 'real_person', 't88.bin');
const env = { CLEAVE_SPOOL_DIR: path.join(tmp, 'spool'), CLEAVE_DEVICE: 'board-7' };

/** `cleave telemetry broker` on a free port, stopped when `t` ends; resolves once it listens, with its URL. */
async function startBroker(t: { teardown(fn: () => void): void }, extra: string[] = []): Promise<{ broker: CliChild; url: string }> {
  const broker = new CliChild(['telemetry', 'broker', '--port', '0', ...extra], env);
  t.teardown(() => broker.signal('SIGTERM'));
  const line = await broker.waitForLine(/listening on mqtt:\/\/[\d.]+:\d+/);
  return { broker, url: /mqtt:\/\/[\d.]+:\d+/.exec(line)![0] };
}

t.test('run --telemetry mqtt:// publishes to the embedded broker; telemetry tail shows it', async (t) => {
  const { broker, url } = await startBroker(t);
  const tail = new CliChild(['telemetry', 'tail', '--mqtt', `${url}/lab`, '--count', '5'], env);
  t.teardown(() => tail.signal('SIGKILL'));
  await tail.waitForLine(/^device\s+seg\s+stage/);
  const run = cleave(['run', model, '-i', input, '-n', '5', '--telemetry', `${url}/lab`, '--telemetry', `file:${path.join(tmp, 'run.jsonl')}`, '--telemetry-sample', '1'], { env });
  t.equal(run.status, 0, run.stderr);
  t.same(await tail.exited, { code: 0, signal: null }, 'tail exits after --count records');
  const rows = tail.stdout.filter((l) => /compute/.test(l));
  t.ok(rows.length >= 5, tail.stdout.join('\n'));
  t.match(rows[0], /^board-7\s+0\s+compute\s+\d+\.\d\s+-\s+-\s+2\s+ok$/);
  t.ok(tail.stdout.some((l) => /^board-7\s.*online$/.test(l)), 'the retained status is shown');
  const records = fs.readFileSync(path.join(tmp, 'run.jsonl'), 'utf8').trimEnd().split('\n').map((l) => parseTelemetryMessage(l, 'run.jsonl'));
  t.same(records.map((r) => r.kind), ['record', 'record', 'record', 'record', 'record', 'summary']);
  t.match(records[0], { device: 'board-7', model: 'model.tflite', programHash: /^[0-9a-f]{8}$/, stage: 'compute', bytes: 2 });
  t.match(records[5], { count: 5, published: 5 });
  broker.signal('SIGTERM');
  t.equal((await broker.exited).code, 0, 'the broker stops on SIGTERM');
});

t.test('by default one record in a hundred reaches the sinks; the summary counts every run', async (t) => {
  const file = path.join(tmp, 'sampled.jsonl');
  const run = cleave(['run', model, '-i', input, '-n', '300', '--telemetry', `file:${file}`], { env });
  t.equal(run.status, 0, run.stderr);
  const messages = fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => parseTelemetryMessage(l, 'sampled.jsonl'));
  t.same(messages.map((m) => m.kind), ['record', 'record', 'record', 'summary']);
  t.same(messages.slice(0, 3).map((m) => m.kind === 'record' && m.seq), [99, 199, 299], 'every hundredth record');
  t.match(messages[3], { kind: 'summary', count: 300, published: 3 });
});

t.test('bad telemetry flags: usage errors naming the value', async (t) => {
  const bad = cleave(['run', model, '-i', input, '--telemetry', 'mqtt://127.0.0.1'], { env });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /--telemetry "mqtt:\/\/127.0.0.1": no port/);
  const rate = cleave(['run', model, '-i', input, '--telemetry', 'file:/dev/null', '--telemetry-sample', '2'], { env });
  t.equal(rate.status, 2);
  t.match(rate.stderr, /--telemetry-sample must be between 0 and 1, got "2"/);
  const neither = cleave(['telemetry', 'tail'], { env });
  t.equal(neither.status, 2);
  t.match(neither.stderr, /give exactly one of --mqtt URL and --serial PATH/);
  const auth = await startBroker(t, ['--username', 'fleet', '--password', 'pw']);
  const refused = cleave(['telemetry', 'tail', '--mqtt', auth.url.replace('//', '//fleet:nope@')], { env, timeout: 20_000 });
  t.equal(refused.status, 1);
  t.match(refused.stderr, /cleave: MQTT broker mqtt:\/\/127.0.0.1:\d+ refused the connection: .*\(user "fleet"\)/);
});
