// INA219/INA226: the kernel's ina2xx hwmon files, and raw registers over I2C through an injected bus.
import t from 'tap';
import * as fs from 'node:fs';
import { findBoard, loadBoardCatalog } from '../../hal/boards/catalog';
import type { Ina2xxHwmonSource, Ina2xxI2cSource } from '../../hal/boards/descriptor';
import { Ina2xxHwmonMeter, i2cClientName } from '../../hal/power/ina2xx-hwmon';
import { Ina2xxI2cMeter, openI2cBusWithPackage, type I2cWordBus } from '../../hal/power/ina2xx-i2c';
import { calibrate, conversionCycleMicros, decodeIna2xx, swapBytes } from '../../hal/power/ina2xx-registers';
import { fixtureContext, near, scratchCopy } from '../lib/board-fixtures';

const catalog = loadBoardCatalog();
const hwmonSource = findBoard(catalog, 'rpi4').power.sources[0] as Ina2xxHwmonSource;
const i2cSource = findBoard(catalog, 'rpi4').power.sources[1] as Ina2xxI2cSource;

t.test('hwmon: power1_input µW, in1_input mV, curr1_input mA', async (t) => {
  t.equal(i2cClientName(1, '0x40'), '1-0040');
  const r = await new Ina2xxHwmonMeter(fixtureContext('rpi4'), hwmonSource).read();
  t.same(r.rails, [{ name: 'VIN_5V', watts: 4.28, volts: 5.088, amps: 0.842 }]); // 4,280,000 µW; 5088 mV; 842 mA
  t.equal(r.totalWatts, 4.28);
});

t.test('hwmon: device absent, not an INA, or garbled', async (t) => {
  await t.rejects(new Ina2xxHwmonMeter(fixtureContext('rpi5'), hwmonSource).read(), {
    code: 'METER_UNAVAILABLE',
    message: /no hwmon device at .*rpi5\/sys\/bus\/i2c\/devices\/1-0040\/hwmon\/hwmon\* \(is the ina2xx driver bound to I2C bus 1 address 0x40\?\)/,
  });
  const { ctx, file } = scratchCopy(t, 'rpi4');
  const dir = 'sys/bus/i2c/devices/1-0040/hwmon/hwmon2';
  fs.writeFileSync(file(`${dir}/power1_input`), '\n');
  await t.rejects(new Ina2xxHwmonMeter(ctx, hwmonSource).read(), { code: 'SYSFS_GARBLED', message: `${file(`${dir}/power1_input`)}: expected an integer, found ""` });
  fs.writeFileSync(file(`${dir}/name`), 'lm75\n');
  await t.rejects(new Ina2xxHwmonMeter(ctx, hwmonSource).read(), { message: /name says "lm75", not an INA2xx/ });
});

t.test('calibration: 0.04096 / (LSB x R) for the INA219, 0.00512 / (LSB x R) for the INA226', async (t) => {
  // INA219, 0.1 Ω, 3.2768 A full scale: LSB = 3.2768 / 32768 = 100 µA; 0.04096 / (1e-4 x 0.1) = 4096
  t.same(calibrate('ina219', 0.1, 3.2768), { chip: 'ina219', shuntOhms: 0.1, currentLsbAmps: 0.0001, register: 4096 });
  // INA219, 0.1 Ω, 3.2 A: LSB = 97.65625 µA; 0.04096 / (97.65625e-6 x 0.1) = 4194.304 -> 4194 (bit 0 clear)
  t.equal(calibrate('ina219', 0.1, 3.2).register, 4194);
  // INA226, 2 mΩ, 16.384 A: LSB = 0.5 mA; 0.00512 / (5e-4 x 0.002) = 5120
  t.equal(calibrate('ina226', 0.002, 16.384).register, 5120);
  t.throws(() => calibrate('ina226', 100, 0.000001), { code: 'METER_CONFIG', message: /outside 1\.\.32767/ });
});

t.test('SMBus words arrive low byte first; the INA sends high byte first', async (t) => {
  t.equal(swapBytes(0x1227), 0x2712);
  t.equal(swapBytes(swapBytes(0xf63c)), 0xf63c);
});

t.test('INA219 register decoding, by hand', async (t) => {
  const cal = calibrate('ina219', 0.1, 3.2768); // current LSB 100 µA, power LSB 20 x 100 µA = 2 mW
  const s = decodeIna2xx('ina219 test', cal, {
    config: 0x399f, //        power-on default: 32 V, /8 gain, 12-bit, continuous shunt and bus (mode 7)
    shunt: 0x1388, //         5000 x 10 µV = 50 mV across 0.1 Ω (0.5 A)
    bus: (1250 << 3) | 0b10, // 1250 x 4 mV = 5.000 V, CNVR set, OVF clear
    power: 1250, //           1250 x 2 mW = 2.5 W
    current: 5000, //         5000 x 100 µA = 0.5 A
    calibration: 4096,
  });
  near(t, s.busVolts, 5, 'bus volts');
  near(t, s.shuntVolts, 0.05, 'shunt volts');
  near(t, s.amps, 0.5, 'amps');
  near(t, s.watts, 2.5, 'watts');
  const reverse = decodeIna2xx('ina219 test', cal, { config: 0x399f, shunt: 0xfc18, bus: 1250 << 3, power: 625, current: 0xf63c, calibration: 4096 });
  near(t, reverse.amps, -0.25, 'current register 0xF63C = -2500 x 100 µA');
  near(t, reverse.shuntVolts, -0.01, 'shunt register 0xFC18 = -1000 x 10 µV');
});

