// What every power and energy meter promises. Numbers always travel with the meter's name and
// whether they were measured by hardware or estimated from a model.

/** `measured`: read from a sensor or counter. `estimated`: computed from the board's power model. */
export type MeterKind = 'measured' | 'estimated';

export interface RailReading {
  name: string;
  watts: number;
  volts?: number;
  amps?: number;
}

export interface PowerReading {
  meter: string;
  kind: MeterKind;
  rails: RailReading[];
  /** Sum of the rails the board descriptor names as its total (not necessarily all rails). */
  totalWatts: number;
}

/** Instant power. `read` throws a CleaveError naming the file or command when the source fails. */
export interface PowerMeter {
  readonly name: string;
  readonly kind: MeterKind;
  read(): Promise<PowerReading>;
  /** Releases child processes or buses the meter holds; files need nothing. */
  close(): Promise<void>;
}

export interface EnergyReading {
  /** The meter that measured it, e.g. `rapl` or `power-model`. */
  name: string;
  kind: MeterKind;
  joules: number;
  seconds: number;
  averageWatts: number;
}

/**
 * Energy between `start` and `stop`. `start` returns once the baseline is captured; callers that do not
 * await it may still call `stop`, which waits for it. One measurement at a time per meter.
 */
export interface EnergyMeter {
  readonly name: string;
  readonly kind: MeterKind;
  start(): Promise<void>;
  stop(): Promise<EnergyReading>;
  close(): Promise<void>;
}

export type Availability = { available: true; reading: PowerReading } | { available: false; reason: string };

/** Monotonic seconds; injectable so integration can be tested with exact times. */
export type Clock = () => number;

export const monotonicSeconds: Clock = () => Number(process.hrtime.bigint()) / 1e9;
