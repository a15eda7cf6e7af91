// `cleave run --inputs DIR`, local or with --remote: a directory of input cases. Each subdirectory
// is a case holding one file per input, named t<index>.<ext> or <tensor name>.<ext> (the golden
// case layout, t<index>.bin, is one). For a model with one input, a DIR without subdirectories
// holds a case per file. Hidden entries are never cases.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CleaveError } from '../errors';
import type { TensorSpec } from '../session';
import { checkInputDir, fileErrorReason } from './files';

export interface InputCase {
  /** The entry's name without its extension: outputs are written under it. */
  name: string;
  /** The entry in DIR: the case's file, or its subdirectory. */
  path: string;
  /** One file per input, in input order. */
  files: string[];
}

async function entries(dir: string): Promise<import('node:fs').Dirent[]> {
  try {
    return (await fsp.readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.')).sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch (err) {
    throw new CleaveError('FILE_NOT_FOUND', `${dir}: cannot read --inputs directory: ${fileErrorReason(err)}`);
  }
}

/** The cases of `dir` for a model whose inputs are `specs` (in input order), sorted by name. */
export async function listInputCases(dir: string, specs: Pick<TensorSpec, 'index' | 'name'>[]): Promise<InputCase[]> {
  await checkInputDir(dir, '--inputs');
  const stem = (name: string) => path.basename(name, path.extname(name));
  const cases: InputCase[] = [];
  const all = await entries(dir);
  const filesAreCases = specs.length === 1 && !all.some((e) => e.isDirectory());
  for (const e of all) {
    if (filesAreCases && e.isFile()) {
      cases.push({ name: stem(e.name), path: path.join(dir, e.name), files: [path.join(dir, e.name)] });
    } else if (e.isDirectory()) {
      const inCase = (await entries(path.join(dir, e.name))).filter((f) => f.isFile());
      const files = specs.map((s) => {
        const match = inCase.find((f) => stem(f.name) === `t${s.index}` || stem(f.name) === s.name);
        if (!match) throw new CleaveError('BAD_INPUT', `${path.join(dir, e.name)}: no file for input "${s.name}" (t${s.index}.<ext> or ${s.name}.<ext>)`);
        return path.join(dir, e.name, match.name);
      });
      cases.push({ name: e.name, path: path.join(dir, e.name), files });
    }
  }
  if (cases.length === 0) {
    throw new CleaveError('BAD_INPUT', `${dir}: no input cases (a subdirectory per case with a file per input${specs.length === 1 ? ', or only files, a case each' : ''})`);
  }
  return cases;
}
