// INA219/INA226 read directly over I2C with the optional `i2c-bus` package, for boards where no kernel
// driver is bound to the chip. The bus object is the i2c-bus PromisifiedBus shape, so tests inject one.
import { CleaveError } from '../../src/errors';
import type { Ina2xxI2cSource } from '../boards/descriptor';
import { rooted, type HalContext } from '../context';
import { boardPathExists } from '../sysfs';
import { i2cClientName } from './ina2xx-hwmon';
import {
  calibrate,
  conversionCycleMicros,
  decodeIna2xx,
  REG_BUS,
  REG_CALIBRATION,
  REG_CONFIG,
  REG_CURRENT,
  REG_POWER,
  REG_SHUNT,
  swapBytes,
  type Ina2xxCalibration,
} from './ina2xx-registers';
import type { PowerMeter, PowerReading } from './types';

/** The part of i2c-bus's PromisifiedBus this driver uses (SMBus word transfers). */
export interface I2cWordBus {
  readWord(address: number, command: number): Promise<number>;
  writeWord(address: number, command: number, word: number): Promise<void>;
  close(): Promise<void>;
}

export type I2cBusOpener = (busNumber: number) => Promise<I2cWordBus>;

/** Opens `/dev/i2c-N` with the i2c-bus package, loaded only when a board asks for raw I2C. */
export const openI2cBusWithPackage: I2cBusOpener = async (busNumber) => {
  let i2c: { openPromisified(bus: number): Promise<I2cWordBus> };
  try {
    i2c = require('i2c-bus');
  } catch (err) {
    throw new CleaveError('DEPENDENCY_MISSING', `ina2xx-i2c needs the optional package i2c-bus, which is not installed or not built (${(err as Error).message.split('\n')[0]}); run \`npm install i2c-bus\``);
  }
  try {
    return await i2c.openPromisified(busNumber);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CleaveError('METER_UNAVAILABLE', `/dev/i2c-${busNumber}: cannot open (${code ?? (err as Error).message})${code === 'EACCES' ? '; add the user to the i2c group' : ''}`);
  }
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Ina2xxI2cMeter implements PowerMeter {
  readonly name = 'ina2xx-i2c';
  readonly kind = 'measured' as const;
  private bus: I2cWordBus | undefined;
  private readonly calibration: Ina2xxCalibration;
  private readonly address: number;
  private readonly where: string;

  constructor(
    private readonly ctx: HalContext,
    private readonly source: Ina2xxI2cSource,
    private readonly openBus: I2cBusOpener = openI2cBusWithPackage,
  ) {
    this.calibration = calibrate(source.chip, source.shuntOhms, source.maxCurrentAmps);
    this.address = Number.parseInt(source.address, 16);
    this.where = `${source.chip} at i2c ${i2cClientName(source.bus, source.address)}`;
  }

  private async readRegister(register: number): Promise<number> {
    try {
      return swapBytes(await this.bus!.readWord(this.address, register));
    } catch (err) {
      throw new CleaveError('METER_UNAVAILABLE', `${this.where}: reading register 0x${register.toString(16).padStart(2, '0')} failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }

  /** Opens the bus and programs the calibration register, then waits one conversion so reads use it. */
  private async open(): Promise<void> {
    const device = `/dev/i2c-${this.source.bus}`;
    if (!(await boardPathExists(this.ctx, device))) {
      throw new CleaveError('METER_UNAVAILABLE', `${rooted(this.ctx, device)}: no such device (I2C bus ${this.source.bus} not enabled?)`);
    }
    if (this.openBus === openI2cBusWithPackage && this.ctx.root !== '/') {
      // i2c-bus opens /dev/i2c-N itself; a fixture root cannot stand in for an I2C adapter.
      throw new CleaveError('METER_UNAVAILABLE', `${this.where}: raw I2C opens /dev/i2c-${this.source.bus} directly and cannot be redirected under CLEAVE_SYSFS_ROOT=${this.ctx.root}`);
    }
    this.bus = await this.openBus(this.source.bus);
    try {
      const config = await this.readRegister(REG_CONFIG);
      await this.bus.writeWord(this.address, REG_CALIBRATION, swapBytes(this.calibration.register));
      await sleep(Math.ceil((2 * conversionCycleMicros(this.source.chip, config)) / 1000));
    } catch (err) {
      await this.close();
      if (err instanceof CleaveError) throw err;
      throw new CleaveError('METER_UNAVAILABLE', `${this.where}: writing calibration failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }

  async read(): Promise<PowerReading> {
    if (!this.bus) await this.open();
    // One register at a time: an SMBus transaction is not something to interleave on one bus.
    const regs = {
      config: await this.readRegister(REG_CONFIG),
      shunt: await this.readRegister(REG_SHUNT),
      bus: await this.readRegister(REG_BUS),
      power: await this.readRegister(REG_POWER),
      current: await this.readRegister(REG_CURRENT),
      calibration: await this.readRegister(REG_CALIBRATION),
    };
    const s = decodeIna2xx(this.where, this.calibration, regs);
    return {
      meter: this.name,
      kind: this.kind,
      rails: [{ name: this.source.rail, watts: s.watts, volts: s.busVolts, amps: s.amps }],
      totalWatts: s.watts,
    };
  }

  async close(): Promise<void> {
    const bus = this.bus;
    this.bus = undefined;
    if (bus) await bus.close();
  }
}
