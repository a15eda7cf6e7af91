// `vcgencmd pmic_read_adc` output (Raspberry Pi 5's PMIC ADC). Currents and voltages come on separate
// lines and are paired by rail name:
//      VDD_CORE_A current(7)=0.92871990A
//      VDD_CORE_V volt(15)=0.72097620V
// Rails with only a voltage (EXT5V_V, BATT_V) are inputs, not power rails. Firmware without the
// command (every Pi before the 5) answers `error=1 error_msg="Command not registered"`.
import { CleaveError } from '../../src/errors';
import type { RailReading } from './types';

const ADC_LINE = /^\s*(\S+)_([AV])\s+(current|volt)\((\d+)\)=(-?\d+(?:\.\d+)?)([AV])\s*$/;

export interface PmicAdc {
  rails: RailReading[];
  /** Voltage-only channels such as EXT5V (the 5 V input), in volts. */
  inputs: Record<string, number>;
}

export function parsePmicReadAdc(output: string): PmicAdc {
  const error = /error=(\d+)\s+error_msg="([^"]*)"/.exec(output);
  if (error) {
    throw new CleaveError('METER_UNSUPPORTED', `vcgencmd pmic_read_adc: this board has no PMIC ADC (firmware answered error=${error[1]} "${error[2]}"; only the Raspberry Pi 5 family has one)`);
  }
  const amps = new Map<string, number>();
  const volts = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const m = ADC_LINE.exec(line);
    // The unit suffix must agree with the kind of reading; anything else is not this format.
    if (!m || (m[2] === 'A') !== (m[3] === 'current') || m[2] !== m[6]) {
      throw new CleaveError('METER_GARBLED', `vcgencmd pmic_read_adc: unexpected line ${JSON.stringify(line.trim().slice(0, 120))}`);
    }
    (m[2] === 'A' ? amps : volts).set(m[1]!, Number(m[5]));
  }
  const rails: RailReading[] = [];
  for (const [name, a] of amps) {
    const v = volts.get(name);
    if (v === undefined) continue; // a current without its voltage cannot give watts
    rails.push({ name, watts: a * v, volts: v, amps: a });
  }
  if (rails.length === 0) {
    throw new CleaveError('METER_GARBLED', `vcgencmd pmic_read_adc: no rail has both a current (_A) and a voltage (_V) line`);
  }
  const inputs: Record<string, number> = {};
  for (const [name, v] of volts) if (!amps.has(name)) inputs[name] = v;
  return { rails, inputs };
}
