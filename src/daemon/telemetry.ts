// The telemetry of a daemon: sinks opened once from the config's `telemetry` section (targets as
// `--telemetry` takes them, and the embedded broker when asked), shared by every generation of the
// head. Each generation has its own Telemetry hub (its model and Program hash are in its records), so
// the hubs see the sinks through views whose close() does not close them: the daemon closes the
// sinks once, after the last generation, so the spool is flushed exactly then.
import { CleaveError } from '../errors';
import { startEmbeddedBroker, type EmbeddedBroker } from '../telemetry/broker';
import type { TelemetrySink } from '../telemetry/sinks/sink';
import type { TelemetrySource } from '../telemetry/record';
import { DEFAULT_FLEET, parseTelemetryTarget, type TelemetryTarget } from '../telemetry/target';
import { deviceName, openSinks, Telemetry } from '../telemetry/telemetry';
import type { TelemetryConfig } from './config';

export class DaemonSinks {
  private constructor(
    readonly sinks: TelemetrySink[],
    readonly broker: EmbeddedBroker | undefined,
    /** The settings the sinks were opened with: a reload that changes them needs a restart. */
    readonly key: string,
  ) {}

  static keyOf(config: TelemetryConfig | undefined): string {
    return JSON.stringify({ targets: config?.targets ?? [], broker: config?.broker ?? null, ca: config?.ca ?? null, spoolDir: config?.spoolDir ?? null });
  }

  static async open(config: TelemetryConfig | undefined, spoolRoot: string): Promise<DaemonSinks> {
    const targets: TelemetryTarget[] = (config?.targets ?? []).map((t, i) => {
      try {
        return parseTelemetryTarget(t);
      } catch (err) {
        throw new CleaveError('CONFIG_INVALID', `telemetry.targets[${i}]: ${(err as Error).message.replace(/^--telemetry /, '')}`);
      }
    });
    let broker: EmbeddedBroker | undefined;
    if (config?.broker) {
      broker = await startEmbeddedBroker({ host: config.broker.host, port: config.broker.port ?? 1883 });
      if (!targets.some((t) => t.kind === 'mqtt')) targets.push({ kind: 'mqtt', url: broker.url, fleet: config.broker.fleet ?? DEFAULT_FLEET });
    }
    try {
      const sinks = await openSinks(targets, { device: deviceName(), tls: config?.ca ? { caFile: config.ca } : undefined, spoolRoot });
      return new DaemonSinks(sinks, broker, DaemonSinks.keyOf(config));
    } catch (err) {
      await broker?.close();
      throw err;
    }
  }

  /** A hub for one generation over these sinks; its close() sends its last summary and leaves the sinks open. */
  telemetryFor(source: TelemetrySource, config: TelemetryConfig | undefined): Telemetry {
    const views = this.sinks.map((s): TelemetrySink => ({
      name: s.name,
      write: (m) => s.write(m),
      takeDropped: () => s.takeDropped(),
      close: async () => undefined,
    }));
    return new Telemetry(source, views, { sampleRate: config?.sample ?? 1, summaryEveryMs: (config?.summaryEverySec ?? 10) * 1000 });
  }

  /** Each sink delivers what it can (the MQTT sink drains its spool, bounded by its flush time), then the broker stops. */
  async close(): Promise<void> {
    const results = await Promise.allSettled(this.sinks.map((s) => s.close()));
    await this.broker?.close();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
