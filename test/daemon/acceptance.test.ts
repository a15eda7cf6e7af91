// Issue #12, acceptance 2: `cleave daemon` running person_detect on a watched folder publishes
// telemetry (through its embedded broker) that `cleave telemetry tail` shows. Both run as child
// processes, as a user would start them.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from '../telemetry/mosquitto';
import { CliChild } from '../lib/cli';
import { daemonFolder, dropInputs, personDetect, startDaemon } from '../lib/daemon';

t.test('a daemon on a watched folder publishes telemetry that `cleave telemetry tail` shows', async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-daemon-accept-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const port = await freePort();
  const { dir, config } = daemonFolder(tmp, [
    'role: head',
    'stateDir: state',
    'head:',
    `  model: ${personDetect}`,
    '  source: { directory: { path: in } }',
    '  results: { dir: out }',
    'telemetry:',
    `  broker: { port: ${port}, fleet: lab }`,
  ]);
  const daemon = await startDaemon(t, config, { CLEAVE_DEVICE: 'camera-3' }, /^ready: head model\.tflite on directory /);

  const inputs = 3;
  const tail = new CliChild(['telemetry', 'tail', '--mqtt', `mqtt://127.0.0.1:${port}/lab`, '-n', String(2 * inputs)]);
  t.teardown(() => tail.signal('SIGKILL'));
  await tail.waitForLine(/^device\s+seg\s+stage\s+latency µs/);
  dropInputs(path.join(dir, 'in'), inputs);
  t.same(await tail.exited, { code: 0, signal: null }, tail.stderr.join('\n'));
  const rows = tail.stdout.filter((l) => l.startsWith('camera-3 ') && / ok$/.test(l));
  t.equal(rows.filter((l) => /^camera-3\s+0\s+compute\s+\d+\.\d\s/.test(l)).length, inputs, 'a compute row per input');
  t.equal(rows.filter((l) => /^camera-3\s+0\s+end-to-end\s+\d+\.\d\s/.test(l)).length, inputs, 'an end-to-end row per input');
  t.ok(tail.stdout.some((l) => /^camera-3\s.*online$/.test(l)), 'the retained online status');

  daemon.signal('SIGTERM');
  t.same(await daemon.exited, { code: 0, signal: null });
  t.equal(fs.readdirSync(path.join(dir, 'out')).length, inputs);
  t.same(fs.readFileSync(path.join(dir, 'state', 'processed.txt'), 'utf8').trim().split('\n').sort(),
    Array.from({ length: inputs }, (_, i) => path.join(dir, 'in', `in-000${i}.bin`)), 'the ledger holds the inputs left in place');
});
