// The config of `cleave daemon` (docs/daemon.md): JSON or YAML, checked against DAEMON_CONFIG_SCHEMA
// with ajv before anything starts. Errors name the field path (`head.source.directory.path`) and what
// was expected. Relative paths are taken from the config file's folder, so a unit started in `/`
// reads the same files as a shell started next to the config.
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { readConfigFile } from '../config-file';
import { CleaveError } from '../errors';
import { CODECS, type CodecName } from '../codec';

export type DaemonRole = 'head' | 'tail' | 'both';

export interface DirectorySourceConfig {
  /** The folder watched for input files. */
  path: string;
  /** Where an input goes once its result is written; without it, processed names are kept in the state folder's ledger. */
  done?: string;
  /** Rescan period, ms (a change notification rescans at once). */
  pollMs?: number;
}

export interface SerialSourceConfig {
  path: string;
  baud?: number;
  /** How a line carries the input's bytes. */
  encoding?: 'base64' | 'hex';
}

export interface MqttSourceConfig {
  /** mqtt[s]://[USER:PASS@]HOST:PORT */
  url: string;
  topic: string;
  ca?: string;
}

export type SourceConfig = { directory: DirectorySourceConfig } | { serial: SerialSourceConfig } | { mqtt: MqttSourceConfig };

export interface ResultsConfig {
  /** One `<input>.json` per input. */
  dir?: string;
  /** Published as JSON, QoS 1. */
  mqtt?: { url: string; topic: string; ca?: string };
}

export interface HeadConfig {
  /** A .tflite model, a .cprog Program or a split plan's plan.json. */
  model: string;
  /** For a plan: segment index -> "HOST:PORT" or "serial:PATH[@BAUD]" of a `cleave serve` (or tail daemon). */
  remotes?: Record<string, string>;
  codec?: CodecName;
  token?: string;
  fallback?: 'none' | 'local';
  window?: number;
  threads?: number;
  /** Inputs worked on at once (default 1). */
  maxInFlight?: number;
  source: SourceConfig;
  results: ResultsConfig;
}

export interface TailConfig {
  plan: string;
  segment: number;
  /** HOST:PORT (TCP) or serial:PATH[@BAUD]. */
  listen: string;
  token?: string;
  maxInFlight?: number;
  threads?: number;
}

export interface TelemetryConfig {
  /** As `--telemetry`: mqtt[s]://HOST:PORT[/fleet], serial:PATH[@BAUD], file:PATH. */
  targets?: string[];
  /** Start the embedded MQTT broker (aedes) in the daemon; with no mqtt target, telemetry goes there. */
  broker?: { host?: string; port?: number; fleet?: string };
  sample?: number;
  summaryEverySec?: number;
  /** CA of an mqtts:// broker. */
  ca?: string;
  /** Spool root (default $CLEAVE_SPOOL_DIR, else $XDG_STATE_HOME/cleave/spool). */
  spoolDir?: string;
}

export interface DaemonConfig {
  /** The config file, absolute. */
  file: string;
  role: DaemonRole;
  /** Ledger of processed inputs; default $STATE_DIRECTORY (systemd's StateDirectory=), else $XDG_STATE_HOME/cleave/daemon. */
  stateDir: string;
  /** Whether the file named stateDir (else a unit's StateDirectory= provides it). */
  stateDirGiven: boolean;
  /** Spool root of mqtt targets: telemetry.spoolDir, else $CLEAVE_SPOOL_DIR, else <stateDir>/spool. */
  spoolRoot: string;
  head?: HeadConfig;
  tail?: TailConfig;
  telemetry?: TelemetryConfig;
}

const path_ = { type: 'string', minLength: 1 } as const;
const positive = { type: 'integer', minimum: 1 } as const;
const mqttUrl = { type: 'string', pattern: '^mqtts?://' } as const;

