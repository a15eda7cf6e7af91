// The config files people write (HIL specs, lab configs, daemon configs): `.json` as JSON, anything
// else as YAML (of which JSON is a subset), checked against a JSON schema before anything uses them.
// One line per problem, naming the file: `FILE: cannot read WHAT: reason`, `FILE: not YAML (…)`, or
// the schema errors as describeSchemaErrors words them.
import * as fs from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { CleaveError, type CleaveErrorCode } from './errors';
import { fileErrorReason } from './io/files';
import { describeSchemaErrors } from './schema-errors';

export interface ConfigFileKind {
  /** What the file is, in messages ("HIL spec"). */
  what: string;
  /** The code of a file that is not JSON or YAML, or breaks the schema. */
  code: CleaveErrorCode;
  validate: ValidateFunction;
  /** The schema errors in words (default: describeSchemaErrors); `value` is what was parsed. */
  describe?: (file: string, errors: ErrorObject[], value: unknown) => string;
}

/** The parsed, schema-checked content of `file`; a CleaveError naming the file otherwise. */
export function readConfigFile(file: string, kind: ConfigFileKind): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CleaveError('FILE_NOT_FOUND', `${file}: cannot read ${kind.what}: ${fileErrorReason(err)}`);
  }
  const json = /\.json$/i.test(file);
  let value: unknown;
  try {
    value = json ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new CleaveError(kind.code, `${file}: not ${json ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0]})`);
  }
  if (!kind.validate(value)) {
    const errors = kind.validate.errors ?? [];
    throw new CleaveError(kind.code, (kind.describe ?? describeSchemaErrors)(file, errors, value));
  }
  return value;
}
