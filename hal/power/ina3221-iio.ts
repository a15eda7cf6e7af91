// Jetson (JetPack 4, e.g. Jetson Nano) INA3221 through NVIDIA's ina3221x IIO driver:
//   /sys/bus/i2c/devices/*/iio:device*/rail_name_{n}       rail name (e.g. POM_5V_IN)
//   in_power{n}_input  power, mW;  in_voltage{n}_input  mV;  in_current{n}_input  mA
import { CleaveError } from '../../src/errors';
import type { Ina3221IioSource } from '../boards/descriptor';
import { rooted, type HalContext } from '../context';
import { boardPathExists, expandBoardPattern, listBoardDir, readBoardInteger, readBoardText } from '../sysfs';
import { buildReading } from './rails';
import type { PowerMeter, PowerReading, RailReading } from './types';

export const INA3221_IIO_PATTERN = '/sys/bus/i2c/devices/*/iio:device*';

interface Channel {
  label: string;
  dir: string;
  index: string;
}

export async function findIna3221IioChannels(ctx: HalContext): Promise<Channel[]> {
  const channels: Channel[] = [];
  for (const dir of await expandBoardPattern(ctx, INA3221_IIO_PATTERN)) {
    for (const entry of await listBoardDir(ctx, dir)) {
      const m = /^rail_name_(\d+)$/.exec(entry);
      if (!m) continue;
      const label = (await readBoardText(ctx, `${dir}/${entry}`)).trim();
      if (label === 'NC' || label === '') continue;
      channels.push({ label, dir, index: m[1]! });
    }
  }
  return channels;
}

export class Ina3221IioMeter implements PowerMeter {
  readonly name = 'ina3221-iio';
  readonly kind = 'measured' as const;
  private channels: Channel[] | undefined;

  constructor(
    private readonly ctx: HalContext,
    private readonly source: Ina3221IioSource,
  ) {}

  async read(): Promise<PowerReading> {
    if (!this.channels) {
      const found = await findIna3221IioChannels(this.ctx);
      if (found.length === 0) {
        throw new CleaveError('METER_UNAVAILABLE', `ina3221-iio: no ina3221x IIO device with rail_name_N files under ${rooted(this.ctx, INA3221_IIO_PATTERN)}`);
      }
      this.channels = found;
    }
    const rails: RailReading[] = await Promise.all(
      this.channels.map(async (c) => {
        const milliwatts = await readBoardInteger(this.ctx, `${c.dir}/in_power${c.index}_input`);
        const rail: RailReading = { name: c.label, watts: milliwatts / 1e3 };
        // Voltage and current are informative; power is what the driver computes from the same sample.
        const voltageFile = `${c.dir}/in_voltage${c.index}_input`;
        const currentFile = `${c.dir}/in_current${c.index}_input`;
        if ((await boardPathExists(this.ctx, voltageFile)) && (await boardPathExists(this.ctx, currentFile))) {
          rail.volts = (await readBoardInteger(this.ctx, voltageFile)) / 1e3;
          rail.amps = (await readBoardInteger(this.ctx, currentFile)) / 1e3;
        }
        return rail;
      }),
    );
    return buildReading(this.name, this.kind, rails, this.source.rails, this.source.totalRails);
  }

  async close(): Promise<void> {}
}
