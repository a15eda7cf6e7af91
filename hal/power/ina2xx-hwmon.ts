// INA219/INA226 (and their kin) through the kernel's ina2xx hwmon driver, bound to a known bus and
// address: /sys/bus/i2c/devices/{bus}-{addr:04x}/hwmon/hwmon*/ with
//   name  "ina219" | "ina226" | ...;  in1_input  bus voltage, mV;  curr1_input  current, mA;
//   power1_input  power, µW (computed by the chip from the same conversion)
import { CleaveError } from '../../src/errors';
import type { Ina2xxHwmonSource } from '../boards/descriptor';
import { rooted, type HalContext } from '../context';
import { boardPathExists, expandBoardPattern, readBoardInteger, readBoardText } from '../sysfs';
import type { PowerMeter, PowerReading } from './types';

const INA2XX_NAMES = new Set(['ina219', 'ina220', 'ina226', 'ina230', 'ina231', 'ina238']);

/** Linux's name for an I2C client: bus 1, address 0x40 -> `1-0040`. */
export function i2cClientName(bus: number, address: string): string {
  return `${bus}-${Number.parseInt(address, 16).toString(16).padStart(4, '0')}`;
}

export class Ina2xxHwmonMeter implements PowerMeter {
  readonly name = 'ina2xx-hwmon';
  readonly kind = 'measured' as const;
  private dir: string | undefined;

  constructor(
    private readonly ctx: HalContext,
    private readonly source: Ina2xxHwmonSource,
  ) {}

  private async hwmonDir(): Promise<string> {
    if (this.dir) return this.dir;
    const pattern = `/sys/bus/i2c/devices/${i2cClientName(this.source.bus, this.source.address)}/hwmon/hwmon*`;
    const [dir] = await expandBoardPattern(this.ctx, pattern);
    if (!dir || !(await boardPathExists(this.ctx, `${dir}/name`))) {
      throw new CleaveError('METER_UNAVAILABLE', `ina2xx-hwmon: no hwmon device at ${rooted(this.ctx, pattern)} (is the ina2xx driver bound to I2C bus ${this.source.bus} address ${this.source.address}?)`);
    }
    const chip = (await readBoardText(this.ctx, `${dir}/name`)).trim();
    if (!INA2XX_NAMES.has(chip)) {
      throw new CleaveError('METER_UNAVAILABLE', `ina2xx-hwmon: ${rooted(this.ctx, `${dir}/name`)} says "${chip}", not an INA2xx`);
    }
    this.dir = dir;
    return dir;
  }

  async read(): Promise<PowerReading> {
    const dir = await this.hwmonDir();
    const [microwatts, millivolts, milliamps] = await Promise.all([
      readBoardInteger(this.ctx, `${dir}/power1_input`),
      readBoardInteger(this.ctx, `${dir}/in1_input`),
      readBoardInteger(this.ctx, `${dir}/curr1_input`),
    ]);
    const watts = microwatts / 1e6;
    return {
      meter: this.name,
      kind: this.kind,
      rails: [{ name: this.source.rail, watts, volts: millivolts / 1e3, amps: milliamps / 1e3 }],
      totalWatts: watts,
    };
  }

  async close(): Promise<void> {}
}
