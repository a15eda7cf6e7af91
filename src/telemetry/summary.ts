// Windowed summaries of records, and the sampling that decides which records reach the sinks. Every
// record counts in its window's summary whether sampled out or not, so percentiles and counts stay
// exact at any sampling rate.
import { CleaveError } from '../errors';
import type { Stage, TelemetryRecord, TelemetrySource, TelemetrySummary } from './record';
import { TELEMETRY_SCHEMA_VERSION } from './record';

/**
 * Passes `rate` of the records, evenly and deterministically: record n passes when
 * floor((n + 1) * rate) > floor(n * rate). 1 passes all, 0.1 every tenth, 0 none.
 */
export class Sampler {
  private seen = 0;
  constructor(readonly rate: number) {
    if (!(rate >= 0 && rate <= 1)) throw new CleaveError('BAD_ARGUMENT', `telemetry sampling rate must be between 0 and 1, got ${rate}`);
  }
  take(): boolean {
    const n = this.seen++;
    return Math.floor((n + 1) * this.rate) > Math.floor(n * this.rate);
  }
}

/** Nearest-rank percentile of ascending `sorted` (non-empty). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

interface StageWindow {
  segment: number;
  stage: Stage;
  latencies: number[];
  energySum: number;
  energyCount: number;
  published: number;
}

/** Collects one window of records per (segment, stage) and closes it into summaries. */
export class SummaryWindow {
  private stages = new Map<string, StageWindow>();
  private last: StageWindow | undefined;
  private startMs: number;

  constructor(private readonly source: TelemetrySource, nowMs = Date.now()) {
    this.startMs = nowMs;
  }

  /** Counts one record; the window of the previous record's stage is found without a lookup. */
  add(record: Pick<TelemetryRecord, 'segment' | 'stage' | 'latencyUs' | 'energyUj'>, published: boolean): void {
    let w = this.last;
    if (!w || w.segment !== record.segment || w.stage !== record.stage) {
      const key = `${record.segment}/${record.stage}`;
      w = this.stages.get(key);
      if (!w) {
        w = { segment: record.segment, stage: record.stage, latencies: [], energySum: 0, energyCount: 0, published: 0 };
        this.stages.set(key, w);
      }
      this.last = w;
    }
    w.latencies.push(record.latencyUs);
    if (record.energyUj !== null) {
      w.energySum += record.energyUj;
      w.energyCount++;
    }
    if (published) w.published++;
  }

  /**
   * The window's summaries (one per segment and stage seen, or one empty `end-to-end` summary when
   * `dropped` must be reported and nothing ran), and a fresh window from `nowMs`.
   */
  close(dropped: number, nowMs = Date.now()): TelemetrySummary[] {
    const windows = [...this.stages.values()];
    if (windows.length === 0 && dropped > 0) windows.push({ segment: 0, stage: 'end-to-end', latencies: [], energySum: 0, energyCount: 0, published: 0 });
    const summaries = windows.map((w, i): TelemetrySummary => {
      const sorted = w.latencies.sort((a, b) => a - b);
      const empty = sorted.length === 0;
      return {
        v: TELEMETRY_SCHEMA_VERSION,
        kind: 'summary',
        ...this.source,
        segment: w.segment,
        stage: w.stage,
        windowStartMs: this.startMs,
        windowEndMs: nowMs,
        count: sorted.length,
        published: w.published,
        p50Us: empty ? null : percentile(sorted, 0.5),
        p90Us: empty ? null : percentile(sorted, 0.9),
        p99Us: empty ? null : percentile(sorted, 0.99),
        meanEnergyUj: w.energyCount === 0 ? null : w.energySum / w.energyCount,
        // Drops are the spool's, not a stage's: reported once, on the first summary.
        dropped: i === 0 ? dropped : 0,
      };
    });
    this.stages.clear();
    this.last = undefined;
    this.startMs = nowMs;
    return summaries;
  }
}
