// RAPL powercap counters: joules from energy_uj deltas, wrap-around at max_energy_range_uj, and the
// reasons the meter is unavailable.
import t from 'tap';
import * as fs from 'node:fs';
import { findBoard, loadBoardCatalog } from '../../hal/boards/catalog';
import type { RaplSource } from '../../hal/boards/descriptor';
import { counterDelta, findRaplZones, RaplEnergyMeter, RaplPowerMeter } from '../../hal/energy/rapl';
import { describeReadError } from '../../hal/sysfs';
import { emptyRoot, fixtureContext, manualClock, near, scratchCopy } from '../lib/board-fixtures';

const raplSource = findBoard(loadBoardCatalog(), 'host-x86_64').power.sources[0] as RaplSource;
const PACKAGE = 'sys/class/powercap/intel-rapl:0/energy_uj';
const MAX_RANGE = 262143328850;

t.test('counter deltas, with and without wrap-around', async (t) => {
  t.equal(counterDelta(100, 250, 1000), 150);
  t.equal(counterDelta(900, 50, 1000), 150, '(1000 - 900) + 50');
  t.equal(counterDelta(MAX_RANGE - 328850, 500000, MAX_RANGE), 828850);
});

t.test('zones: package domains only (not the core subzone, not the control folder)', async (t) => {
  const zones = await findRaplZones(fixtureContext('host-x86_64'), ['package']);
  t.same(zones.map((z) => [z.dir, z.name, z.maxRangeMicrojoules]), [['/sys/class/powercap/intel-rapl:0', 'package-0', MAX_RANGE]]);
});

t.test('joules are the counter delta; seconds come from the clock', async (t) => {
  const { ctx, file } = scratchCopy(t, 'host-x86_64');
  const clock = manualClock(100);
  const meter = new RaplEnergyMeter(ctx, raplSource, clock.now);
  await meter.start(); // baseline 48,212,737,301 µJ
  fs.writeFileSync(file(PACKAGE), `${48212737301 + 12_500_000}\n`);
  clock.set(102.5);
  const r = await meter.stop();
  t.same(r, { name: 'rapl', kind: 'measured', joules: 12.5, seconds: 2.5, averageWatts: 5 }); // 12,500,000 µJ over 2.5 s
  await meter.close();
});

t.test('a counter that wraps during the measurement', async (t) => {
  const { ctx, file } = scratchCopy(t, 'host-x86_64');
  fs.writeFileSync(file(PACKAGE), '262143000000\n');
  const clock = manualClock();
  const meter = new RaplEnergyMeter(ctx, raplSource, clock.now);
  await meter.start();
  fs.writeFileSync(file(PACKAGE), '500000\n');
  clock.set(1);
  const r = await meter.stop();
  near(t, r.joules, 0.82885, '(262,143,328,850 - 262,143,000,000 + 500,000) µJ');
  await meter.close();
});

t.test('a frozen counter is not zero joules', async (t) => {
  const clock = manualClock();
  const meter = new RaplEnergyMeter(fixtureContext('host-x86_64'), raplSource, clock.now);
  await meter.start();
  clock.set(1);
  await t.rejects(meter.stop(), { code: 'METER_FAILED', message: /energy_uj did not change in 1\.000 s/ });
  await t.rejects(new RaplPowerMeter(fixtureContext('host-x86_64'), { ...raplSource, sampleIntervalMs: 5 }).read(), {
    code: 'METER_UNAVAILABLE',
    message: /intel-rapl:0\/energy_uj did not change in \d+ ms/,
  });
});

t.test('no powercap, garbled counter, unreadable counter', async (t) => {
  await t.rejects(new RaplEnergyMeter(emptyRoot(t), raplSource).start(), {
    code: 'METER_UNAVAILABLE',
    message: /rapl: no zones at .*\/sys\/class\/powercap\/intel-rapl:\* \(no RAPL on this CPU/,
  });
  const { ctx, file } = scratchCopy(t, 'host-x86_64');
  fs.writeFileSync(file(PACKAGE), 'N/A\n');
  await t.rejects(new RaplEnergyMeter(ctx, raplSource).start(), { code: 'SYSFS_GARBLED', message: `${file(PACKAGE)}: expected an integer, found "N/A"` });
  const denied = describeReadError('/sys/class/powercap/intel-rapl:0/energy_uj', Object.assign(new Error('EACCES'), { code: 'EACCES' }));
  t.equal(denied.code, 'SYSFS_DENIED');
  t.equal(denied.message, '/sys/class/powercap/intel-rapl:0/energy_uj: permission denied (readable by root only on this system)');
});

t.test('root-only counters, as an ordinary user sees them', { skip: process.getuid?.() === 0 && 'running as root, which reads any file' }, async (t) => {
  const { ctx, file } = scratchCopy(t, 'host-x86_64');
  fs.chmodSync(file(PACKAGE), 0o400);
  fs.chownSync(file(PACKAGE), 0, 0);
  await t.rejects(new RaplEnergyMeter(ctx, raplSource).start(), { message: /energy_uj: permission denied \(RAPL counters are root-only since Linux 5\.10/ });
});
