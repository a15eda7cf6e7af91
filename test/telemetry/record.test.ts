// Records, summaries, sampling, topics, --telemetry values and the serial line format.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { CleaveError } from '../../src/errors';
import {
  checkTopic, DEFAULT_SAMPLE_RATE, deviceTopic, FileSink, formatLine, parseLine, parseTelemetryMessage, parseTelemetryTarget, percentile, RECORD_SCHEMA,
  Sampler, stagesOfRun, SummaryWindow, Telemetry, type TelemetryMessage, type TelemetrySink, type TelemetrySource,
} from '../../src/telemetry';

const source: TelemetrySource = { device: 'board-7', board: 'rpi5', model: 'person_detect.tflite', programHash: '0a1b2c3d', planId: null };

class MemorySink implements TelemetrySink {
  readonly name = 'memory';
  messages: TelemetryMessage[] = [];
  dropped = 0;
  write(m: TelemetryMessage): void {
    this.messages.push(m);
  }
  takeDropped(): number {
    const n = this.dropped;
    this.dropped = 0;
    return n;
  }
  async close(): Promise<void> {}
}

t.test('records follow the published JSON schema, with energy source and clocks', async (t) => {
  const sink = new MemorySink();
  const telemetry = new Telemetry(source, [sink], { sampleRate: 1, summaryEveryMs: 0 });
  const run = { micros: 1234.5, outputs: [new Int8Array(2), new Int8Array(3)], energy: { name: 'ina219', kind: 'measured' as const, joules: 0.002, seconds: 0.01, averageWatts: 0.2 } };
  const a = telemetry.record(stagesOfRun(run))!;
  const b = telemetry.record({ stage: 'end-to-end', latencyUs: 2000, energy: null })!;
  const c = telemetry.record(stagesOfRun({ micros: 10, outputs: [] }, { joules: 1e-3, reading: { name: 'power-model', kind: 'estimated' } }, 2))!;
  const validate = new Ajv2020({ strict: false }).compile(RECORD_SCHEMA);
  for (const r of [a, b, c]) t.ok(validate(r), JSON.stringify(validate.errors));
  t.match(a, { seq: 0, stage: 'compute', latencyUs: 1234.5, energyUj: 2000, energySource: 'measured:ina219', bytes: 5, outcome: 'ok' });
  t.match(b, { seq: 1, energyUj: null, energySource: null });
  t.match(c, { seq: 2, segment: 2, energyUj: 1000, energySource: 'estimated' });
  t.ok(b.monoUs >= a.monoUs, 'monotonic clock does not go back');
  t.ok(Math.abs(a.wallMs - Date.now()) < 5000, 'wall clock in ms');
  t.notOk(validate({ ...a, energySource: 'guessed' }), 'the schema refuses an energy source that is neither measured:<meter> nor estimated');
  t.same(parseTelemetryMessage(JSON.stringify(a), 'test'), a);
  t.throws(() => parseTelemetryMessage(JSON.stringify({ ...a, v: 2 }), 'topic x'), { code: 'TELEMETRY_INVALID', message: /topic x: schema version 2, this cleave reads 1/ });
  t.throws(() => parseTelemetryMessage(JSON.stringify({ ...a, latencyUs: 'fast' }), 'line 3'), { message: /line 3: field "latencyUs" must be a number/ });
  t.throws(() => parseTelemetryMessage('{', 'line 4'), { code: 'TELEMETRY_INVALID', message: /line 4: not JSON/ });
});

