// `cleave run PLAN --remote … --inputs DIR --outputs OUT`: each case's outputs under its own name in
// OUT (NAME.K.EXT when the plan has several outputs).
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CleaveError } from '../errors';
import { makeDirectory } from '../io/files';

/**
 * Where output `index` of `count` for the case at `inputCase` (its file or subdirectory) goes in
 * `dir`: the case's own name when the model
 * has one output, else NAME.INDEX.EXT ("a.bin" -> "a.0.bin", "a.1.bin").
 */
export function outputFile(dir: string, inputCase: string, index: number, count: number): string {
  const name = path.basename(inputCase);
  if (count === 1) return path.join(dir, name);
  const ext = path.extname(name);
  return path.join(dir, `${name.slice(0, name.length - ext.length)}.${index}${ext}`);
}

/** Writes every output of one case into `dir` (created if needed); returns the files written. */
export async function writeOutputs(dir: string, inputCase: string, outputs: ArrayBufferView[]): Promise<string[]> {
  await makeDirectory(dir);
  return Promise.all(outputs.map(async (o, k) => {
    const file = outputFile(dir, inputCase, k, outputs.length);
    try {
      await fsp.writeFile(file, new Uint8Array(o.buffer, o.byteOffset, o.byteLength));
    } catch (err) {
      throw new CleaveError('WRITE_FAILED', `${file}: cannot write output ${k}: ${(err as Error).message}`);
    }
    return file;
  }));
}
