// The telemetry hub of a process: turns stage timings into records, samples them to the sinks, and
// closes a summary window every `summaryEveryMs` (and at close).
import * as os from 'node:os';
import * as path from 'node:path';
import { monotonicMicros, TELEMETRY_SCHEMA_VERSION, type StageTiming, type TelemetryMessage, type TelemetryRecord, type TelemetrySource } from './record';
import { Sampler, SummaryWindow } from './summary';
import { FileSink, SerialSink } from './sinks/line-sinks';
import { MqttSink, type MqttTls } from './sinks/mqtt-sink';
import type { TelemetrySink } from './sinks/sink';
import type { TelemetryTarget } from './target';

/**
 * The fraction of records sent to the sinks unless told otherwise. Summaries count every record, so
 * their counts and percentiles stay exact; one record in ten keeps what telemetry costs a small model's
 * inference (person_detect: about 0.7 ms of CPU) under 2% (bench/telemetry.ts, docs/telemetry.md).
 */
export const DEFAULT_SAMPLE_RATE = 0.01;

export interface TelemetryOptions {
  /** Fraction of records sent to the sinks (summaries count them all); default DEFAULT_SAMPLE_RATE. */
  sampleRate?: number;
  /** Summary window length; default 10 s. 0: summaries only at close. */
  summaryEveryMs?: number;
}

export class Telemetry {
  private seq = 0;
  private readonly sampler: Sampler;
  private readonly window: SummaryWindow;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(readonly source: TelemetrySource, readonly sinks: TelemetrySink[], options: TelemetryOptions = {}) {
    this.sampler = new Sampler(options.sampleRate ?? DEFAULT_SAMPLE_RATE);
    this.window = new SummaryWindow(source);
    const every = options.summaryEveryMs ?? 10_000;
    if (every > 0) {
      this.timer = setInterval(() => this.summarize(), every);
      this.timer.unref();
    }
  }

  /**
   * Records one stage: counted in the window, and sent to the sinks if sampled. Returns the record
   * sent, or null when sampled out: most records are, so they cost a window update and no more.
   */
  record(timing: StageTiming): TelemetryRecord | null {
    const segment = timing.segment ?? 0;
    const energy = timing.energy ?? null;
    const seq = this.seq++;
    const published = this.sampler.take();
    this.window.add({ segment, stage: timing.stage, latencyUs: timing.latencyUs, energyUj: energy?.uj ?? null }, published);
    if (!published) return null;
    const record: TelemetryRecord = {
      v: TELEMETRY_SCHEMA_VERSION,
      kind: 'record',
      seq,
      ...this.source,
      segment,
      stage: timing.stage,
      latencyUs: timing.latencyUs,
      energyUj: energy?.uj ?? null,
      energySource: energy?.source ?? null,
      bytes: timing.bytes ?? 0,
      outcome: timing.outcome ?? 'ok',
      monoUs: monotonicMicros(),
      wallMs: Date.now(),
    };
    this.broadcast(record);
    return record;
  }

  /** Closes the current window: its summaries (with the spools' drop counts) go to every sink. */
  summarize(): void {
    let dropped = 0;
    for (const sink of this.sinks) dropped += sink.takeDropped();
    for (const summary of this.window.close(dropped)) this.broadcast(summary);
  }

  /** The last summary, then every sink closed (each delivers what it can first). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.summarize();
    const results = await Promise.allSettled(this.sinks.map((s) => s.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private broadcast(message: TelemetryMessage): void {
    for (const sink of this.sinks) sink.write(message);
  }
}

/** This device's name in topics and records: $CLEAVE_DEVICE, else the host name. */
export function deviceName(): string {
  return process.env.CLEAVE_DEVICE || os.hostname();
}

/** Where spools live unless told: $CLEAVE_SPOOL_DIR, else $XDG_STATE_HOME/cleave/spool (~/.local/state/...). */
export function defaultSpoolRoot(): string {
  return process.env.CLEAVE_SPOOL_DIR
    ?? path.join(process.env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'cleave', 'spool');
}

/** One spool folder per broker and fleet, under `root`. */
export function spoolDirFor(url: string, fleet: string, root = defaultSpoolRoot()): string {
  return path.join(root, `${url.replace(/^\w+:\/\//, '').replace(/[^A-Za-z0-9.-]/g, '_')}_${fleet}`);
}

export interface SinkContext {
  device: string;
  tls?: MqttTls;
  /** Spool root for mqtt targets (default: defaultSpoolRoot()). */
  spoolRoot?: string;
}

/** Opens the sinks of `--telemetry` values; closes those already open if one fails. */
export async function openSinks(targets: TelemetryTarget[], ctx: SinkContext): Promise<TelemetrySink[]> {
  const sinks: TelemetrySink[] = [];
  try {
    for (const t of targets) {
      if (t.kind === 'file') sinks.push(new FileSink(t.path));
      else if (t.kind === 'serial') sinks.push(await SerialSink.open(t.path, t.baud));
      else sinks.push(await MqttSink.open({ url: t.url, fleet: t.fleet, device: ctx.device, username: t.username, password: t.password, tls: ctx.tls, spoolDir: spoolDirFor(t.url, t.fleet, ctx.spoolRoot) }));
    }
  } catch (err) {
    await Promise.allSettled(sinks.map((s) => s.close()));
    throw err;
  }
  return sinks;
}