t.test('INA226 register decoding, by hand', async (t) => {
  const cal = calibrate('ina226', 0.002, 16.384); // current LSB 0.5 mA, power LSB 25 x 0.5 mA = 12.5 mW
  const s = decodeIna2xx('ina226 test', cal, {
    config: 0x4127, // power-on default: 1 average, 1.1 ms conversions, continuous (mode 7)
    shunt: 1600, //    1600 x 2.5 µV = 4 mV across 2 mΩ (2 A)
    bus: 9600, //      9600 x 1.25 mV = 12 V
    power: 1920, //    1920 x 12.5 mW = 24 W
    current: 4000, //  4000 x 0.5 mA = 2 A
    calibration: 5120,
  });
  t.same([s.busVolts, s.shuntVolts, s.amps, s.watts].map((v) => Number(v.toFixed(9))), [12, 0.004, 2, 24]);
  t.equal(conversionCycleMicros('ina226', 0x4127), 2200, '1 x (1100 + 1100) µs');
  t.equal(conversionCycleMicros('ina219', 0x399f), 1064, '532 + 532 µs at 12 bits');
});

t.test('register states that make a reading meaningless are errors', async (t) => {
  const cal = calibrate('ina219', 0.1, 3.2768);
  const ok = { config: 0x399f, shunt: 0, bus: 1250 << 3, power: 0, current: 0, calibration: 4096 };
  t.throws(() => decodeIna2xx('ina219 at i2c 1-0040', cal, { ...ok, bus: (1250 << 3) | 1 }), { message: /ina219 at i2c 1-0040: math overflow \(OVF\)/ });
  t.throws(() => decodeIna2xx('ina219 at i2c 1-0040', cal, { ...ok, calibration: 0 }), { message: /calibration register reads 0x0000, expected 0x1000/ });
  t.throws(() => decodeIna2xx('ina219 at i2c 1-0040', cal, { ...ok, config: 0x3998 }), { message: /not continuous shunt-and-bus conversion \(mode 0\)/ });
});

/**
 * An INA219 on an SMBus adapter, as i2c-bus's PromisifiedBus presents it: registers hold the chip's
 * big-endian values, readWord/writeWord move words low byte first.
 */
class FakeIna219Bus implements I2cWordBus {
  registers = new Map<number, number>([[0x00, 0x399f], [0x01, 0x1388], [0x02, (1250 << 3) | 0b10], [0x03, 0], [0x04, 0], [0x05, 0]]);
  writes: [number, number, number][] = [];
  closed = false;
  constructor(private readonly address: number) {}
  async readWord(address: number, command: number): Promise<number> {
    if (address !== this.address) throw Object.assign(new Error('Remote I/O error'), { code: 'EREMOTEIO' });
    return swapBytes(this.registers.get(command)!);
  }
  async writeWord(address: number, command: number, word: number): Promise<void> {
    this.writes.push([address, command, word]);
    const value = swapBytes(word);
    this.registers.set(command, value);
    // The chip applies a new calibration at its next conversion: current and power follow from it.
    if (command === 0x05 && value === 4194) {
      this.registers.set(0x04, 5120); // 0.5 A / 97.65625 µA
      this.registers.set(0x03, 1280); // 2.5 W / (20 x 97.65625 µA)
    }
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

t.test('raw I2C: calibration written byte-swapped, registers decoded', async (t) => {
  const bus = new FakeIna219Bus(0x40);
  const opened: number[] = [];
  const m = new Ina2xxI2cMeter(fixtureContext('rpi4'), i2cSource, async (n) => (opened.push(n), bus));
  const r = await m.read();
  t.same(opened, [1], 'bus 1 from the descriptor');
  // 0.1 Ω and 3.2 A: calibration 4194 = 0x1062, sent over SMBus as 0x6210
  t.same(bus.writes, [[0x40, 0x05, 0x6210]]);
  const rail = r.rails[0]!;
  t.equal(rail.name, 'VIN_5V');
  near(t, rail.volts, 5, 'bus 1250 x 4 mV');
  near(t, rail.amps, 0.5, 'current 5120 x 97.65625 µA');
  near(t, r.totalWatts, 2.5, 'power 1280 x 20 x 97.65625 µA');
  await m.close();
  t.ok(bus.closed);
});

t.test('raw I2C failures: wrong address, no adapter, not redirectable', async (t) => {
  const elsewhere = new Ina2xxI2cMeter(fixtureContext('rpi4'), i2cSource, async () => new FakeIna219Bus(0x41));
  await t.rejects(elsewhere.read(), { code: 'METER_UNAVAILABLE', message: 'ina219 at i2c 1-0040: reading register 0x00 failed (EREMOTEIO)' });
  const { ctx, file } = scratchCopy(t, 'rpi4');
  fs.rmSync(file('dev/i2c-1'));
  await t.rejects(new Ina2xxI2cMeter(ctx, i2cSource, async () => new FakeIna219Bus(0x40)).read(), { message: `${file('dev/i2c-1')}: no such device (I2C bus 1 not enabled?)` });
  await t.rejects(new Ina2xxI2cMeter(fixtureContext('rpi4'), i2cSource, openI2cBusWithPackage).read(), {
    message: /raw I2C opens \/dev\/i2c-1 directly and cannot be redirected under CLEAVE_SYSFS_ROOT/,
  });
});
