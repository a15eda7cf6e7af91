// RAPL energy counters through powercap: /sys/class/powercap/intel-rapl:N[:M]/ with
//   name                  zone name (package-0, core, uncore, dram, psys)
//   energy_uj             cumulative energy, µJ; wraps to 0 after max_energy_range_uj
//   max_energy_range_uj   the wrap point, µJ
// Since Linux 5.10 energy_uj is readable by root only (CVE-2020-8694), so on most hosts an ordinary
// user gets "permission denied": the meter then reports itself unavailable with that reason.
import { CleaveError } from '../../src/errors';
import type { RaplSource } from '../boards/descriptor';
import { rooted, type HalContext } from '../context';
import { monotonicSeconds, type Clock, type EnergyMeter, type EnergyReading, type PowerMeter, type PowerReading } from '../power/types';
import { expandBoardPattern, readBoardInteger, readBoardText } from '../sysfs';

export const RAPL_PATTERN = '/sys/class/powercap/intel-rapl:*';

/** Counters update about every millisecond; no change over this long means the counter is frozen. */
const FROZEN_COUNTER_SECONDS = 0.05;

export interface RaplZone {
  dir: string;
  name: string;
  maxRangeMicrojoules: number;
}

/** Zones whose name starts with one of the descriptor's domains (`package` matches package-0, package-1). */
export async function findRaplZones(ctx: HalContext, domains: string[]): Promise<RaplZone[]> {
  const dirs = await expandBoardPattern(ctx, RAPL_PATTERN);
  if (dirs.length === 0) {
    throw new CleaveError('METER_UNAVAILABLE', `rapl: no zones at ${rooted(ctx, RAPL_PATTERN)} (no RAPL on this CPU, a virtual machine, or the powercap driver is not loaded)`);
  }
  const zones: RaplZone[] = [];
  for (const dir of dirs) {
    const name = (await readBoardText(ctx, `${dir}/name`)).trim();
    if (!domains.some((d) => name.startsWith(d))) continue;
    zones.push({ dir, name, maxRangeMicrojoules: await readBoardInteger(ctx, `${dir}/max_energy_range_uj`) });
  }
  if (zones.length === 0) {
    throw new CleaveError('METER_UNAVAILABLE', `rapl: none of the zones at ${rooted(ctx, RAPL_PATTERN)} is a ${domains.join('/')} domain`);
  }
  return zones;
}

export async function readRaplCounter(ctx: HalContext, zone: RaplZone): Promise<number> {
  try {
    return await readBoardInteger(ctx, `${zone.dir}/energy_uj`);
  } catch (err) {
    if (err instanceof CleaveError && err.code === 'SYSFS_DENIED') {
      throw new CleaveError('METER_UNAVAILABLE', `rapl: ${rooted(ctx, `${zone.dir}/energy_uj`)}: permission denied (RAPL counters are root-only since Linux 5.10; run as root or grant read access to energy_uj)`);
    }
    throw err;
  }
}

/**
 * Energy between two counter readings, µJ. A reading below the previous one means the counter passed
 * max_energy_range_uj and restarted from 0. Callers read often enough that at most one wrap happens
 * between readings (see pollSeconds).
 */
export function counterDelta(previous: number, current: number, maxRange: number): number {
  return current >= previous ? current - previous : maxRange - previous + current;
}

/** Instant power per zone from two counter readings `windowMs` apart. */
export class RaplPowerMeter implements PowerMeter {
  readonly name = 'rapl';
  readonly kind = 'measured' as const;
  private zones: RaplZone[] | undefined;

  constructor(
    private readonly ctx: HalContext,
    private readonly source: RaplSource,
    private readonly clock: Clock = monotonicSeconds,
  ) {}

