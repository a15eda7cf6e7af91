// Energy per inference from one meter window around many runs. Starting and stopping a meter costs
// far more than a short inference (file reads, a sampling thread, a serial round trip): a window
// around each run measures mostly the meter. One window around N runs, divided by N, does not.
import type { EnergyMeter, EnergyReading } from '../hal';
import { CleaveError } from './errors';

export interface EnergyWindow {
  /** Inferences inside the window. */
  runs: number;
  /** The whole window as the meter read it (its name, and whether measured or estimated). */
  reading: EnergyReading;
  /** reading.joules / runs. */
  joulesPerInference: number;
}

/** Starts `meter`, awaits `runOnce()` `runs` times in sequence, stops the meter. */
export async function meterRuns(meter: EnergyMeter, runs: number, runOnce: () => Promise<unknown>): Promise<EnergyWindow> {
  if (!Number.isInteger(runs) || runs < 1) throw new CleaveError('BAD_ARGUMENT', `runs must be a positive integer, got ${runs}`);
  await meter.start();
  try {
    for (let i = 0; i < runs; i++) await runOnce();
  } catch (err) {
    // Leave the meter idle, and report the run's failure rather than the meter's.
    await meter.stop().catch(() => undefined);
    throw err;
  }
  const reading = await meter.stop();
  return { runs, reading, joulesPerInference: reading.joules / runs };
}
