// Spool append rate: `node dist/bench/spool.js [--records N] [--fsync interval|always|never]`
// appends N telemetry records (real v1 record JSON, ~330 bytes) to a fresh spool in a temporary
// directory and prints one JSON object: records/s, µs per append, bytes. Issue 12's target is at
// least 20,000 records/s with the default fsync policy ('interval').
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Spool, type FsyncPolicy } from '../src/telemetry/spool';
import { Telemetry } from '../src/telemetry/telemetry';
import type { TelemetryMessage } from '../src/telemetry/record';

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
let sample: TelemetryMessage | undefined;
const telemetry = new Telemetry(
  { device: 'bench-device', board: 'generic-x86_64', model: 'person_detect.tflite', programHash: '0a1b2c3d', planId: null },
  [{ name: 'capture', write: (m) => { sample = m; }, takeDropped: () => 0, close: async () => undefined }],
  { summaryEveryMs: 0 },
);
telemetry.record({ stage: 'compute', latencyUs: 61234.5, energy: { uj: 41250, source: 'measured:rapl' }, bytes: 2 });
const payload = Buffer.from(`t${JSON.stringify(sample)}`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-spool-bench-'));
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
  })}\n`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
