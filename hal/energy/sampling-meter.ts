// Energy for sources without a hardware energy counter: sample a PowerMeter on a timer and integrate.
// Sampling is chained setTimeout over async reads, so the event loop is never blocked and a slow
// read never overlaps the next one.
import { CleaveError } from '../../src/errors';
import { monotonicSeconds, type Clock, type EnergyMeter, type EnergyReading, type MeterKind, type PowerMeter } from '../power/types';
import { RunningIntegral } from './integrator';

export class SamplingEnergyMeter implements EnergyMeter {
  readonly name: string;
  readonly kind: MeterKind;
  private integral: RunningIntegral | undefined;
  private lastWatts = 0;
  private startedAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private baseline: Promise<void> | undefined;
  private failure: Error | undefined;
  /** Why the last start() failed, for a stop() that did not await it. */
  private startError: Error | undefined;

  constructor(
    private readonly power: PowerMeter,
    private readonly intervalMs: number,
    private readonly clock: Clock = monotonicSeconds,
  ) {
    this.name = power.name;
    this.kind = power.kind;
  }

  /** One sample, timestamped at the middle of the read (the read itself takes time). */
  private sample(): Promise<void> {
    const before = this.clock();
    const p = this.power.read().then(
      (reading) => {
        this.integral!.add({ t: (before + this.clock()) / 2, watts: reading.totalWatts });
        this.lastWatts = reading.totalWatts;
      },
      (err: Error) => {
        this.failure ??= err;
      },
    );
    this.inFlight = p;
    return p;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sample().then(() => {
        if (this.startedAt !== undefined && !this.failure) this.schedule();
      });
    }, this.intervalMs);
    // The measured work keeps the process alive, not the sampler.
    this.timer.unref();
  }

  start(): Promise<void> {
    if (this.startedAt !== undefined) {
      return Promise.reject(new CleaveError('METER_BUSY', `${this.name}: start() while a measurement is running; stop() it first`));
    }
    this.failure = undefined;
    this.startError = undefined;
    this.startedAt = this.clock();
    this.integral = new RunningIntegral(this.startedAt);
    this.baseline = this.sample().then(() => {
      if (this.startedAt !== undefined && !this.failure) this.schedule();
    });
    const started = this.baseline.then(() => {
      if (this.failure && this.startedAt !== undefined) {
        // No baseline, no measurement: leave the meter idle so it can be started again.
        this.startedAt = undefined;
        this.startError = this.failure;
        throw this.failure;
      }
    });
    // Callers may ignore this promise (stop() reports the failure); never let it go unhandled.
    started.catch(() => undefined);
    return started;
  }

  async stop(): Promise<EnergyReading> {
    const startedAt = this.startedAt;
    if (startedAt === undefined) throw this.takeStartError() ?? new CleaveError('METER_IDLE', `${this.name}: stop() without start()`);
    const end = this.clock();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.startedAt = undefined;
    this.integral!.closeAt(end);
    await this.baseline;
    await this.inFlight;
    await this.sample();
    if (this.failure) {
      throw new CleaveError('METER_FAILED', `${this.name}: a power reading failed during the measurement, so its energy is unknown: ${this.failure.message}`);
    }
    const joules = this.integral!.joulesUntil(end);
    const seconds = end - startedAt;
    return { name: this.name, kind: this.kind, joules, seconds, averageWatts: seconds > 0 ? joules / seconds : this.lastWatts };
  }

  private takeStartError(): Error | undefined {
    const err = this.startError;
    this.startError = undefined;
    return err;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.startedAt = undefined;
    await this.power.close();
  }
}
