// Energy: integration of power samples, the estimated meter, and choosing the best meter.
import t from 'tap';
import * as fs from 'node:fs';
import { findBoard, loadBoardCatalog } from '../../hal/boards/catalog';
import type { Ina2xxHwmonSource, RaplSource } from '../../hal/boards/descriptor';
import { openBestEnergyMeter, surveyMeters } from '../../hal/energy/best';
import { EstimatedEnergyMeter, EstimatedPowerMeter, estimateJoules } from '../../hal/energy/estimated';
import { integrateSamples } from '../../hal/energy/integrator';
import { RaplEnergyMeter } from '../../hal/energy/rapl';
import { busyCoresBetween, parseProcStat } from '../../hal/energy/proc-stat';
import { SamplingEnergyMeter } from '../../hal/energy/sampling-meter';
import { halContext } from '../../hal/context';
import { Ina2xxHwmonMeter } from '../../hal/power/ina2xx-hwmon';
import { emptyRoot, fixtureContext, manualClock, near, scratchCopy } from '../lib/board-fixtures';

const catalog = loadBoardCatalog();
const board = (id: string) => findBoard(catalog, id);
const HOUR_MS = 3_600_000; // a sampling period no test reaches: only the start and stop samples happen

t.test('trapezoid integration, edges held', async (t) => {
  // window [0, 4]: 2 W held over [0, 1] = 2 J; (2 + 4) / 2 W over [1, 3] = 6 J; 4 W held over [3, 4] = 4 J
  t.equal(integrateSamples([{ t: 1, watts: 2 }, { t: 3, watts: 4 }], 0, 4), 12);
  // a sample after the window's end is clamped to it: (2 + 4) / 2 W over [1, 2] = 3 J
  t.equal(integrateSamples([{ t: 1, watts: 2 }, { t: 9, watts: 4 }], 1, 2), 3);
  t.equal(integrateSamples([{ t: 0, watts: 5 }], 0, 0), 0);
});

t.test('a power meter sampled and integrated: joules from the fixture readings', async (t) => {
  const { ctx, file } = scratchCopy(t, 'rpi4');
  const power = new Ina2xxHwmonMeter(ctx, board('rpi4').power.sources[0] as Ina2xxHwmonSource);
  const clock = manualClock();
  const meter = new SamplingEnergyMeter(power, HOUR_MS, clock.now);
  await meter.start(); // t = 0: 4,280,000 µW
  fs.writeFileSync(file('sys/bus/i2c/devices/1-0040/hwmon/hwmon2/power1_input'), '2280000\n');
  clock.set(10);
  const r = await meter.stop(); // t = 10 s: 2,280,000 µW
  t.equal(r.name, 'ina2xx-hwmon');
  t.equal(r.kind, 'measured');
  near(t, r.joules, 32.8, '(4.28 W + 2.28 W) / 2 x 10 s');
  near(t, r.averageWatts, 3.28, '32.8 J / 10 s');
  t.equal(r.seconds, 10);

  await meter.start();
  await t.rejects(meter.start(), { code: 'METER_BUSY' });
  fs.rmSync(file('sys/bus/i2c/devices/1-0040/hwmon/hwmon2/power1_input'));
  clock.set(11);
  await t.rejects(meter.stop(), { code: 'METER_FAILED', message: /ina2xx-hwmon: a power reading failed during the measurement, so its energy is unknown: .*power1_input: no such file/ });
  await t.rejects(meter.stop(), { code: 'METER_IDLE' });
  await meter.close();
});

t.test('/proc/stat: busy and total jiffies, busy cores between snapshots', async (t) => {
  const text = fs.readFileSync(`${fixtureContext('host-x86_64').root}/proc/stat`, 'utf8');
  // cpu  3664 0 2210 54541 246 0 36 0: busy = 3664 + 0 + 2210 + 0 + 36 + 0 = 5910; total = 5910 + 54541 + 246 = 60697
  t.same(parseProcStat(text, 'stat'), { busy: 5910, total: 60697, cpus: 2 });
  t.equal(busyCoresBetween({ busy: 0, total: 0, cpus: 4 }, { busy: 100, total: 400, cpus: 4 }, 'stat'), 1, '25% of 4 CPUs');
  t.throws(() => parseProcStat('intr 1 2 3\n', '/x/proc/stat'), { code: 'SYSFS_GARBLED', message: /^\/x\/proc\/stat: no valid "cpu" and "cpuN" lines/ });
  t.throws(() => busyCoresBetween({ busy: 1, total: 5, cpus: 1 }, { busy: 1, total: 5, cpus: 1 }, '/x/proc/stat'), { message: '/x/proc/stat: CPU time did not advance between two readings, so utilization is unknown' });
});

