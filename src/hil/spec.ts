// A hardware-in-the-loop spec (docs/hil.md): the reference model, the plan deployed on the boards,
// which board serves which segment, the golden cases, the budgets and where the reports go. JSON or
// YAML, checked against a schema whose errors name the field; paths are relative to the spec file.
import Ajv from 'ajv';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readConfigFile } from '../config-file';
import { CleaveError } from '../errors';
import { fileErrorReason } from '../io/files';

export interface LatencyBudget {
  p50?: number;
  p90?: number;
  p99?: number;
}

export interface HilBoard {
  name: string;
  segment: number;
  /** Where the board serves its segment: HOST:PORT or serial:PATH[@BAUD], as `cleave run --remote`. */
  address?: string;
  /** "serve": the harness starts `cleave serve` for the segment on this host (an emulated board). */
  deploy?: 'serve';
}

export interface HilSpec {
  /** The spec file, for messages. */
  file: string;
  name: string;
  /** The whole model: the host's reference run. */
  model: string;
  plan: string;
  /** Golden case directories (manifest.json and t<index>.bin each). */
  cases: string[];
  boards: HilBoard[];
  token?: string;
  codec?: string;
  timeoutMs: number;
  budgets: { latencyMs?: LatencyBudget };
  reports: { tap?: string; junit?: string };
}

const latencyBudget = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { p50: { type: 'number', exclusiveMinimum: 0 }, p90: { type: 'number', exclusiveMinimum: 0 }, p99: { type: 'number', exclusiveMinimum: 0 } },
};

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['model', 'plan', 'boards'],
  properties: {
    name: { type: 'string', minLength: 1 },
    model: { type: 'string', minLength: 1 },
    plan: { type: 'string', minLength: 1 },
    cases: {
      oneOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
      ],
    },
    boards: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'segment'],
        properties: {
          name: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
          segment: { type: 'integer', minimum: 0 },
          address: { type: 'string', minLength: 1 },
          deploy: { enum: ['serve'] },
        },
        oneOf: [{ required: ['address'] }, { required: ['deploy'] }],
      },
    },
    token: { type: 'string', minLength: 1 },
    tokenFile: { type: 'string', minLength: 1 },
    codec: { enum: ['raw', 'lossless', 'ts', 'tabq', 'ts+tabq'] },
    timeoutMs: { type: 'integer', minimum: 1 },
    budgets: { type: 'object', additionalProperties: false, properties: { latencyMs: latencyBudget } },
    reports: {
      type: 'object',
      additionalProperties: false,
      properties: { tap: { type: 'string', minLength: 1 }, junit: { type: 'string', minLength: 1 } },
    },
  },
};

const validate = new Ajv({ allErrors: true }).compile(SCHEMA);

/** The first line of a spec's `tokenFile`. */
function readTokenFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split(/\r?\n/)[0]!;
  } catch (err) {
    throw new CleaveError('FILE_NOT_FOUND', `${file}: cannot read the HIL spec's tokenFile: ${fileErrorReason(err)}`);
  }
}

/** Golden cases: a directory holding case directories, a case directory itself, or a list of either. */
function caseDirs(file: string, entries: string[]): string[] {
  const dirs: string[] = [];
  for (const entry of entries) {
    if (fs.existsSync(path.join(entry, 'manifest.json'))) {
      dirs.push(entry);
      continue;
    }
    let names: string[];
    try {
      names = fs.readdirSync(entry).sort();
    } catch {
      throw new CleaveError('FILE_NOT_FOUND', `${file}: /cases: ${entry}: no such directory`);
    }
    const found = names.map((n) => path.join(entry, n)).filter((d) => fs.existsSync(path.join(d, 'manifest.json')));
    if (found.length === 0) throw new CleaveError('HIL_SPEC_INVALID', `${file}: /cases: ${entry}: no golden cases (directories with manifest.json)`);
    dirs.push(...found);
  }
  return dirs;
}

export function readHilSpec(file: string): HilSpec {
  const value = readConfigFile(file, { what: 'HIL spec', code: 'HIL_SPEC_INVALID', validate });
  const raw = value as Omit<HilSpec, 'file' | 'cases' | 'name' | 'timeoutMs' | 'budgets' | 'reports'> & {
    name?: string; cases?: string | string[]; tokenFile?: string; timeoutMs?: number; budgets?: HilSpec['budgets']; reports?: HilSpec['reports'];
  };
  const base = path.dirname(path.resolve(file));
  const at = (p: string) => path.resolve(base, p);
  const seen = new Map<number, string>();
  raw.boards.forEach((b, i) => {
    const other = seen.get(b.segment);
    if (other !== undefined) throw new CleaveError('HIL_SPEC_INVALID', `${file}: /boards/${i}/segment: segment ${b.segment} is already served by board "${other}"`);
    seen.set(b.segment, b.name);
  });
  if (raw.token !== undefined && raw.tokenFile !== undefined) throw new CleaveError('HIL_SPEC_INVALID', `${file}: /tokenFile: give token or tokenFile, not both`);
  const token = raw.tokenFile !== undefined ? readTokenFile(at(raw.tokenFile)) : raw.token;
  const model = at(raw.model);
  const cases = caseDirs(file, raw.cases === undefined ? [path.dirname(model)] : (Array.isArray(raw.cases) ? raw.cases : [raw.cases]).map(at));
  return {
    file,
    name: raw.name ?? path.basename(file).replace(/\.(json|ya?ml)$/i, ''),
    model,
    plan: at(raw.plan),
    cases,
    boards: raw.boards,
    ...(token !== undefined ? { token } : {}),
    ...(raw.codec !== undefined ? { codec: raw.codec } : {}),
    timeoutMs: raw.timeoutMs ?? 10_000,
    budgets: raw.budgets ?? {},
    reports: { ...(raw.reports?.tap ? { tap: at(raw.reports.tap) } : {}), ...(raw.reports?.junit ? { junit: at(raw.reports.junit) } : {}) },
  };
}
