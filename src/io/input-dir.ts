// `cleave run --inputs DIR`: a directory of input cases, run one after another. Each subdirectory
// is a case holding one file per input, named t<index>.<ext> or <tensor name>.<ext> (the golden
// case layout, t<index>.bin, is one). For a model with one input, a DIR without subdirectories
// holds a case per file. Any format `--input` reads.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CleaveError } from '../errors';
import type { TensorSpec } from '../session';
import { checkInputDir, fileErrorReason } from './files';

export interface InputCase {
  /** The entry's name without its extension: outputs are written under it. */
  name: string;
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

export async function listInputCases(dir: string, specs: TensorSpec[]): Promise<InputCase[]> {
  await checkInputDir(dir, '--inputs');
  const stem = (name: string) => path.basename(name, path.extname(name));
  const cases: InputCase[] = [];
  const all = await entries(dir);
  const filesAreCases = specs.length === 1 && !all.some((e) => e.isDirectory());
  for (const e of all) {
    if (filesAreCases && e.isFile()) {
      cases.push({ name: stem(e.name), files: [path.join(dir, e.name)] });
    } else if (e.isDirectory()) {
      const inCase = (await entries(path.join(dir, e.name))).filter((f) => f.isFile());
      const files = specs.map((s) => {
        const match = inCase.find((f) => stem(f.name) === `t${s.index}` || stem(f.name) === s.name);
        if (!match) throw new CleaveError('BAD_INPUT', `${path.join(dir, e.name)}: no file for input "${s.name}" (t${s.index}.<ext> or ${s.name}.<ext>)`);
        return path.join(dir, e.name, match.name);
      });
      cases.push({ name: e.name, files });
    }
  }
  if (cases.length === 0) {
    throw new CleaveError('BAD_INPUT', `${dir}: no input cases (a subdirectory per case with a file per input${specs.length === 1 ? ', or only files, a case each' : ''})`);
  }
  return cases;
}
