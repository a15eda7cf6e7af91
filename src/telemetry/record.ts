// Telemetry records and summaries: the versioned JSON documents every sink carries (docs/telemetry.md).
// A record is one timed stage of one inference; a summary is a window of them. `v` is the schema
// version: readers refuse a version they do not know rather than guess at its fields.
import type { EnergyReading } from '../../hal';
import { CleaveError } from '../errors';
import type { RunDetails } from '../session';

export const TELEMETRY_SCHEMA_VERSION = 1;

export const STAGES = ['compute', 'encode', 'transfer', 'decode', 'end-to-end'] as const;
export type Stage = (typeof STAGES)[number];

export const OUTCOMES = ['ok', 'error', 'timeout'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Where a record's figures come from: the device, its board and the model it ran. */
export interface TelemetrySource {
  device: string;
  board: string;
  /** The model or plan file name as given. */
  model: string;
  /** CRC-32 of the Program (8 hex digits), so two builds of one model are told apart. */
  programHash: string;
  /** The plan's id for a split plan; null for a single model. */
  planId: string | null;
}

export interface TelemetryRecord extends TelemetrySource {
  v: typeof TELEMETRY_SCHEMA_VERSION;
  kind: 'record';
  /** Per process and source, from 0, one per record made (sampled out or not): a gap is a sampled-out or lost record. */
  seq: number;
  /** Segment index in a plan; 0 for a single model. */
  segment: number;
  stage: Stage;
  latencyUs: number;
  /** Energy of this stage in µJ; null when nothing measured or estimated it. */
  energyUj: number | null;
  /** `measured:<meter>` or `estimated`; null exactly when energyUj is null. */
  energySource: string | null;
  /** Bytes the stage produced (outputs, or a wire tensor); 0 when it produced none. */
  bytes: number;
  outcome: Outcome;
  /** CLOCK_MONOTONIC in µs when the stage ended: orders records of one boot. */
  monoUs: number;
  /** Wall clock (Unix epoch ms) when the stage ended: places records across boots and devices. */
  wallMs: number;
}

export interface TelemetrySummary extends TelemetrySource {
  v: typeof TELEMETRY_SCHEMA_VERSION;
  kind: 'summary';
  segment: number;
  stage: Stage;
  windowStartMs: number;
  windowEndMs: number;
  /** Every record of the window, sampled out or not. */
  count: number;
  /** Records of the window the sampling rate passed on to the sinks. */
  published: number;
  p50Us: number | null;
  p90Us: number | null;
  p99Us: number | null;
  /** Mean energy per inference over the window's records that carry energy, µJ. */
  meanEnergyUj: number | null;
  /** Records the spool dropped (full) since the previous summary. */
  dropped: number;
}

export type TelemetryMessage = TelemetryRecord | TelemetrySummary;

/** The JSON schema of a record (draft 2020-12), as docs/telemetry.md shows it. */
export const RECORD_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://cleave.dev/schemas/telemetry-record-v1.json',
  type: 'object',
  additionalProperties: false,
  required: ['v', 'kind', 'seq', 'device', 'board', 'model', 'programHash', 'planId', 'segment', 'stage', 'latencyUs', 'energyUj', 'energySource', 'bytes', 'outcome', 'monoUs', 'wallMs'],
  properties: {
    v: { const: TELEMETRY_SCHEMA_VERSION },
    kind: { const: 'record' },
    seq: { type: 'integer', minimum: 0 },
    device: { type: 'string', minLength: 1 },
    board: { type: 'string' },
    model: { type: 'string' },
    programHash: { type: 'string', pattern: '^([0-9a-f]{8}|)$' },
    planId: { type: ['string', 'null'] },
    segment: { type: 'integer', minimum: 0 },
    stage: { enum: [...STAGES] },
    latencyUs: { type: 'number', minimum: 0 },
    energyUj: { type: ['number', 'null'], minimum: 0 },
    energySource: { type: ['string', 'null'], pattern: '^(measured:[A-Za-z0-9_.:-]+|estimated)$' },
    bytes: { type: 'integer', minimum: 0 },
    outcome: { enum: [...OUTCOMES] },
    monoUs: { type: 'number', minimum: 0 },
    wallMs: { type: 'number', minimum: 0 },
  },
} as const;

/** CLOCK_MONOTONIC in µs (process.hrtime reads it on Linux). */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** `measured:<meter>` or `estimated`, from a HAL reading. */
export function energySourceOf(reading: Pick<EnergyReading, 'name' | 'kind'>): string {
  return reading.kind === 'measured' ? `measured:${reading.name}` : 'estimated';
}

/** What a caller knows of one stage; the rest (seq, clocks, version) the Telemetry hub fills in. */
export interface StageTiming {
  segment?: number;
  stage: Stage;
  latencyUs: number;
  energy?: { uj: number; source: string } | null;
  bytes?: number;
  outcome?: Outcome;
}

/**
 * The stages of one run: `compute` with the interpreter's time, and its energy when the runner
 * metered the run itself (a plan's stages); `energyPerRun` is a window's mean for runners that meter
 * windows (`cleave run --energy`).
 */
export function stagesOfRun(details: Pick<RunDetails, 'micros' | 'energy' | 'outputs'>, energyPerRun?: { joules: number; reading: Pick<EnergyReading, 'name' | 'kind'> }, segment = 0): StageTiming {
  let energy: StageTiming['energy'] = null;
  if (details.energy) energy = { uj: details.energy.joules * 1e6, source: energySourceOf(details.energy) };
  else if (energyPerRun) energy = { uj: energyPerRun.joules * 1e6, source: energySourceOf(energyPerRun.reading) };
  const bytes = details.outputs.reduce((n, o) => n + o.byteLength, 0);
  return { segment, stage: 'compute', latencyUs: details.micros, energy, bytes, outcome: 'ok' };
}

/** Checks a message read from a sink (a tail, a test) against schema v1; names the first bad field. */
export function parseTelemetryMessage(text: string, where: string): TelemetryMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CleaveError('TELEMETRY_INVALID', `${where}: not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null) throw new CleaveError('TELEMETRY_INVALID', `${where}: not a JSON object`);
  const m = value as Record<string, unknown>;
  if (m.v !== TELEMETRY_SCHEMA_VERSION) throw new CleaveError('TELEMETRY_INVALID', `${where}: schema version ${JSON.stringify(m.v)}, this cleave reads ${TELEMETRY_SCHEMA_VERSION}`);
  if (m.kind !== 'record' && m.kind !== 'summary') throw new CleaveError('TELEMETRY_INVALID', `${where}: field "kind" must be "record" or "summary", got ${JSON.stringify(m.kind)}`);
  const numeric = m.kind === 'record' ? ['seq', 'segment', 'latencyUs', 'bytes', 'monoUs', 'wallMs'] : ['segment', 'count', 'published', 'dropped', 'windowStartMs', 'windowEndMs'];
  for (const field of numeric) {
    if (typeof m[field] !== 'number' || !Number.isFinite(m[field])) throw new CleaveError('TELEMETRY_INVALID', `${where}: field "${field}" must be a number, got ${JSON.stringify(m[field])}`);
  }
  if (!STAGES.includes(m.stage as Stage)) throw new CleaveError('TELEMETRY_INVALID', `${where}: field "stage" must be one of ${STAGES.join(', ')}, got ${JSON.stringify(m.stage)}`);
  if (typeof m.device !== 'string' || m.device === '') throw new CleaveError('TELEMETRY_INVALID', `${where}: field "device" must be a non-empty string`);
  return m as unknown as TelemetryMessage;
}
