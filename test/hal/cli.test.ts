// `cleave boards`, `cleave board` and `cleave energy` as a user runs them (./bin/cleave, built by
// `npx tsc -p tsconfig.json`), against fixture roots and against this machine.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleave, repoRoot } from '../lib/cli';
import { modelsRoot } from '../lib/models';
import { emptyRoot, fixtureBoards, fixtureRoot } from '../lib/board-fixtures';

const built = fs.existsSync(path.join(repoRoot, 'dist', 'src', 'cli', 'commands', 'board.js'));
t.ok(built, 'the CLI is built (npx tsc -p tsconfig.json) before these tests run');

/** Environment that makes cleave see a fixture board: its tree as root, its fake tools first on PATH. */
const onBoard = (board: string) => ({ CLEAVE_SYSFS_ROOT: fixtureRoot(board), PATH: `${path.join(fixtureRoot(board), 'bin')}:${process.env.PATH}` });

t.test('cleave boards lists every descriptor', async (t) => {
  const table = cleave(['boards']);
  t.equal(table.status, 0, table.stderr);
  for (const id of ['host-x86_64', 'jetson-agx-orin', 'jetson-nano', 'jetson-orin-nano', 'jetson-orin-nx', 'mps2-an385', 'mps2-an505', 'nucleo-l4r5zi', 'rp2040-pico', 'rpi4', 'rpi5']) {
    t.match(table.stdout, new RegExp(`^${id}\\s`, 'm'), id);
  }
  t.match(table.stdout, /^rpi5\s+linux\s+arm64\s+4x cortex-a76 @2400 MHz\s+8 GiB RAM\s+rpi-pmic, ina2xx-hwmon, power-model \(estimated\)/m);
  const json = cleave(['boards', '--json']);
  t.equal(json.status, 0, json.stderr);
  const boards = JSON.parse(json.stdout) as { id: string; runtime: string }[];
  t.equal(boards.length, 11);
  t.same(boards.find((b) => b.id === 'nucleo-l4r5zi')?.runtime, 'firmware');
});

const BEST: Record<string, string | null> = {
  'host-x86_64': null, // the fixture's RAPL counter and /proc/stat never move
  'jetson-agx-orin': 'ina3221-hwmon',
  'jetson-nano': 'ina3221-iio',
  'jetson-orin-nano': 'ina3221-hwmon',
  'jetson-orin-nx': 'ina3221-hwmon',
  rpi4: 'ina2xx-hwmon',
  rpi5: 'rpi-pmic',
};

t.test('cleave board --json on each fixture board', async (t) => {
  t.same(Object.keys(BEST).sort(), fixtureBoards);
  for (const id of fixtureBoards) {
    const r = cleave(['board', '--json'], { env: onBoard(id) });
    t.equal(r.status, 0, `${id}: ${r.stderr}`);
    const report = JSON.parse(r.stdout);
    t.equal(report.board.id, id);
    t.equal(report.root, fixtureRoot(id));
    t.equal(report.best, BEST[id], `${id} best meter`);
    for (const m of report.meters) {
      t.ok(m.available ? m.reading.totalWatts > 0 : m.reason.length > 0, `${id} ${m.name}: a reading or a reason`);
      if (m.name === 'power-model') t.equal(m.kind, 'estimated', `${id}: the model is labelled estimated`);
    }
  }
});

t.test('cleave board (table) shows readings and reasons', async (t) => {
  const r = cleave(['board'], { env: onBoard('rpi5') });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^board {4}rpi5: Raspberry Pi 5$/m);
  t.match(r.stdout, /^rpi-pmic\s+measured\s+yes\s+1\.760 W measured \(/m);
  t.match(r.stdout, /^ina2xx-hwmon\s+measured\s+no\s+ina2xx-hwmon: no hwmon device at /m);
  t.match(r.stdout, /^best meter {2}rpi-pmic$/m);
  t.match(r.stdout, /^thermal {5}cpu-thermal 55\.3 °C; not throttling$/m);
  t.match(r.stdout, /^cpufreq {5}4 CPUs, governor ondemand, 2400-2400 MHz now$/m);
});

t.test('this machine is host-x86_64', { skip: process.arch !== 'x64' && 'not an x86-64 machine' }, async (t) => {
  const r = cleave(['board', '--json'], { env: { CLEAVE_SYSFS_ROOT: '' } });
  t.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.equal(report.board.id, 'host-x86_64');
  t.equal(report.root, '/');
  const model = report.meters.find((m: { name: string }) => m.name === 'power-model');
  t.same([model.kind, model.available], ['estimated', true]);
});

