// Spool append rate: `node dist/bench/spool.js [--records N] [--fsync interval|always|never]`
// appends N telemetry records (real v1 record JSON, ~320 bytes) to a fresh spool in a temporary
// directory and prints one JSON object: records/s, µs per append, bytes. Issue 12's target is at
// least 20,000 records/s with the default fsync policy ('interval'). It also times the whole cost
// of one record as `cleave run --telemetry mqtt://…` pays it with the broker away (the record built,
// sampled, summarized, serialized and spooled): `recordMicros`, to compare with an inference.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MqttSink } from '../src/telemetry/sinks/mqtt-sink';
import { Spool, type FsyncPolicy } from '../src/telemetry/spool';
import { Telemetry } from '../src/telemetry/telemetry';
import type { TelemetryMessage, TelemetrySource } from '../src/telemetry/record';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const records = Number(flag('--records', '100000'));
const fsync = flag('--fsync', 'interval') as FsyncPolicy;
if (!Number.isInteger(records) || records < 1 || !['interval', 'always', 'never'].includes(fsync)) {
  process.stderr.write('usage: node dist/bench/spool.js [--records N] [--fsync interval|always|never]\n');
  process.exit(2);
}

// One record as the hub makes it, so the payload size is the real one.
const source: TelemetrySource = { device: 'bench-device', board: 'generic-x86_64', model: 'person_detect.tflite', programHash: '0a1b2c3d', planId: null };
let sample: TelemetryMessage | undefined;
const telemetry = new Telemetry(
  source,
  [{ name: 'capture', write: (m) => { sample = m; }, takeDropped: () => 0, close: async () => undefined }],
  { sampleRate: 1, summaryEveryMs: 0 },
);
telemetry.record({ stage: 'compute', latencyUs: 61234.5, energy: { uj: 41250, source: 'measured:rapl' }, bytes: 2 });
const payload = Buffer.from(`t${JSON.stringify(sample)}`);

/** µs per Telemetry.record through an MQTT sink whose broker is unreachable (so every record is spooled). */
async function recordMicros(dir: string, count: number): Promise<number> {
  const sink = await MqttSink.open({ url: 'mqtt://127.0.0.1:1', fleet: 'bench', device: 'bench-device', spoolDir: path.join(dir, 'sink'), connectWaitMs: 50, flushMs: 0, spool: { fsync, maxBytes: 1 << 30 } });
  const hub = new Telemetry(source, [sink], { sampleRate: 1, summaryEveryMs: 0 });
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) hub.record({ stage: 'compute', latencyUs: 61234.5, energy: { uj: 41250, source: 'measured:rapl' }, bytes: 2 });
  const micros = Number(process.hrtime.bigint() - start) / 1e3 / count;
  await hub.close();
  return Math.round(micros * 100) / 100;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-spool-bench-'));
async function main(): Promise<void> {
  try {
    const spool = Spool.open(dir, { fsync, maxBytes: 1 << 30 });
    const start = process.hrtime.bigint();
    for (let i = 0; i < records; i++) spool.append(payload);
    spool.close();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    process.stdout.write(`${JSON.stringify({
      bench: 'spool-append',
      fsync,
      records,
      recordBytes: payload.length,
      seconds: Math.round(seconds * 1e4) / 1e4,
      recordsPerSecond: Math.round(records / seconds),
      microsPerAppend: Math.round((seconds / records) * 1e6 * 100) / 100,
      target: 20000,
      recordMicros: await recordMicros(dir, Math.min(records, 20000)),
    })}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
