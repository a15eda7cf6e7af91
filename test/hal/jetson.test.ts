// Jetson power sources: INA3221 via hwmon (JetPack 5/6) and IIO (JetPack 4), and tegrastats.
import t from 'tap';
import * as fs from 'node:fs';
import { findBoard, loadBoardCatalog } from '../../hal/boards/catalog';
import type { Ina3221HwmonSource, Ina3221IioSource, TegrastatsSource } from '../../hal/boards/descriptor';
import { surveyMeters } from '../../hal/energy/best';
import { Ina3221HwmonMeter } from '../../hal/power/ina3221-hwmon';
import { Ina3221IioMeter } from '../../hal/power/ina3221-iio';
import { TegrastatsMeter } from '../../hal/power/tegrastats';
import { parseTegrastatsLine } from '../../hal/power/tegrastats-parse';
import { emptyRoot, fixtureContext, near, scratchCopy } from '../lib/board-fixtures';

const catalog = loadBoardCatalog();
const source = <S>(board: string, driver: string) => findBoard(catalog, board).power.sources.find((s) => s.driver === driver) as S;
const railWatts = (rails: { name: string; watts: number }[]) => Object.fromEntries(rails.map((r) => [r.name, r.watts]));

t.test('Orin Nano hwmon: rails by label, watts = mV x mA, total is VDD_IN only', async (t) => {
  const m = new Ina3221HwmonMeter(fixtureContext('jetson-orin-nano'), source<Ina3221HwmonSource>('jetson-orin-nano', 'ina3221-hwmon'));
  const r = await m.read();
  t.equal(r.kind, 'measured');
  t.same(railWatts(r.rails), {
    VDD_IN: 4.78464, //         4984 mV x 960 mA = 4,784,640 µW
    VDD_CPU_GPU_CV: 0.59712, // 4976 mV x 120 mA =   597,120 µW
    VDD_SOC: 1.512704, //       4976 mV x 304 mA = 1,512,704 µW
  });
  t.equal(r.totalWatts, 4.78464, 'VDD_IN already contains the other two rails');
  t.equal(r.rails[0]!.volts, 4.984);
  t.equal(r.rails[0]!.amps, 0.96);
});

t.test('Orin NX (JetPack 6, hwmon3): same rails, other numbering', async (t) => {
  const r = await new Ina3221HwmonMeter(fixtureContext('jetson-orin-nx'), source<Ina3221HwmonSource>('jetson-orin-nx', 'ina3221-hwmon')).read();
  // 5008 mV x 1232 mA = 6,169,856 µW; 5000 x 280 = 1,400,000 µW; 5000 x 392 = 1,960,000 µW
  t.same(railWatts(r.rails), { VDD_IN: 6.169856, VDD_CPU_GPU_CV: 1.4, VDD_SOC: 1.96 });
  t.equal(r.totalWatts, 6.169856);
});

t.test('AGX Orin: two chips, NC channels and the sum channel skipped, total of all rails', async (t) => {
  const r = await new Ina3221HwmonMeter(fixtureContext('jetson-agx-orin'), source<Ina3221HwmonSource>('jetson-agx-orin', 'ina3221-hwmon')).read();
  t.same(railWatts(r.rails), {
    VDD_GPU_SOC: 3.348224, //    19024 mV x 176 mA
    VDD_CPU_CV: 0.456576, //     19024 mV x  24 mA
    VIN_SYS_5V0: 4.86864, //      4968 mV x 980 mA
    VDDQ_VDD2_1V8AO: 0.39872, //  4984 mV x  80 mA
  });
  t.notOk(r.rails.some((x) => x.name === 'NC' || x.name === 'sum of shunt voltages'));
  near(t, r.totalWatts, 9.07216, 'total = 3.348224 + 0.456576 + 4.86864 + 0.39872');
});

t.test('a missing or garbled hwmon file is an error naming it, and the meter is unavailable', async (t) => {
  const src = source<Ina3221HwmonSource>('jetson-orin-nano', 'ina3221-hwmon');
  const dir = 'sys/bus/i2c/devices/1-0040/hwmon/hwmon1';

  const garbled = scratchCopy(t, 'jetson-orin-nano');
  fs.writeFileSync(garbled.file(`${dir}/in1_input`), '4,984\n');
  await t.rejects(new Ina3221HwmonMeter(garbled.ctx, src).read(), {
    code: 'SYSFS_GARBLED',
    message: `${garbled.file(`${dir}/in1_input`)}: expected an integer, found "4,984"`,
  });

  const missing = scratchCopy(t, 'jetson-orin-nano');
  const m = new Ina3221HwmonMeter(missing.ctx, src);
  await m.read(); // channels found while the file exists ...
  fs.rmSync(missing.file(`${dir}/curr2_input`));
  await t.rejects(m.read(), { code: 'SYSFS_MISSING', message: `${missing.file(`${dir}/curr2_input`)}: no such file` }); // ... then it vanishes

  const board = findBoard(catalog, 'jetson-orin-nano');
  const survey = await surveyMeters(board, { ctx: garbled.ctx });
  const hwmon = survey.find((s) => s.name === 'ina3221-hwmon')!;
  t.equal(hwmon.available, false);
  t.match(hwmon.reason, /in1_input: expected an integer/);
  t.equal(hwmon.reading, undefined, 'no reading, rather than zero watts');
});

t.test('a rail the descriptor expects but the board lacks is reported by name', async (t) => {
  const { ctx, file } = scratchCopy(t, 'jetson-orin-nano');
  fs.writeFileSync(file('sys/bus/i2c/devices/1-0040/hwmon/hwmon1/in3_label'), 'NC\n');
  await t.rejects(new Ina3221HwmonMeter(ctx, source<Ina3221HwmonSource>('jetson-orin-nano', 'ina3221-hwmon')).read(), {
    code: 'METER_UNAVAILABLE',
    message: 'ina3221-hwmon: rail VDD_SOC not found; found VDD_IN, VDD_CPU_GPU_CV',
  });
});