t.test('an unknown machine exits 1 with the reason', async (t) => {
  const r = cleave(['board'], { env: { CLEAVE_SYSFS_ROOT: emptyRoot(t).root } });
  t.equal(r.status, 1);
  t.match(r.stderr, /^cleave: no board descriptor matches this machine \(root .*: device-tree model absent, nv_tegra_release absent, cpuinfo absent\)/);
});

t.test('cleave energy over a time window, measured on a fixture Jetson', async (t) => {
  const r = cleave(['energy', '--seconds', '0.3', '--json'], { env: onBoard('jetson-orin-nano') });
  t.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.same([report.board, report.meter, report.kind], ['jetson-orin-nano', 'ina3221-hwmon', 'measured']);
  // Constant 4.78464 W (VDD_IN 4984 mV x 960 mA) integrates to 4.78464 W x the measured seconds.
  t.ok(Math.abs(report.averageWatts - 4.78464) < 1e-9, `average ${report.averageWatts} W`);
  t.ok(Math.abs(report.joules - 4.78464 * report.seconds) < 1e-9, 'joules = watts x seconds');
});

t.test('cleave energy -- COMMAND: the command\'s exit status is passed on', async (t) => {
  const r = cleave(['energy', '--json', '--', 'sh', '-c', 'echo from-the-command; exit 3'], { env: onBoard('rpi4') });
  t.equal(r.status, 3);
  t.match(r.stderr, /from-the-command/, 'the command\'s stdout goes to stderr under --json');
  const report = JSON.parse(r.stdout);
  t.same([report.meter, report.kind, report.exitCode, report.command], ['ina2xx-hwmon', 'measured', 3, ['sh', '-c', 'echo from-the-command; exit 3']]);
  const text = cleave(['energy', '--', 'true'], { env: onBoard('rpi4') });
  t.equal(text.status, 0, text.stderr);
  t.match(text.stdout, /^energy {4}[\d.]+ J, measured by ina2xx-hwmon$/m);
});

t.test('cleave energy --seconds N -- COMMAND stops a longer command at N seconds', async (t) => {
  const r = cleave(['energy', '--seconds', '0.2', '--json', '--', 'sleep', '30'], { env: onBoard('rpi4') });
  t.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.same([report.stoppedAtLimit, report.signal, report.exitCode], [true, 'SIGTERM', undefined]);
});

t.test('cleave energy argument errors', async (t) => {
  const none = cleave(['energy']);
  t.equal(none.status, 2, 'usage');
  t.match(none.stderr, /^cleave: nothing to measure: give -- COMMAND\.\.\., --seconds N, or --model MODEL/);
  const missing = cleave(['energy', '--', '/nonexistent/cleave-command'], { env: onBoard('rpi4') });
  t.equal(missing.status, 69, 'a missing tool: unavailable');
  t.match(missing.stderr, /^cleave: \/nonexistent\/cleave-command: cannot run \(command not found\)/);
  const both = cleave(['energy', '--model', 'x.tflite', '--', 'true']);
  t.equal(both.status, 2, 'usage');
  t.match(both.stderr, /give either --model or a command/);
  const runs = cleave(['energy', '--model', 'x.tflite', '--runs', '0']);
  t.match(runs.stderr, /--runs must be a positive integer, got "0"/);
});

const vww = path.join(modelsRoot, 'mlperf_tiny_vww', 'model.tflite');

t.test('cleave energy --model: joules per inference on this machine, labelled', { skip: !fs.existsSync(vww) && 'shipped models not present' }, async (t) => {
  const r = cleave(['energy', '--model', vww, '--runs', '5', '--json'], { env: { CLEAVE_SYSFS_ROOT: '' } });
  t.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  t.equal(report.runs, 5);
  t.ok(report.joulesPerInference > 0);
  t.ok(Math.abs(report.joulesPerInference * 5 - report.joules) < 1e-12);
  // RAPL when this machine lets cleave read it, otherwise the power model, and the label says which.
  t.ok((report.meter === 'rapl' && report.kind === 'measured') || (report.meter === 'power-model' && report.kind === 'estimated'), `${report.meter} ${report.kind}`);
  const text = cleave(['energy', '--model', vww, '--runs', '3'], { env: { CLEAVE_SYSFS_ROOT: '' } });
  t.equal(text.status, 0, text.stderr);
  t.match(text.stdout, /^per run {5}[\d.]+ mJ per inference( \(estimated\))?$/m);
  if (report.kind === 'estimated') t.match(text.stdout, /^meter {7}estimated by power-model \(board power model, not a measurement\)$/m);
});
