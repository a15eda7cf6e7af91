// The estimated meter: no sensor, only the board descriptor's power model,
//   watts = idleWatts + activeWattsPerCore x busy cores,
// with busy cores from /proc/stat over the measured interval. Its numbers are always labelled
// `estimated`; they include whatever else the machine was doing.
import { CleaveError } from '../../src/errors';
import type { PowerModel } from '../boards/descriptor';
import { rooted, type HalContext } from '../context';
import { monotonicSeconds, type Clock, type EnergyMeter, type EnergyReading, type PowerMeter, type PowerReading } from '../power/types';
import { busyCoresBetween, readCpuTimes, type CpuTimes } from './proc-stat';

export const ESTIMATED_METER = 'power-model';

export function modelWatts(model: PowerModel, busyCores: number): number {
  return model.idleWatts + model.activeWattsPerCore * busyCores;
}

/** Joules the model predicts for `seconds` with `busyCores` busy, e.g. a microcontroller running one inference. */
export function estimateJoules(model: PowerModel, seconds: number, busyCores: number): number {
  return modelWatts(model, busyCores) * seconds;
}

export class EstimatedPowerMeter implements PowerMeter {
  readonly name = ESTIMATED_METER;
  readonly kind = 'estimated' as const;
  private previous: CpuTimes | undefined;

  constructor(
    private readonly ctx: HalContext,
    private readonly model: PowerModel,
    private readonly windowMs = 100,
  ) {}

  /** Power over the time since the previous read, or over a short window for the first one. */
  async read(): Promise<PowerReading> {
    let before = this.previous;
    if (!before) {
      before = await readCpuTimes(this.ctx);
      await new Promise((resolve) => setTimeout(resolve, this.windowMs));
    }
    const after = await readCpuTimes(this.ctx);
    this.previous = after;
    const busyCores = busyCoresBetween(before, after, rooted(this.ctx, '/proc/stat'));
    const watts = modelWatts(this.model, busyCores);
    return { meter: this.name, kind: this.kind, rails: [{ name: 'model', watts }], totalWatts: watts };
  }

  async close(): Promise<void> {}
}

/** Exact integral of the model over [start, stop]: the utilization is the /proc/stat delta itself. */
export class EstimatedEnergyMeter implements EnergyMeter {
  readonly name = ESTIMATED_METER;
  readonly kind = 'estimated' as const;
  private startedAt: number | undefined;
  private baseline: Promise<CpuTimes> | undefined;
  private processCpuAtStart: NodeJS.CpuUsage | undefined;
  /** Why the last start() failed, for a stop() that did not await it. */
  private startError: Error | undefined;

  constructor(
    private readonly ctx: HalContext,
    private readonly model: PowerModel,
    private readonly clock: Clock = monotonicSeconds,
  ) {}

  start(): Promise<void> {
    if (this.startedAt !== undefined) {
      return Promise.reject(new CleaveError('METER_BUSY', `${this.name}: start() while a measurement is running; stop() it first`));
    }
    this.startedAt = this.clock();
    this.startError = undefined;
    this.processCpuAtStart = process.cpuUsage();
    const baseline = readCpuTimes(this.ctx);
    this.baseline = baseline;
    const started = baseline.then(
      () => undefined,
      (err: Error) => {
        // No baseline, no measurement: leave the meter idle so it can be started again.
        if (this.baseline === baseline && this.startedAt !== undefined) {
          this.startedAt = undefined;
          this.startError = err;
        }
        throw err;
      },
    );
    // Callers may ignore this promise (stop() reports the failure); never let it go unhandled.
    started.catch(() => undefined);
    return started;
  }

  async stop(): Promise<EnergyReading> {
    const startedAt = this.startedAt;
    if (startedAt === undefined) {
      const err = this.startError;
      this.startError = undefined;
      throw err ?? new CleaveError('METER_IDLE', `${this.name}: stop() without start()`);
    }
    const end = this.clock();
    this.startedAt = undefined;
    const before = await this.baseline!;
    const after = await readCpuTimes(this.ctx);
    const seconds = end - startedAt;
    let busyCores: number;
    if (after.total > before.total) {
      busyCores = busyCoresBetween(before, after, rooted(this.ctx, '/proc/stat'));
    } else {
      // Shorter than one clock tick (/proc/stat counts in 10 ms units): this process's own CPU time
      // (all its threads, native workers included) is the only utilization there is to go on.
      const used = process.cpuUsage(this.processCpuAtStart);
      busyCores = seconds > 0 ? (used.user + used.system) / 1e6 / seconds : 0;
    }
    const joules = estimateJoules(this.model, seconds, busyCores);
    return { name: this.name, kind: this.kind, joules, seconds, averageWatts: modelWatts(this.model, busyCores) };
  }

  async close(): Promise<void> {
    this.startedAt = undefined;
  }
}