t.test('no INA3221 at all', async (t) => {
  await t.rejects(new Ina3221HwmonMeter(emptyRoot(t), source<Ina3221HwmonSource>('jetson-orin-nano', 'ina3221-hwmon')).read(), {
    code: 'METER_UNAVAILABLE',
    message: /ina3221-hwmon: no INA3221 hwmon device with labelled rails under .*\/sys\/bus\/i2c\/devices\/\*\/hwmon\/hwmon\*/,
  });
  await t.rejects(new Ina3221IioMeter(emptyRoot(t), source<Ina3221IioSource>('jetson-nano', 'ina3221-iio')).read(), {
    message: /ina3221-iio: no ina3221x IIO device/,
  });
});

t.test('Jetson Nano (JetPack 4) IIO: in_power{n}_input is mW', async (t) => {
  const r = await new Ina3221IioMeter(fixtureContext('jetson-nano'), source<Ina3221IioSource>('jetson-nano', 'ina3221-iio')).read();
  t.same(railWatts(r.rails), { POM_5V_IN: 2.375, POM_5V_GPU: 0.039, POM_5V_CPU: 0.474 }); // 2375, 39, 474 mW
  t.equal(r.totalWatts, 2.375);
  t.equal(r.rails[0]!.volts, 5.056);
  t.equal(r.rails[0]!.amps, 0.472);
});

t.test('tegrastats lines: power fields only, both unit styles', async (t) => {
  const jp4 = 'RAM 2248/3956MB (lfb 116x4MB) SWAP 0/1978MB (cached 0MB) IRAM 0/252kB(lp 252kB) CPU [12%@1479,6%@1479] EMC_FREQ 5%@1600 GR3D_FREQ 0%@921 APE 25 PLL@27.5C POM_5V_IN 2375/2311 POM_5V_GPU 39/40 POM_5V_CPU 474/470';
  t.same(parseTegrastatsLine(jp4), [
    { name: 'POM_5V_IN', currentMilliwatts: 2375, averageMilliwatts: 2311 },
    { name: 'POM_5V_GPU', currentMilliwatts: 39, averageMilliwatts: 40 },
    { name: 'POM_5V_CPU', currentMilliwatts: 474, averageMilliwatts: 470 },
  ]);
  const jp5 = '08-21-2023 12:34:56 RAM 2246/7620MB (lfb 1169x4MB) SWAP 0/3810MB (cached 0MB) CPU [1%@729,off] tj@47.125C VDD_IN 5139mW/5139mW VDD_CPU_GPU_CV 482mW/479mW NC 0mW/0mW VDD_SOC 1448mW/1450mW';
  t.same(parseTegrastatsLine(jp5).map((r) => [r.name, r.currentMilliwatts, r.averageMilliwatts]), [
    ['VDD_IN', 5139, 5139],
    ['VDD_CPU_GPU_CV', 482, 479],
    ['VDD_SOC', 1448, 1450],
  ]);
  t.same(parseTegrastatsLine('RAM 2246/7620MB SWAP 0/3810MB IRAM 0/252kB'), [], 'MB and kB fields are not power');
  t.same(parseTegrastatsLine('VDD_IN 5139mW/5139'), [], 'mixed units are not a power field');
});

t.test('tegrastats meter: the fake tool on the search path, parsed into rails', async (t) => {
  const m = new TegrastatsMeter(fixtureContext('jetson-orin-nano'), source<TegrastatsSource>('jetson-orin-nano', 'tegrastats'));
  t.teardown(() => m.close());
  const r = await m.read();
  t.same(railWatts(r.rails), { VDD_IN: 4.826, VDD_CPU_GPU_CV: 0.482, VDD_SOC: 1.448 }); // mW / 1000
  t.equal(r.totalWatts, 4.826);
  t.same(railWatts((await m.read()).rails), railWatts(r.rails), 'a second read reuses the running tool');

  const nano = new TegrastatsMeter(fixtureContext('jetson-nano'), source<TegrastatsSource>('jetson-nano', 'tegrastats'));
  t.teardown(() => nano.close());
  t.equal((await nano.read()).totalWatts, 2.375);
});

t.test('tegrastats missing, silent or printing garbage: clear errors', async (t) => {
  const src = source<TegrastatsSource>('jetson-orin-nano', 'tegrastats');
  const absent = emptyRoot(t);
  await t.rejects(new TegrastatsMeter(absent, src).read(), { code: 'COMMAND_MISSING', message: `tegrastats: not found on PATH (${absent.searchPath})` });

  const { ctx, file } = scratchCopy(t, 'jetson-orin-nano');
  fs.writeFileSync(file('bin/tegrastats'), '#!/bin/sh\necho "tegrastats: must be run as root" >&2\nexit 1\n');
  await t.rejects(new TegrastatsMeter(ctx, src).read(), { code: 'METER_UNAVAILABLE', message: /exited \(status 1\) before printing a line: tegrastats: must be run as root/ });

  fs.writeFileSync(file('bin/tegrastats'), '#!/bin/sh\necho "RAM 2246/7620MB SWAP 0/3810MB"\n');
  const garbage = new TegrastatsMeter(ctx, src);
  t.teardown(() => garbage.close());
  await t.rejects(garbage.read(), { code: 'METER_GARBLED', message: /no power rails \(NAME cur\/avg\) in line "RAM 2246\/7620MB SWAP 0\/3810MB"/ });
});
