// Inputs and outputs as files: `--input FILE`, `--inputs DIR` (every regular file of DIR, sorted by
// name, is one input) and `--outputs DIR` (each input's outputs under its own name). Shared by the
// remote and the local `cleave run`.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CleaveError } from '../errors';

/** The raw bytes of one input file; the error names the file. */
export async function readInputFile(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fsp.readFile(file));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CleaveError('FILE_NOT_FOUND', `${file}: cannot read input: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
}

/** The regular files of `dir`, sorted by name (hidden files and subdirectories are not inputs). */
export async function listInputFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such directory' : e.code === 'ENOTDIR' ? 'not a directory' : e.message;
    throw new CleaveError('FILE_NOT_FOUND', `--inputs ${dir}: cannot list: ${why}`);
  }
  const files = entries.filter((e) => e.isFile() && !e.name.startsWith('.')).map((e) => e.name).sort();
  if (files.length === 0) throw new CleaveError('BAD_ARGUMENT', `--inputs ${dir}: no input files in it`);
  return files.map((name) => path.join(dir, name));
}

/**
 * Where output `index` of `count` for `inputFile` goes in `dir`: the input's own name when the model
 * has one output, else NAME.INDEX.EXT ("a.bin" -> "a.0.bin", "a.1.bin").
 */
export function outputFile(dir: string, inputFile: string, index: number, count: number): string {
  const name = path.basename(inputFile);
  if (count === 1) return path.join(dir, name);
  const ext = path.extname(name);
  return path.join(dir, `${name.slice(0, name.length - ext.length)}.${index}${ext}`);
}

/** Writes every output of one input into `dir` (created if needed); returns the files written. */
export async function writeOutputs(dir: string, inputFile: string, outputs: ArrayBufferView[]): Promise<string[]> {
  await fsp.mkdir(dir, { recursive: true });
  return Promise.all(outputs.map(async (o, k) => {
    const file = outputFile(dir, inputFile, k, outputs.length);
    try {
      await fsp.writeFile(file, new Uint8Array(o.buffer, o.byteOffset, o.byteLength));
    } catch (err) {
      throw new CleaveError('WRITE_FAILED', `${file}: cannot write output ${k}: ${(err as Error).message}`);
    }
    return file;
  }));
}
