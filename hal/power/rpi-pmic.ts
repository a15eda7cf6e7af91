// Raspberry Pi 5 PMIC rails through `vcgencmd pmic_read_adc`. Note the PMIC sees the SoC and board
// rails, not what USB devices draw from the 5 V input, so its total is below wall power.
import { CleaveError } from '../../src/errors';
import type { RpiPmicSource } from '../boards/descriptor';
import { runCommand } from '../command';
import type { HalContext } from '../context';
import { parsePmicReadAdc } from './rpi-pmic-parse';
import { totalOf } from './rails';
import type { PowerMeter, PowerReading } from './types';

export class RpiPmicMeter implements PowerMeter {
  readonly name = 'rpi-pmic';
  readonly kind = 'measured' as const;

  constructor(
    private readonly ctx: HalContext,
    private readonly source: RpiPmicSource,
  ) {}

  async read(): Promise<PowerReading> {
    const out = await runCommand(this.ctx, 'vcgencmd', ['pmic_read_adc']);
    // vcgencmd reports its own errors on stdout, sometimes with a non-zero status; parse first.
    if (out.stdout.trim() === '') {
      throw new CleaveError('METER_UNAVAILABLE', `vcgencmd pmic_read_adc printed nothing (status ${out.exitCode})${out.stderr.trim() ? `: ${out.stderr.trim()}` : ''}`);
    }
    const adc = parsePmicReadAdc(out.stdout);
    return { meter: this.name, kind: this.kind, rails: adc.rails, totalWatts: totalOf(this.name, adc.rails, this.source.totalRails) };
  }

  async close(): Promise<void> {}
}