/** The JSON schema (draft 7, as ajv's default) of a daemon config, as docs/daemon.md shows it. */
export const DAEMON_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['role'],
  properties: {
    role: { enum: ['head', 'tail', 'both'] },
    stateDir: path_,
    head: {
      type: 'object',
      additionalProperties: false,
      required: ['model', 'source', 'results'],
      properties: {
        model: path_,
        remotes: { type: 'object', propertyNames: { pattern: '^[0-9]+$' }, additionalProperties: { type: 'string', minLength: 1 } },
        codec: { enum: CODECS.map((c) => c.name) },
        token: { type: 'string' },
        fallback: { enum: ['none', 'local'] },
        window: { type: 'integer', minimum: 1, maximum: 1024 },
        threads: positive,
        maxInFlight: { type: 'integer', minimum: 1, maximum: 64 },
        source: {
          type: 'object',
          minProperties: 1,
          maxProperties: 1,
          additionalProperties: false,
          properties: {
            directory: {
              type: 'object',
              additionalProperties: false,
              required: ['path'],
              properties: { path: path_, done: path_, pollMs: { type: 'integer', minimum: 50 } },
            },
            serial: {
              type: 'object',
              additionalProperties: false,
              required: ['path'],
              properties: { path: path_, baud: positive, encoding: { enum: ['base64', 'hex'] } },
            },
            mqtt: {
              type: 'object',
              additionalProperties: false,
              required: ['url', 'topic'],
              properties: { url: mqttUrl, topic: { type: 'string', minLength: 1 }, ca: path_ },
            },
          },
        },
        results: {
          type: 'object',
          minProperties: 1,
          additionalProperties: false,
          properties: {
            dir: path_,
            mqtt: {
              type: 'object',
              additionalProperties: false,
              required: ['url', 'topic'],
              properties: { url: mqttUrl, topic: { type: 'string', minLength: 1, pattern: '^[^#+]+$' }, ca: path_ },
            },
          },
        },
      },
    },
    tail: {
      type: 'object',
      additionalProperties: false,
      required: ['plan', 'segment', 'listen'],
      properties: {
        plan: path_,
        segment: { type: 'integer', minimum: 0 },
        listen: { type: 'string', minLength: 1 },
        token: { type: 'string' },
        maxInFlight: positive,
        threads: positive,
      },
    },
    telemetry: {
      type: 'object',
      additionalProperties: false,
      properties: {
        targets: { type: 'array', items: { type: 'string', minLength: 1 } },
        broker: {
          type: 'object',
          additionalProperties: false,
          properties: { host: { type: 'string', minLength: 1 }, port: { type: 'integer', minimum: 0, maximum: 65535 }, fleet: { type: 'string', minLength: 1 } },
        },
        sample: { type: 'number', minimum: 0, maximum: 1 },
        summaryEverySec: { type: 'number', minimum: 0 },
        ca: path_,
        spoolDir: path_,
      },
    },
  },
  allOf: [
    { if: { required: ['role'], properties: { role: { enum: ['head', 'both'] } } }, then: { required: ['head'] } },
    { if: { required: ['role'], properties: { role: { enum: ['tail', 'both'] } } }, then: { required: ['tail'] } },
  ],
} as const;

let compiled: ValidateFunction | undefined;

/** Compiled on first use, so commands that never read a daemon config do not pay for it. */
function validator(): ValidateFunction {
  // strictRequired off: the role-dependent `required` (allOf above) names properties defined at the top.
  compiled ??= new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(DAEMON_CONFIG_SCHEMA);
  return compiled;
}

/** `/head/source/directory` -> `head.source.directory`; array items as `targets[0]`. */
function fieldPath(pointer: string): string {
  return pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** One line per schema error: the field, what was expected, and what was there. */
function explain(e: ErrorObject, root: unknown): string | null {
  const at = fieldPath(e.instancePath);
  const value = e.instancePath.split('/').slice(1).reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], root);
  const field = (name: string) => (at ? `${at}.${name}` : name);
  switch (e.keyword) {
    case 'if': return null; // its "then" error says it better
    case 'required': return `${field(e.params.missingProperty as string)}: missing (required${e.schemaPath.includes('/then/') ? ` when role is "${(root as { role?: string }).role}"` : ''})`;
    case 'additionalProperties': return `${field(e.params.additionalProperty as string)}: unknown field${at ? ` in ${at}` : ''}`;
    case 'enum': return `${at}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${describe(value)}`;
    case 'type': return `${at}: must be ${e.params.type as string}, got ${describe(value)}`;
    case 'minProperties':
    case 'maxProperties':
      return at.endsWith('source') ? `${at}: must have exactly one of directory, serial, mqtt` : `${at}: must have at least one of its fields`;
    case 'propertyNames': return null; // reported with the name by the "pattern" error that follows
    case 'pattern': return `${at || 'field name'}: ${JSON.stringify(e.propertyName ?? value)} must match ${e.params.pattern as string}`;
    default: return `${at}: ${e.message ?? e.keyword}, got ${describe(value)}`;
  }
}