t.test('the estimated meter integrates the power model and says it is estimated', async (t) => {
  const { ctx, file } = scratchCopy(t, 'host-x86_64');
  const model = board('host-x86_64').power.model!; // 10 W idle + 4 W per busy core
  const clock = manualClock();
  const meter = new EstimatedEnergyMeter(ctx, model, clock.now);
  await meter.start();
  // 2 s later: user +250, system +50 (busy +300), idle +100: 300 / 400 = 75% of 2 CPUs = 1.5 busy cores
  const later = fs.readFileSync(file('proc/stat'), 'utf8').replace(/^cpu .*$/m, 'cpu  3914 0 2260 54641 246 0 36 0 0 0');
  fs.writeFileSync(file('proc/stat'), later);
  clock.set(2);
  const r = await meter.stop();
  t.same(r, { name: 'power-model', kind: 'estimated', joules: 32, seconds: 2, averageWatts: 16 }); // (10 + 4 x 1.5) W x 2 s
  t.equal(estimateJoules(model, 2, 1.5), 32);
  await t.rejects(new EstimatedPowerMeter(fixtureContext('host-x86_64'), model, 1).read(), { message: /proc\/stat: CPU time did not advance/ });
});

t.test('best meter: the first measured source that reads, in descriptor order', async (t) => {
  const orin = await openBestEnergyMeter(board('jetson-orin-nano'), { ctx: fixtureContext('jetson-orin-nano') });
  t.same([orin.name, orin.kind, orin.skipped], ['ina3221-hwmon', 'measured', []]);
  await orin.close();
  const rpi5 = await openBestEnergyMeter(board('rpi5'), { ctx: fixtureContext('rpi5') });
  t.same([rpi5.name, rpi5.kind], ['rpi-pmic', 'measured']);
  await rpi5.close();
  // The host fixture's RAPL counters never move, which no live package does: not a usable meter.
  const host = await openBestEnergyMeter(board('host-x86_64'), { ctx: fixtureContext('host-x86_64') });
  t.same([host.name, host.kind], ['power-model', 'estimated']);
  t.match(host.skipped, [{ name: 'rapl', reason: /energy_uj did not change/ }]);
  await host.close();
});

t.test('best meter falls back to the labelled estimate, saying why', async (t) => {
  const { ctx, file } = scratchCopy(t, 'host-x86_64');
  fs.rmSync(file('sys/class/powercap'), { recursive: true });
  const meter = await openBestEnergyMeter(board('host-x86_64'), { ctx });
  t.equal(meter.name, 'power-model');
  t.equal(meter.kind, 'estimated');
  t.equal(meter.skipped.length, 1);
  t.equal(meter.skipped[0]!.name, 'rapl');
  t.match(meter.skipped[0]!.reason, /no zones at .*intel-rapl:\*/);
  await meter.close();
});

t.test('no meter at all lists every reason', async (t) => {
  await t.rejects(openBestEnergyMeter(board('nucleo-l4r5zi')), {
    code: 'METER_UNAVAILABLE',
    message: /no energy meter available on nucleo-l4r5zi:\n {2}external-monitor: measured by an external energy monitor integrating between the falling edges of GPIO pin "timestamp"; cleave cannot read it\n {2}power-model: nucleo-l4r5zi runs firmware/,
  });
  await t.rejects(openBestEnergyMeter(board('mps2-an385')), { message: /power-model: mps2-an385 has no power model/ });
});

t.test('a survey labels the estimate as estimated wherever it appears', async (t) => {
  const statuses = await surveyMeters(board('rpi5'), { ctx: fixtureContext('rpi5') });
  t.same(statuses.map((s) => [s.name, s.kind, s.available]), [
    ['rpi-pmic', 'measured', true],
    ['ina2xx-hwmon', 'measured', false],
    ['power-model', 'estimated', false], // the fixture's /proc/stat never advances
  ]);
  t.equal(statuses[0]!.reading?.kind, 'measured');
});

t.test('on this machine the estimate reads the live /proc/stat', { skip: process.arch !== 'x64' && 'not an x86-64 host' }, async (t) => {
  const statuses = await surveyMeters(board('host-x86_64'), { ctx: halContext({ root: '/' }) });
  const estimate = statuses.find((s) => s.name === 'power-model')!;
  t.equal(estimate.available, true);
  t.equal(estimate.kind, 'estimated');
  t.equal(estimate.reading?.kind, 'estimated');
  t.ok(estimate.reading!.totalWatts >= 10, 'at least the 10 W idle share');
});

t.test('a start that fails leaves the meter idle, and an un-awaited start reports through stop', async (t) => {
  const { ctx, file } = scratchCopy(t, 'rpi4');
  const powerFile = file('sys/bus/i2c/devices/1-0040/hwmon/hwmon2/power1_input');
  const saved = fs.readFileSync(powerFile);
  fs.rmSync(powerFile);
  const meter = new SamplingEnergyMeter(new Ina2xxHwmonMeter(ctx, board('rpi4').power.sources[0] as Ina2xxHwmonSource), HOUR_MS, manualClock().now);
  await t.rejects(meter.start(), { code: 'SYSFS_MISSING' });
  void meter.start(); // not awaited, as a caller that only wants stop() might do
  await t.rejects(meter.stop(), { message: /power1_input: no such file/ });
  fs.writeFileSync(powerFile, saved);
  await meter.start();
  t.equal((await meter.stop()).joules, 0, 'zero seconds on a clock that never moved');

  const rapl = new RaplEnergyMeter(emptyRoot(t), board('host-x86_64').power.sources[0] as RaplSource);
  void rapl.start();
  await t.rejects(rapl.stop(), { code: 'METER_UNAVAILABLE', message: /rapl: no zones/ });
  await t.rejects(rapl.stop(), { code: 'METER_IDLE' });
});
