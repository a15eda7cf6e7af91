// The daemon's roles and sources, in process: head and tail in one daemon (the head's plan runs its
// second segment on the daemon's own tail, through the pipeline library and SegmentServer); a serial
// sensor line (a socat pty pair) with base64 lines; an MQTT topic in, results published out.
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import mqtt from 'mqtt';
import { Daemon } from '../../src/daemon/daemon';
import { resultFileName } from '../../src/daemon/results';
import { startEmbeddedBroker } from '../../src/telemetry/broker';
import { personDetectCases, splitPersonDetect } from '../lib/pipeline';
import { collect } from '../telemetry/helpers';
import { freePort } from '../telemetry/mosquitto';
import { daemonFolder, jsonLines, personDetect, personInput, requireTools, until } from '../lib/daemon';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-daemon-sources-'));
const children: ChildProcess[] = [];
t.teardown(() => {
  for (const c of children) c.kill();
  fs.rmSync(tmp, { recursive: true, force: true });
});


interface Result {
  input: string;
  outputs?: { values: number[] }[];
  error?: { code: string };
}

const readResult = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Result;

t.test('role both: the head runs a split plan whose second segment its own tail serves', async (t) => {
  const planDir = fs.mkdtempSync(path.join(tmp, 'plan-'));
  const plan = await splitPersonDetect(planDir);
  const cases = await personDetectCases();
  const port = await freePort();
  const { dir, config } = daemonFolder(tmp, [
    'role: both',
    'stateDir: state',
    `tail: { plan: ${plan}, segment: 1, listen: "127.0.0.1:${port}" }`,
    'head:',
    `  model: ${plan}`,
    `  remotes: { "1": "127.0.0.1:${port}" }`,
    '  codec: lossless',
    '  source: { directory: { path: in, done: done } }',
    '  results: { dir: out }',
    'telemetry: { targets: ["file:telemetry.jsonl"], summaryEverySec: 0 }',
  ]);
  const logs: string[] = [];
  const daemon = await Daemon.start(config, { onLog: (l) => logs.push(l) });
  t.match(daemon.statusLine(), new RegExp(`^head plan\\.json \\(2 segments, 1 remote\\) on directory .*; tail segment 1 on tcp://127\\.0\\.0\\.1:${port}: 0 served$`));
  fs.mkdirSync(path.join(dir, 'in'), { recursive: true });
  for (const c of cases) fs.writeFileSync(path.join(dir, 'in', `${c.name}.bin`), c.input);
  await until(() => fs.existsSync(path.join(dir, 'done')) && fs.readdirSync(path.join(dir, 'done')).length === cases.length, 'every case done');
  await daemon.stop();
  for (const c of cases) {
    t.same(readResult(path.join(dir, 'out', `${c.name}.bin.json`)).outputs![0]!.values, Array.from(new Int8Array(c.expected.buffer, c.expected.byteOffset, c.expected.byteLength)), `${c.name}: the whole model's output`);
  }
  const records = jsonLines<{ kind: string; segment: number; stage: string; planId: string }>(path.join(dir, 'telemetry.jsonl')).filter((r) => r.kind === 'record');
  const perInput = ['0 compute', '1 compute', '1 encode', '1 transfer', '1 decode', '0 end-to-end'];
  t.same(records.slice(0, perInput.length).map((r) => `${r.segment} ${r.stage}`), perInput, 'local compute, then the remote segment\'s stages, then end-to-end');
  t.equal(records[0]!.planId, path.basename(planDir));
  t.same(logs, []);
});

const hasSocat = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
t.test('a serial sensor line: one base64 input per line; comments skipped, a bad line reported', { skip: !hasSocat && !requireTools && 'socat is needed for a pty pair' }, async (t) => {
  t.ok(hasSocat, 'socat is installed');
  const [sensor, board] = [path.join(tmp, 'sensor'), path.join(tmp, 'board')];
  const socat = spawn('socat', [`pty,raw,echo=0,link=${sensor}`, `pty,raw,echo=0,link=${board}`], { stdio: 'ignore' });
  children.push(socat);
  await until(() => fs.existsSync(sensor) && fs.existsSync(board), 'the pty pair');
  const { dir, config } = daemonFolder(tmp, [
    'role: head',
    'stateDir: state',
    'head:',
    `  model: ${personDetect}`,
    `  source: { serial: { path: ${board}, baud: 115200 } }`,
    '  results: { dir: out }',
  ]);
  const logs: string[] = [];
  const daemon = await Daemon.start(config, { onLog: (l) => logs.push(l) });
  t.teardown(() => daemon.stop());
  const line = fs.readFileSync(personInput).toString('base64');
  fs.appendFileSync(sensor, `# sensor v2 booted\n${line}\nnot base64!\n${line}\r\n`);
  const results = () => (fs.existsSync(path.join(dir, 'out')) ? fs.readdirSync(path.join(dir, 'out')).filter((f) => f.endsWith('.json')).sort() : []);
  await until(() => results().length === 2, 'two results');
  t.same(results(), [resultFileName(`serial:${board}#2`), resultFileName(`serial:${board}#4`)], 'named by line number');
  t.same(readResult(path.join(dir, 'out', results()[0]!)).outputs![0]!.values, [-113, 113]);
  t.same(logs, [`serial ${board}@115200 line 3: not base64, skipped`]);
});

t.test('an MQTT topic in, results published out', async (t) => {
  const broker = await startEmbeddedBroker();
  t.teardown(() => broker.close());
  const { config } = daemonFolder(tmp, [
    'role: head',
    'stateDir: state',
    'head:',
    `  model: ${personDetect}`,
    `  source: { mqtt: { url: "${broker.url}", topic: sensors/cam1 } }`,
    `  results: { mqtt: { url: "${broker.url}", topic: results/cam1 } }`,
  ]);
  const watcher = await collect(broker.url, ['results/cam1']);
  t.teardown(() => watcher.client.endAsync(true));
  const logs: string[] = [];
  const daemon = await Daemon.start(config, { onLog: (l) => logs.push(l) });
  const camera = await mqtt.connectAsync(broker.url);
  t.teardown(() => camera.endAsync());
  await camera.publishAsync('sensors/cam1', fs.readFileSync(personInput), { qos: 1 });
  await camera.publishAsync('sensors/cam1', Buffer.from('too short'), { qos: 1 });
  const got = (await watcher.waitFor('results/cam1', 2)).map((p) => JSON.parse(p) as Result);
  await daemon.stop();
  t.same(got.map((r) => r.input), ['mqtt:sensors/cam1#1', 'mqtt:sensors/cam1#2']);
  t.same(got[0]!.outputs![0]!.values, [-113, 113]);
  t.equal(got[1]!.error!.code, 'BAD_INPUT');
  t.match(logs, [/mqtt:sensors\/cam1#2: 9 bytes, the model takes 9216/]);
});
