// Thermal zones and throttling, and CPU frequency scaling.
import t from 'tap';
import * as fs from 'node:fs';
import { findBoard, loadBoardCatalog } from '../../hal/boards/catalog';
import { cappedCpus, readCpuFreq, setGovernor } from '../../hal/cpufreq';
import { parseGetThrottled, readThermalZones, readThrottleState, throttledZones } from '../../hal/thermal';
import { fixtureContext, scratchCopy } from '../lib/board-fixtures';

const catalog = loadBoardCatalog();

t.test('zones: m°C to °C, trip points, unreadable sensors reported per zone', async (t) => {
  const zones = await readThermalZones(fixtureContext('jetson-orin-nano'));
  t.same(zones.map((z) => [z.type, z.celsius]), [
    ['cpu-thermal', 51.187], // 51187 m°C
    ['gpu-thermal', 50.218],
    ['cv0-thermal', undefined],
    ['soc0-thermal', 49.843],
    ['tj-thermal', 51.187],
  ]);
  t.same(zones[0]!.trips, [{ type: 'passive', celsius: 99 }, { type: 'critical', celsius: 104.5 }]);
  t.match(zones[2]!.error, /thermal_zone2\/temp: no such file/);
});

t.test('throttling: a zone at or above its lowest passive trip point', async (t) => {
  t.same(throttledZones(await readThermalZones(fixtureContext('jetson-orin-nano'))), []);
  const { ctx, file } = scratchCopy(t, 'jetson-orin-nano');
  fs.writeFileSync(file('sys/class/thermal/thermal_zone4/temp'), '99500\n');
  const state = await readThrottleState(ctx, findBoard(catalog, 'jetson-orin-nano'));
  t.same(state, { throttled: true, reasons: ['tj-thermal at 99.5 °C, at or above its passive trip point 99.0 °C'] });
});

t.test('vcgencmd get_throttled: bits 0-3 now, 16-19 since boot', async (t) => {
  t.same(parseGetThrottled('throttled=0x50005\n'), { now: ['under-voltage now', 'throttled now'], past: ['under-voltage has occurred', 'throttling has occurred'] });
  t.same(parseGetThrottled('throttled=0x0\n'), { now: [], past: [] });
  t.throws(() => parseGetThrottled('error=1 error_msg="Command not registered"'), { code: 'THERMAL_GARBLED' });
  // The Pi 4 fixture reports 0x50000: throttled and under-voltage in the past, nothing now.
  t.same(await readThrottleState(fixtureContext('rpi4'), findBoard(catalog, 'rpi4')), { throttled: false, reasons: [] });
  const { ctx, file } = scratchCopy(t, 'rpi4');
  fs.writeFileSync(file('bin/vcgencmd'), "#!/bin/sh\necho 'throttled=0x50005'\n");
  t.same(await readThrottleState(ctx, findBoard(catalog, 'rpi4')), { throttled: true, reasons: ['firmware: under-voltage now', 'firmware: throttled now'] });
});

t.test('no thermal zones is a reason, not an empty list', async (t) => {
  await t.rejects(readThermalZones(fixtureContext('host-x86_64')), { code: 'THERMAL_UNAVAILABLE', message: /no thermal zones at .*host-x86_64\/sys\/class\/thermal\/thermal_zone\*/ });
});

t.test('cpufreq: governor and clocks in kHz', async (t) => {
  const cpus = await readCpuFreq(fixtureContext('rpi5'));
  t.equal(cpus.length, 4);
  t.same(cpus[0], {
    cpu: 0,
    governor: 'ondemand',
    currentKHz: 2400000,
    minKHz: 1500000,
    maxKHz: 2400000,
    scalingMaxKHz: 2400000,
    availableGovernors: ['conservative', 'ondemand', 'userspace', 'powersave', 'performance', 'schedutil'],
  });
  t.same(cappedCpus(cpus), []);
  await t.rejects(readCpuFreq(fixtureContext('host-x86_64')), { code: 'CPUFREQ_UNAVAILABLE', message: /no cpufreq at .*cpu\*\/cpufreq/ });
});

t.test('cpufreq: capped clocks and setting the governor', async (t) => {
  const { ctx, file } = scratchCopy(t, 'rpi4');
  fs.writeFileSync(file('sys/devices/system/cpu/cpu2/cpufreq/scaling_max_freq'), '1200000\n');
  t.same(cappedCpus(await readCpuFreq(ctx)), ['cpu2 capped at 1200 MHz of 1800 MHz']);
  await setGovernor(ctx, 'performance');
  for (let cpu = 0; cpu < 4; cpu++) t.equal(fs.readFileSync(file(`sys/devices/system/cpu/cpu${cpu}/cpufreq/scaling_governor`), 'utf8'), 'performance\n');
  await t.rejects(setGovernor(ctx, 'turbo'), { code: 'CPUFREQ_GOVERNOR', message: 'cpu0: governor "turbo" not offered (available: conservative, ondemand, userspace, powersave, performance, schedutil)' });
});
