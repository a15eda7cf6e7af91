// `cleave run --energy` meters one window around N runs and divides, instead of starting and
// stopping the meter around every inference (which, for a model of a few µs, measures the meter).
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleave } from '../lib/cli';
import { shippedModels } from '../lib/models';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-run-energy-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const hello = shippedModels().find((m) => m.name === 'tflm_hello_world')!;

t.test('run --energy --repeat N: one window of N runs, joules divided by N', async (t) => {
  const input = path.join(tmp, 'x.bin');
  fs.writeFileSync(input, Buffer.of(0));
  const r = cleave(['run', hello.file, '-i', input, '--repeat', '500', '--energy', '--json']);
  if (r.status !== 0 && /no energy meter|energy meter/i.test(r.stderr)) {
    t.skip(`no energy meter on this machine: ${r.stderr.trim()}`);
    return;
  }
  t.equal(r.status, 0, r.stderr);
  const e = (JSON.parse(r.stdout) as { energy: { joulesPerInference: number; windowJoules: number; windowRuns: number; windowSeconds: number } }).energy;
  t.equal(e.windowRuns, 500, 'one window around all 500 runs');
  t.ok(Math.abs(e.joulesPerInference * 500 - e.windowJoules) <= 1e-9 * e.windowJoules, 'per inference = window / runs');
  // A window per run costs the meter's start and stop each time (milliseconds for the estimate's
  // /proc/stat reads); one window spreads that over the runs.
  t.ok(e.windowSeconds / 500 < 0.001, `${((e.windowSeconds / 500) * 1e6).toFixed(1)} µs of window per inference`);
});