  async read(): Promise<PowerReading> {
    this.zones ??= await findRaplZones(this.ctx, this.source.domains);
    const zones = this.zones;
    const t0 = this.clock();
    const first = await Promise.all(zones.map((z) => readRaplCounter(this.ctx, z)));
    await new Promise((resolve) => setTimeout(resolve, this.source.sampleIntervalMs ?? 100));
    const second = await Promise.all(zones.map((z) => readRaplCounter(this.ctx, z)));
    const seconds = this.clock() - t0;
    if (second.every((v, i) => v === first[i])) {
      // A live package always uses energy; a frozen counter (some hypervisors expose one) is not a reading.
      throw new CleaveError('METER_UNAVAILABLE', `rapl: ${zones.map((z) => rooted(this.ctx, `${z.dir}/energy_uj`)).join(', ')} did not change in ${Math.round(seconds * 1000)} ms (counter not updated here)`);
    }
    const rails = zones.map((z, i) => ({ name: z.name, watts: counterDelta(first[i]!, second[i]!, z.maxRangeMicrojoules) / 1e6 / seconds }));
    return { meter: this.name, kind: this.kind, rails, totalWatts: rails.reduce((s, r) => s + r.watts, 0) };
  }

  async close(): Promise<void> {}
}

/** Energy from the counters themselves: exact, whatever the sampling, as long as no wrap is missed. */
export class RaplEnergyMeter implements EnergyMeter {
  readonly name = 'rapl';
  readonly kind = 'measured' as const;
  private zones: RaplZone[] | undefined;
  private last: number[] = [];
  private microjoules = 0;
  private startedAt: number | undefined;
  private poller: NodeJS.Timeout | undefined;
  private baseline: Promise<void> | undefined;
  private polling: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  /** Why the last start() failed, for a stop() that did not await it. */
  private startError: Error | undefined;

  constructor(
    private readonly ctx: HalContext,
    private readonly source: RaplSource,
    private readonly clock: Clock = monotonicSeconds,
  ) {}

  private async accumulate(): Promise<void> {
    const zones = this.zones!;
    const now = await Promise.all(zones.map((z) => readRaplCounter(this.ctx, z)));
    zones.forEach((z, i) => {
      this.microjoules += counterDelta(this.last[i]!, now[i]!, z.maxRangeMicrojoules);
    });
    this.last = now;
  }

  start(): Promise<void> {
    if (this.startedAt !== undefined) {
      return Promise.reject(new CleaveError('METER_BUSY', 'rapl: start() while a measurement is running; stop() it first'));
    }
    this.startedAt = this.clock();
    this.microjoules = 0;
    this.failure = undefined;
    this.startError = undefined;
    this.baseline = (async () => {
      this.zones ??= await findRaplZones(this.ctx, this.source.domains);
      this.last = await Promise.all(this.zones.map((z) => readRaplCounter(this.ctx, z)));
    })();
    this.baseline.then(
      () => {
        if (this.startedAt === undefined) return;
        // A package at 250 W takes over 15 minutes to wrap a 2^38 µJ counter; polling every few
        // seconds catches every wrap of a long measurement.
        this.poller = setInterval(() => {
          this.polling = this.polling.then(() => this.accumulate()).catch((err: Error) => {
            this.failure ??= err;
          });
        }, (this.source.pollSeconds ?? 5) * 1000);
        this.poller.unref();
      },
      (err: Error) => {
        // No baseline, no measurement: leave the meter idle so it can be started again.
        if (this.startedAt === undefined) return;
        this.startedAt = undefined;
        this.startError = err;
      },
    );
    return this.baseline;
  }

  async stop(): Promise<EnergyReading> {
    const startedAt = this.startedAt;
    if (startedAt === undefined) {
      const err = this.startError;
      this.startError = undefined;
      throw err ?? new CleaveError('METER_IDLE', 'rapl: stop() without start()');
    }
    const end = this.clock();
    this.startedAt = undefined;
    await this.baseline;
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    await this.polling;
    if (this.failure) throw new CleaveError('METER_FAILED', `rapl: a counter read failed during the measurement: ${this.failure.message}`);
    await this.accumulate();
    const joules = this.microjoules / 1e6;
    const seconds = end - startedAt;
    if (this.microjoules === 0 && seconds >= FROZEN_COUNTER_SECONDS) {
      throw new CleaveError('METER_FAILED', `rapl: energy_uj did not change in ${seconds.toFixed(3)} s (counter not updated here), so the energy is unknown`);
    }
    return { name: this.name, kind: this.kind, joules, seconds, averageWatts: seconds > 0 ? joules / seconds : 0 };
  }

  async close(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    this.startedAt = undefined;
  }
}
