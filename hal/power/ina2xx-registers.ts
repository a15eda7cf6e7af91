// INA219 / INA226 register arithmetic (TI datasheets SBOS448, SBOS547). Pure functions: the bus
// driver reads registers 0x00-0x05, these turn them into volts, amps and watts.
//
//   reg   INA219                                  INA226
//   0x00  config (MODE bits 2-0)                  config (AVG 11-9, VBUSCT 8-6, VSHCT 5-3, MODE 2-0)
//   0x01  shunt voltage, signed, 10 µV/LSB        shunt voltage, signed, 2.5 µV/LSB
//   0x02  bus voltage bits 15-3, 4 mV/LSB;        bus voltage bits 14-0, 1.25 mV/LSB
//         bit 1 CNVR, bit 0 OVF (math overflow)
//   0x03  power, 20 x current LSB                 power, 25 x current LSB
//   0x04  current, signed, current LSB            current, signed, current LSB
//   0x05  calibration = 0.04096 / (LSB x Rshunt)  calibration = 0.00512 / (LSB x Rshunt)
import { CleaveError } from '../../src/errors';
import type { Ina2xxChip } from '../boards/descriptor';

export const REG_CONFIG = 0x00;
export const REG_SHUNT = 0x01;
export const REG_BUS = 0x02;
export const REG_POWER = 0x03;
export const REG_CURRENT = 0x04;
export const REG_CALIBRATION = 0x05;

interface ChipConstants {
  calibrationScale: number;
  shuntVoltsPerLsb: number;
  powerLsbPerCurrentLsb: number;
  calibrationMask: number;
}

const CHIPS: Record<Ina2xxChip, ChipConstants> = {
  ina219: { calibrationScale: 0.04096, shuntVoltsPerLsb: 10e-6, powerLsbPerCurrentLsb: 20, calibrationMask: 0xfffe },
  ina226: { calibrationScale: 0.00512, shuntVoltsPerLsb: 2.5e-6, powerLsbPerCurrentLsb: 25, calibrationMask: 0x7fff },
};

/**
 * SMBus "read word" returns the first byte on the wire as the low byte; the INA parts send the most
 * significant byte first. Every word read or written through SMBus must be swapped.
 */
export function swapBytes(word: number): number {
  return ((word & 0xff) << 8) | ((word >> 8) & 0xff);
}

function signed16(word: number): number {
  return word & 0x8000 ? word - 0x10000 : word;
}

export interface Ina2xxCalibration {
  chip: Ina2xxChip;
  shuntOhms: number;
  /** Amps per LSB of the current register: the largest expected current / 2^15. */
  currentLsbAmps: number;
  /** The value written to register 0x05. */
  register: number;
}

export function calibrate(chip: Ina2xxChip, shuntOhms: number, maxCurrentAmps: number): Ina2xxCalibration {
  const c = CHIPS[chip];
  const currentLsbAmps = maxCurrentAmps / 32768;
  // The small epsilon keeps binary floating point from landing a hair below an exact integer.
  const exact = c.calibrationScale / (currentLsbAmps * shuntOhms);
  const register = Math.floor(exact + 1e-6) & c.calibrationMask;
  if (register < 1 || Math.floor(exact + 1e-6) > c.calibrationMask) {
    throw new CleaveError('METER_CONFIG', `${chip}: shunt ${shuntOhms} Ω with ${maxCurrentAmps} A full scale needs calibration ${exact.toFixed(1)}, outside 1..${c.calibrationMask}`);
  }
  return { chip, shuntOhms, currentLsbAmps, register };
}

export interface Ina2xxRegisters {
  config: number;
  shunt: number;
  bus: number;
  power: number;
  current: number;
  calibration: number;
}

export interface Ina2xxSample {
  busVolts: number;
  shuntVolts: number;
  amps: number;
  watts: number;
}

/** Mode bits 2-0: both parts convert shunt and bus continuously in mode 7 (their power-on default). */
export function isContinuousShuntAndBus(config: number): boolean {
  return (config & 0x7) === 0x7;
}

const INA219_ADC_MICROS = [84, 148, 276, 532, 84, 148, 276, 532, 532, 1060, 2130, 4260, 8510, 17020, 34050, 68100];
const INA226_CONVERSION_MICROS = [140, 204, 332, 588, 1100, 2116, 4156, 8244];
const INA226_AVERAGES = [1, 4, 16, 64, 128, 256, 512, 1024];

/** One full shunt + bus conversion cycle for this configuration, µs: how long new calibration takes to show. */
export function conversionCycleMicros(chip: Ina2xxChip, config: number): number {
  if (chip === 'ina219') {
    return INA219_ADC_MICROS[(config >> 7) & 0xf]! + INA219_ADC_MICROS[(config >> 3) & 0xf]!;
  }
  const average = INA226_AVERAGES[(config >> 9) & 0x7]!;
  return average * (INA226_CONVERSION_MICROS[(config >> 6) & 0x7]! + INA226_CONVERSION_MICROS[(config >> 3) & 0x7]!);
}

/** Registers as the chip holds them (already byte-swapped) into physical units; `where` names the device in errors. */
export function decodeIna2xx(where: string, cal: Ina2xxCalibration, regs: Ina2xxRegisters): Ina2xxSample {
  const c = CHIPS[cal.chip];
  if (!isContinuousShuntAndBus(regs.config)) {
    throw new CleaveError('METER_UNAVAILABLE', `${where}: configuration 0x${hex4(regs.config)} is not continuous shunt-and-bus conversion (mode ${regs.config & 7}); power-on default is mode 7`);
  }
  if ((regs.calibration & c.calibrationMask) !== cal.register) {
    throw new CleaveError('METER_UNAVAILABLE', `${where}: calibration register reads 0x${hex4(regs.calibration)}, expected 0x${hex4(cal.register)} (chip reset or reprogrammed by someone else)`);
  }
  let busVolts: number;
  if (cal.chip === 'ina219') {
    if (regs.bus & 0x1) {
      throw new CleaveError('METER_UNAVAILABLE', `${where}: math overflow (OVF) - current or power exceeds the calibrated range; raise maxCurrentAmps`);
    }
    busVolts = (regs.bus >> 3) * 0.004;
  } else {
    busVolts = (regs.bus & 0x7fff) * 0.00125;
  }
  return {
    busVolts,
    shuntVolts: signed16(regs.shunt) * c.shuntVoltsPerLsb,
    amps: signed16(regs.current) * cal.currentLsbAmps,
    watts: regs.power * c.powerLsbPerCurrentLsb * cal.currentLsbAmps,
  };
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
