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

/** Starts `meter`, awaits `work()`, stops the meter: what the work returned and the window's reading. */
export async function meterAround<T>(meter: EnergyMeter, work: () => Promise<T>): Promise<{ result: T; reading: EnergyReading }> {
  await meter.start();
  let result: T;
  try {
    result = await work();
  } catch (err) {
    // Leave the meter idle, and report the work's failure rather than the meter's.
    await meter.stop().catch(() => undefined);
    throw err;
  }
  return { result, reading: await meter.stop() };
}

/** Starts `meter`, awaits `runOnce()` `runs` times in sequence, stops the meter. */
export async function meterRuns(meter: EnergyMeter, runs: number, runOnce: () => Promise<unknown>): Promise<EnergyWindow> {
  if (!Number.isInteger(runs) || runs < 1) throw new CleaveError('BAD_ARGUMENT', `runs must be a positive integer, got ${runs}`);
  const { reading } = await meterAround(meter, async () => {
    for (let i = 0; i < runs; i++) await runOnce();
  });
  return { runs, reading, joulesPerInference: reading.joules / runs };
}