/** The schema errors of `value` in one line: `FILE: field: problem; field: problem`. */
function describeErrors(file: string, errors: ErrorObject[], value: unknown): string {
  const lines = [...new Set(errors.map((e) => explain(e, value)).filter((l): l is string => l !== null))];
  return `${file}: ${lines.join('; ')}`;
}

/** The state folder when the config names none: systemd's StateDirectory=, else the XDG state home. */
function defaultStateDir(): string {
  const fromSystemd = process.env.STATE_DIRECTORY?.split(':')[0];
  if (fromSystemd) return fromSystemd;
  return path.join(process.env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'cleave', 'daemon');
}

/** Checks a parsed config; `file` is where it came from (for messages and relative paths). */
export function checkDaemonConfig(value: unknown, file: string): DaemonConfig {
  const validate = validator();
  if (!validate(value)) throw new CleaveError('CONFIG_INVALID', describeErrors(file, validate.errors ?? [], value));
  const raw = value as Omit<DaemonConfig, 'file' | 'stateDir'> & { stateDir?: string };
  const base = path.dirname(path.resolve(file));
  const abs = (p: string) => path.resolve(base, p);
  const opt = (p: string | undefined) => (p === undefined ? undefined : abs(p));
  const stateDir = raw.stateDir ? abs(raw.stateDir) : defaultStateDir();
  const spoolRoot = raw.telemetry?.spoolDir ? abs(raw.telemetry.spoolDir) : process.env.CLEAVE_SPOOL_DIR ?? path.join(stateDir, 'spool');
  const config: DaemonConfig = { file: path.resolve(file), role: raw.role, stateDir, stateDirGiven: raw.stateDir !== undefined, spoolRoot };
  if (raw.head && raw.role !== 'tail') {
    const h = raw.head;
    const source: SourceConfig = 'directory' in h.source
      ? { directory: { ...h.source.directory, path: abs(h.source.directory.path), done: opt(h.source.directory.done) } }
      : 'mqtt' in h.source ? { mqtt: { ...h.source.mqtt, ca: opt(h.source.mqtt.ca) } } : h.source;
    config.head = {
      ...h,
      model: abs(h.model),
      source,
      results: { ...h.results, dir: opt(h.results.dir), ...(h.results.mqtt ? { mqtt: { ...h.results.mqtt, ca: opt(h.results.mqtt.ca) } } : {}) },
    };
  }
  if (raw.tail && raw.role !== 'head') config.tail = { ...raw.tail, plan: abs(raw.tail.plan) };
  if (raw.telemetry) {
    const t = raw.telemetry;
    config.telemetry = {
      ...t,
      targets: t.targets?.map((target) => (target.startsWith('file:') ? `file:${abs(target.slice('file:'.length))}` : target)),
      ca: opt(t.ca),
      spoolDir: opt(t.spoolDir),
    };
  }
  return config;
}

/** Reads and checks a config file: `.json` as JSON, anything else as YAML (of which JSON is a subset). */
export async function loadDaemonConfig(file: string): Promise<DaemonConfig> {
  const value = readConfigFile(file, { what: 'daemon config', code: 'CONFIG_INVALID', validate: validator(), describe: describeErrors });
  return checkDaemonConfig(value, file);
}

/**
 * Folders the daemon writes to, for a unit's ReadWritePaths=: results, the watched and done folders,
 * file targets' folders, and the state folder and spool where the config names them (otherwise they
 * live in the unit's StateDirectory=, writable already).
 */
export function writablePaths(config: DaemonConfig): string[] {
  const paths: string[] = [];
  if (config.stateDirGiven) paths.push(config.stateDir);
  if (config.telemetry?.spoolDir) paths.push(config.spoolRoot);
  const h = config.head;
  if (h?.results.dir) paths.push(h.results.dir);
  if (h && 'directory' in h.source) paths.push(h.source.directory.done ?? h.source.directory.path, h.source.directory.path);
  for (const t of config.telemetry?.targets ?? []) if (t.startsWith('file:')) paths.push(path.dirname(t.slice('file:'.length)));
  return [...new Set(paths)];
}
