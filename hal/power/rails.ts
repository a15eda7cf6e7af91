// Turning a driver's rails into a reading: the board descriptor says which rails make the total
// (a Jetson's VDD_IN already contains VDD_SOC; summing both would count it twice).
import { CleaveError } from '../../src/errors';
import type { TotalRails } from '../boards/descriptor';
import type { MeterKind, PowerReading, RailReading } from './types';

export function totalOf(meter: string, rails: RailReading[], totalRails: TotalRails): number {
  if (totalRails === 'all') return rails.reduce((sum, r) => sum + r.watts, 0);
  let total = 0;
  for (const name of totalRails) {
    const rail = rails.find((r) => r.name === name);
    if (!rail) {
      throw new CleaveError('METER_UNAVAILABLE', `${meter}: rail ${name} (named in the board's totalRails) not found; found ${rails.map((r) => r.name).join(', ') || 'none'}`);
    }
    total += rail.watts;
  }
  return total;
}

/** Checks that every rail the descriptor expects was found, then builds the reading. */
export function buildReading(meter: string, kind: MeterKind, rails: RailReading[], expected: string[], totalRails: TotalRails): PowerReading {
  const missing = expected.filter((name) => !rails.some((r) => r.name === name));
  if (missing.length > 0) {
    throw new CleaveError('METER_UNAVAILABLE', `${meter}: rail${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found; found ${rails.map((r) => r.name).join(', ') || 'none'}`);
  }
  return { meter, kind, rails, totalWatts: totalOf(meter, rails, totalRails) };
}
