// `cleave run --telemetry` and `cleave telemetry tail|broker` as a user runs them: the embedded
// broker, a tail subscribed to it, and person_detect publishing its records.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { cleave, repoRoot } from '../lib/cli';
import { shippedModels } from '../lib/models';
import { parseTelemetryMessage } from '../../src/telemetry';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-cli-telemetry-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const personDetect = shippedModels().find((m) => m.name === 'tflm_person_detect')!;
const model = personDetect.file;
const input = path.join(personDetect.dir, 'real_person', 't88.bin');
const env = { CLEAVE_SPOOL_DIR: path.join(tmp, 'spool'), CLEAVE_DEVICE: 'board-7' };

/** Starts `cleave ARGS` and resolves with the child once a stdout line matches `ready`. */
function start(args: string[], ready: RegExp): Promise<{ child: ChildProcess; lines: string[]; first: RegExpExecArray }> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'cleave'), ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`cleave ${args.join(' ')} exited (${code}) before printing ${ready}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const m = ready.exec(line);
      if (m && lines.filter((l) => ready.test(l)).length === 1) resolve({ child, lines, first: m });
    });
  });
}

const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));

t.test('run --telemetry mqtt:// publishes to the embedded broker; telemetry tail shows it', async (t) => {
  const broker = await start(['telemetry', 'broker', '--port', '0'], /listening on (mqtt:\/\/[\d.]+:\d+)/);
  t.teardown(() => broker.child.kill('SIGTERM'));
  const url = broker.first[1]!;
  const tail = await start(['telemetry', 'tail', '--mqtt', `${url}/lab`, '--count', '5'], /^device\s+seg\s+stage/);
  const run = cleave(['run', model, '-i', input, '-n', '5', '--telemetry', `${url}/lab`, '--telemetry', `file:${path.join(tmp, 'run.jsonl')}`, '--telemetry-sample', '1'], { env });
  t.equal(run.status, 0, run.stderr);
  t.equal(await exited(tail.child), 0, 'tail exits after --count records');
  const rows = tail.lines.filter((l) => /compute/.test(l));
  t.ok(rows.length >= 5, tail.lines.join('\n'));
  t.match(rows[0], /^board-7\s+0\s+compute\s+\d+\.\d\s+-\s+-\s+2\s+ok$/);
  t.ok(tail.lines.some((l) => /^board-7\s.*online$/.test(l)), 'the retained status is shown');
  const records = fs.readFileSync(path.join(tmp, 'run.jsonl'), 'utf8').trimEnd().split('\n').map((l) => parseTelemetryMessage(l, 'run.jsonl'));
  t.same(records.map((r) => r.kind), ['record', 'record', 'record', 'record', 'record', 'summary']);
  t.match(records[0], { device: 'board-7', model: 'model.tflite', programHash: /^[0-9a-f]{8}$/, stage: 'compute', bytes: 2 });
  t.match(records[5], { count: 5, published: 5 });
  broker.child.kill('SIGTERM');
  t.equal(await exited(broker.child), 0, 'the broker stops on SIGTERM');
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
  const auth = await start(['telemetry', 'broker', '--port', '0', '--username', 'fleet', '--password', 'pw'], /listening on (mqtt:\/\/[\d.]+:\d+)/);
  t.teardown(() => auth.child.kill('SIGTERM'));
  const refused = cleave(['telemetry', 'tail', '--mqtt', auth.first[1]!.replace('//', '//fleet:nope@')], { env, timeout: 20_000 });
  t.equal(refused.status, 1);
  t.match(refused.stderr, /cleave: MQTT broker mqtt:\/\/127.0.0.1:\d+ refused the connection: .*\(user "fleet"\)/);
});