t.test('summaries: exact percentiles and mean energy over every record, sampled out or not, and the spool drops', async (t) => {
  const sink = new MemorySink();
  const telemetry = new Telemetry(source, [sink], { sampleRate: 0.1, summaryEveryMs: 0 });
  for (let i = 1; i <= 100; i++) telemetry.record({ stage: 'compute', latencyUs: i, energy: { uj: 2 * i, source: 'estimated' } });
  sink.dropped = 7;
  telemetry.summarize();
  const records = sink.messages.filter((m) => m.kind === 'record');
  t.equal(records.length, 10, 'sampling 0.1 passes every tenth record');
  t.same(records.map((r) => r.kind === 'record' && r.seq), [9, 19, 29, 39, 49, 59, 69, 79, 89, 99], 'evenly, and seq counts the sampled-out ones');
  const summaries = sink.messages.filter((m) => m.kind === 'summary');
  t.equal(summaries.length, 1);
  t.match(summaries[0], { stage: 'compute', count: 100, published: 10, p50Us: 50, p90Us: 90, p99Us: 99, meanEnergyUj: 101, dropped: 7 });
  sink.messages = [];
  sink.dropped = 3;
  telemetry.summarize();
  t.match(sink.messages, [{ kind: 'summary', count: 0, p50Us: null, dropped: 3 }], 'drops are reported even in a window without records');
  sink.messages = [];
  telemetry.summarize();
  t.same(sink.messages, [], 'an empty window without drops says nothing');
});

t.test('by default one record in a hundred reaches the sinks; sampled-out records are counted, not built', async (t) => {
  const sink = new MemorySink();
  const telemetry = new Telemetry(source, [sink], { summaryEveryMs: 0 });
  const returned = Array.from({ length: 200 }, (_, i) => telemetry.record({ stage: 'compute', latencyUs: i }));
  t.equal(DEFAULT_SAMPLE_RATE, 0.01);
  t.same(returned.flatMap((r, i) => (r ? [i] : [])), [99, 199], 'record() returns the record only when it is sent');
  telemetry.summarize();
  t.same(sink.messages.map((m) => m.kind === 'record' ? m.seq : m.count), [99, 199, 200]);
});

t.test('sampler and percentile edge cases', async (t) => {
  const all = new Sampler(1);
  const none = new Sampler(0);
  t.same([all.take(), all.take()], [true, true]);
  t.same([none.take(), none.take()], [false, false]);
  t.throws(() => new Sampler(1.5), { code: 'BAD_ARGUMENT', message: /between 0 and 1, got 1.5/ });
  t.equal(percentile([5], 0.99), 5);
  t.equal(percentile([1, 2, 3, 4], 0.5), 2);
  const w = new SummaryWindow(source, 0);
  w.add({ segment: 1, stage: 'encode', latencyUs: 3, energyUj: null }, true);
  w.add({ segment: 0, stage: 'compute', latencyUs: 4, energyUj: null }, true);
  const s = w.close(2, 10);
  t.equal(s.length, 2, 'one summary per segment and stage');
  t.same(s.map((x) => x.dropped), [2, 0], 'drops counted once');
  t.same(s.map((x) => x.meanEnergyUj), [null, null]);
});

t.test('topics: cleave/v1/<fleet>/<device>/<kind> within 7 levels and 256 bytes, no leading /', async (t) => {
  t.equal(deviceTopic('lab', 'board-7', 'telemetry'), 'cleave/v1/lab/board-7/telemetry');
  t.equal(deviceTopic('lab', 'board-7', 'status'), 'cleave/v1/lab/board-7/status');
  t.throws(() => deviceTopic('lab/west', 'b', 'cmd'), { code: 'TELEMETRY_TOPIC', message: /fleet "lab\/west" must be one non-empty MQTT topic level/ });
  t.throws(() => deviceTopic('lab', '+', 'cmd'), { code: 'TELEMETRY_TOPIC', message: /device "\+"/ });
  t.throws(() => deviceTopic('lab', 'd'.repeat(250), 'summary'), { code: 'TELEMETRY_TOPIC', message: /\d+ bytes, at most 256/ });
  t.throws(() => checkTopic('/cleave/v1/x'), { message: /starts with '\/'/ });
  t.throws(() => checkTopic('a/b/c/d/e/f/g/h'), { message: /8 levels, at most 7/ });
  t.throws(() => checkTopic('a//b'), { message: /empty level/ });
  t.equal(checkTopic('a/b/c/d/e/f/g'), 'a/b/c/d/e/f/g');
});

