// Jetson (JetPack 5/6) INA3221 through the kernel's hwmon driver:
//   /sys/bus/i2c/devices/*/hwmon/hwmon*/name          "ina3221"
//   in{n}_label  rail name (e.g. VDD_IN);  in{n}_input  bus voltage, mV;  curr{n}_input  current, mA
// Rails are found by label, never by channel number (boards wire channels differently). Channels
// labelled `NC` are not connected; channel 7 is the driver's "sum of shunt voltages", which has no
// current and is not a rail.
import { CleaveError } from '../../src/errors';
import type { Ina3221HwmonSource } from '../boards/descriptor';
import { rooted, type HalContext } from '../context';
import { boardPathExists, expandBoardPattern, listBoardDir, readBoardInteger, readBoardText } from '../sysfs';
import { buildReading } from './rails';
import type { PowerMeter, PowerReading, RailReading } from './types';

export const INA3221_HWMON_PATTERN = '/sys/bus/i2c/devices/*/hwmon/hwmon*';

interface Channel {
  label: string;
  millivoltsFile: string;
  milliampsFile: string;
}

/** The labelled, connected channels of every INA3221 hwmon device. */
export async function findIna3221Channels(ctx: HalContext): Promise<Channel[]> {
  const channels: Channel[] = [];
  for (const dir of await expandBoardPattern(ctx, INA3221_HWMON_PATTERN)) {
    if (!(await boardPathExists(ctx, `${dir}/name`))) continue;
    if ((await readBoardText(ctx, `${dir}/name`)).trim() !== 'ina3221') continue;
    for (const entry of await listBoardDir(ctx, dir)) {
      const m = /^in(\d+)_label$/.exec(entry);
      if (!m) continue;
      const label = (await readBoardText(ctx, `${dir}/${entry}`)).trim();
      const milliampsFile = `${dir}/curr${m[1]}_input`;
      if (label === 'NC' || label === 'sum of shunt voltages') continue;
      if (!(await boardPathExists(ctx, milliampsFile))) continue; // a voltage-only channel is not a rail
      channels.push({ label, millivoltsFile: `${dir}/in${m[1]}_input`, milliampsFile });
    }
  }
  return channels;
}

export class Ina3221HwmonMeter implements PowerMeter {
  readonly name = 'ina3221-hwmon';
  readonly kind = 'measured' as const;
  private channels: Channel[] | undefined;

  constructor(
    private readonly ctx: HalContext,
    private readonly source: Ina3221HwmonSource,
  ) {}

  async read(): Promise<PowerReading> {
    if (!this.channels) {
      const found = await findIna3221Channels(this.ctx);
      if (found.length === 0) {
        throw new CleaveError('METER_UNAVAILABLE', `ina3221-hwmon: no INA3221 hwmon device with labelled rails under ${rooted(this.ctx, INA3221_HWMON_PATTERN)}`);
      }
      this.channels = found;
    }
    const rails: RailReading[] = await Promise.all(
      this.channels.map(async (c) => {
        const [mv, ma] = await Promise.all([readBoardInteger(this.ctx, c.millivoltsFile), readBoardInteger(this.ctx, c.milliampsFile)]);
        // mV x mA = µW
        return { name: c.label, watts: (mv * ma) / 1e6, volts: mv / 1e3, amps: ma / 1e3 };
      }),
    );
    return buildReading(this.name, this.kind, rails, this.source.rails, this.source.totalRails);
  }

  async close(): Promise<void> {}
}
