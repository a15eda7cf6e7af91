import type { TelemetryMessage } from '../record';

/** Where telemetry goes. `write` never throws for a transport problem: a sink spools or reports it. */
export interface TelemetrySink {
  /** For messages: `mqtt://host:1883/fleet`, `file:/path`. */
  readonly name: string;
  write(message: TelemetryMessage): void;
  /** Undelivered records a full spool dropped since the last call (0 for sinks without a spool). */
  takeDropped(): number;
  /** Delivers what it can (bounded by the sink's own timeout) and releases the transport. */
  close(): Promise<void>;
}