t.test('--telemetry values', async (t) => {
  t.same(parseTelemetryTarget('mqtt://127.0.0.1:1883/lab'), { kind: 'mqtt', url: 'mqtt://127.0.0.1:1883', fleet: 'lab' });
  t.same(parseTelemetryTarget('mqtts://u:p%40ss@broker.local:8883'), { kind: 'mqtt', url: 'mqtts://broker.local:8883', fleet: 'default', username: 'u', password: 'p@ss' });
  t.same(parseTelemetryTarget('serial:/dev/ttyUSB0@921600'), { kind: 'serial', path: '/dev/ttyUSB0', baud: 921600 });
  t.same(parseTelemetryTarget('serial:/dev/ttyACM0'), { kind: 'serial', path: '/dev/ttyACM0', baud: 115200 });
  t.same(parseTelemetryTarget('file:/tmp/t.jsonl'), { kind: 'file', path: '/tmp/t.jsonl' });
  for (const [bad, why] of [['mqtt://host', /no port/], ['mqtt://h:1/a/b', /one path level/], ['serial:/dev/x@12', /baud 12/], ['file:', /no file path/], ['udp://h:1', /unknown scheme/]] as const) {
    t.throws(() => parseTelemetryTarget(bad), { code: 'BAD_ARGUMENT', message: why }, bad);
  }
});

t.test('serial lines: compact, parseable back, other console output ignored, garbage named', async (t) => {
  const sink = new MemorySink();
  const telemetry = new Telemetry({ ...source, device: 'board 7' }, [sink], { sampleRate: 1, summaryEveryMs: 0 });
  telemetry.record({ stage: 'transfer', latencyUs: 812.25, bytes: 9216, energy: { uj: 31.5, source: 'measured:rapl' } });
  telemetry.record({ stage: 'decode', latencyUs: 40, outcome: 'error' });
  telemetry.summarize();
  const lines = sink.messages.map(formatLine);
  t.equal(lines[0], `CLV1 R board%207 0 0 transfer 812.25 31.5 measured%3Arapl 9216 ok ${(sink.messages[0] as { monoUs: number }).monoUs} ${(sink.messages[0] as { wallMs: number }).wallMs}`);
  t.match(parseLine(lines[0]!, 'ttyUSB0'), { kind: 'record', device: 'board 7', stage: 'transfer', latencyUs: 812.25, energyUj: 31.5, energySource: 'measured:rapl', bytes: 9216 });
  t.match(parseLine(lines[1]!, 'ttyUSB0'), { kind: 'record', stage: 'decode', energyUj: null, energySource: null, outcome: 'error' });
  t.match(parseLine(lines[2]!, 'ttyUSB0'), { kind: 'summary', stage: 'transfer', count: 1, p50Us: 812.25, meanEnergyUj: 31.5, dropped: 0 });
  t.equal(parseLine('boot: cleave firmware 0.1', 'ttyUSB0'), null);
  t.throws(() => parseLine('CLV1 R a 1 2', 'ttyUSB0'), { code: 'TELEMETRY_INVALID', message: /ttyUSB0: serial telemetry line "CLV1 R a 1 2": a record line has 13 fields/ });
  t.throws(() => parseLine(lines[0]!.replace('812.25', 'x'), 'p'), { message: /field 6 \(latencyUs\) is not a number/ });
});

t.test('file sink: one JSON document per line', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-telemetry-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 't.jsonl');
  const telemetry = new Telemetry(source, [new FileSink(file)], { sampleRate: 1, summaryEveryMs: 0 });
  telemetry.record({ stage: 'compute', latencyUs: 5 });
  telemetry.record({ stage: 'compute', latencyUs: 7 });
  await telemetry.close();
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l, i) => parseTelemetryMessage(l, `line ${i + 1}`));
  t.same(lines.map((m) => m.kind), ['record', 'record', 'summary']);
  t.throws(() => new FileSink(path.join(dir, 'missing', 'x.jsonl')), { code: 'WRITE_FAILED', message: /missing\/x.jsonl: cannot open/ });
  t.ok(new CleaveError('TELEMETRY_TOPIC', 'x').errorClass === 'usage');
});
