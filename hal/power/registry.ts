// Drivers chosen by what the board descriptor says (Zephyr style): each power source names its
// driver, and this table maps the name to the code. No board names appear here.
import { CleaveError } from '../../src/errors';
import type { PowerDriverId, PowerSource } from '../boards/descriptor';
import type { HalContext } from '../context';
import { RaplEnergyMeter, RaplPowerMeter } from '../energy/rapl';
import { SamplingEnergyMeter } from '../energy/sampling-meter';
import { Ina2xxHwmonMeter } from './ina2xx-hwmon';
import { Ina2xxI2cMeter, openI2cBusWithPackage, type I2cBusOpener } from './ina2xx-i2c';
import { Ina3221HwmonMeter } from './ina3221-hwmon';
import { Ina3221IioMeter } from './ina3221-iio';
import { RpiPmicMeter } from './rpi-pmic';
import { TegrastatsMeter } from './tegrastats';
import type { Clock, EnergyMeter, PowerMeter } from './types';

/** What drivers may need besides the context: injected for tests at boundaries that cannot exist here. */
export interface DriverOptions {
  openI2cBus?: I2cBusOpener;
  clock?: Clock;
}

type SourceOf<D extends PowerDriverId> = Extract<PowerSource, { driver: D }>;

interface PowerDriver<D extends PowerDriverId> {
  power(ctx: HalContext, source: SourceOf<D>, options: DriverOptions): PowerMeter;
  /** Drivers with a hardware energy counter; others are integrated from power samples. */
  energy?(ctx: HalContext, source: SourceOf<D>, options: DriverOptions): EnergyMeter;
  /** Default sampling period when integrating, from how often the sensor updates. */
  sampleIntervalMs: number;
}

const DRIVERS: { [D in Exclude<PowerDriverId, 'external-monitor'>]: PowerDriver<D> } = {
  'ina3221-hwmon': { power: (ctx, s) => new Ina3221HwmonMeter(ctx, s), sampleIntervalMs: 50 },
  'ina3221-iio': { power: (ctx, s) => new Ina3221IioMeter(ctx, s), sampleIntervalMs: 50 },
  tegrastats: { power: (ctx, s) => new TegrastatsMeter(ctx, s), sampleIntervalMs: 100 },
  'rpi-pmic': { power: (ctx, s) => new RpiPmicMeter(ctx, s), sampleIntervalMs: 100 },
  'ina2xx-hwmon': { power: (ctx, s) => new Ina2xxHwmonMeter(ctx, s), sampleIntervalMs: 20 },
  'ina2xx-i2c': { power: (ctx, s, o) => new Ina2xxI2cMeter(ctx, s, o.openI2cBus ?? openI2cBusWithPackage), sampleIntervalMs: 20 },
  rapl: {
    power: (ctx, s, o) => new RaplPowerMeter(ctx, s, o.clock),
    energy: (ctx, s, o) => new RaplEnergyMeter(ctx, s, o.clock),
    sampleIntervalMs: 100,
  },
};

/** Why a source cannot be read from this machine at all, or undefined when it can. */
export function unreadableReason(source: PowerSource): string | undefined {
  if (source.driver === 'external-monitor') {
    return `measured by an external energy monitor integrating between the falling edges of GPIO pin "${source.pin}"; cleave cannot read it`;
  }
  return undefined;
}

function driverFor<D extends Exclude<PowerDriverId, 'external-monitor'>>(driver: D): PowerDriver<D> {
  const d = DRIVERS[driver];
  if (!d) throw new CleaveError('METER_UNKNOWN', `no power driver "${driver}"`);
  return d;
}

export function openPowerMeter(ctx: HalContext, source: PowerSource, options: DriverOptions = {}): PowerMeter {
  if (source.driver === 'external-monitor') throw new CleaveError('METER_UNAVAILABLE', unreadableReason(source)!);
  const driver = driverFor(source.driver) as PowerDriver<typeof source.driver>;
  return driver.power(ctx, source as never, options);
}

export function openEnergyMeter(ctx: HalContext, source: PowerSource, options: DriverOptions = {}): EnergyMeter {
  if (source.driver === 'external-monitor') throw new CleaveError('METER_UNAVAILABLE', unreadableReason(source)!);
  const driver = driverFor(source.driver) as PowerDriver<typeof source.driver>;
  if (driver.energy) return driver.energy(ctx, source as never, options);
  return new SamplingEnergyMeter(driver.power(ctx, source as never, options), source.sampleIntervalMs ?? driver.sampleIntervalMs, options.clock);
}
