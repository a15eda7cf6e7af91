// Reading and writing the files a user names, with one-line errors `PATH: reason` (docs/errors.md):
// the reason is the errno said in words, never a stack. Output paths are checked before the work
// starts (`checkOutputFile`, `checkOutputDir`), so a long run does not end in "cannot write".
import { constants as fsc, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CleaveError } from '../errors';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'name too long',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EIO: 'input/output error',
};

/** The reason an fs call failed, in words ("no such file or directory"), from its errno code. */
export function fileErrorReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return (e.code && REASONS[e.code]) ?? (e.message || String(err));
}

/** The whole file, or FILE_NOT_FOUND `FILE: cannot read WHAT: reason`. */
export async function readUserFile(file: string, what: string): Promise<Buffer> {
  try {
    return await fsp.readFile(file);
  } catch (err) {
    throw new CleaveError('FILE_NOT_FOUND', `${file}: cannot read ${what}: ${fileErrorReason(err)}`);
  }
}

async function statOrNull(p: string): Promise<import('node:fs').Stats | null> {
  try {
    return await fsp.stat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CleaveError('WRITE_FAILED', `${p}: cannot write: ${fileErrorReason(err)}`);
  }
}

async function checkWritableDirectory(dir: string, shown: string): Promise<void> {
  const st = await statOrNull(dir);
  if (!st) throw new CleaveError('WRITE_FAILED', `${shown}: cannot write: directory ${dir} does not exist`);
  if (!st.isDirectory()) throw new CleaveError('WRITE_FAILED', `${shown}: cannot write: ${dir} is not a directory`);
  try {
    await fsp.access(dir, fsc.W_OK);
  } catch (err) {
    throw new CleaveError('WRITE_FAILED', `${shown}: cannot write: ${fileErrorReason(err)}`);
  }
}

/**
 * Refuses, before any work, an output file that cannot be written: a directory, a path whose
 * folder is missing or read-only, an existing file without write permission.
 */
export async function checkOutputFile(file: string): Promise<void> {
  const st = await statOrNull(file);
  if (st?.isDirectory()) throw new CleaveError('WRITE_FAILED', `${file}: cannot write: is a directory`);
  if (st) {
    try {
      await fsp.access(file, fsc.W_OK);
    } catch (err) {
      throw new CleaveError('WRITE_FAILED', `${file}: cannot write: ${fileErrorReason(err)}`);
    }
    return;
  }
  await checkWritableDirectory(path.dirname(path.resolve(file)), file);
}

/**
 * `mkdir -p`, one level at a time, or WRITE_FAILED `LEVEL: cannot create directory: reason` naming
 * the level that failed. Node's recursive mkdir never returns where a folder exists but refuses new
 * entries with ENOENT (/proc): it takes that for a missing parent, makes the parent (EEXIST) and
 * tries again, forever. Here that ENOENT is the answer.
 */
export async function makeDirectory(dir: string): Promise<void> {
  const parent = path.dirname(path.resolve(dir));
  if (parent !== path.resolve(dir) && !(await statOrNull(parent))) await makeDirectory(parent);
  try {
    await fsp.mkdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && (await statOrNull(dir))?.isDirectory()) return;
    const why = code === 'ENOENT' ? `${parent} does not take new directories` : fileErrorReason(err);
    throw new CleaveError('WRITE_FAILED', `${dir}: cannot create directory: ${why}`);
  }
}

/** Refuses an output directory that is a file or cannot be created or written; creates it. */
export async function prepareOutputDir(dir: string): Promise<void> {
  const st = await statOrNull(dir);
  if (st && !st.isDirectory()) throw new CleaveError('WRITE_FAILED', `${dir}: cannot write: not a directory`);
  if (!st) await makeDirectory(dir);
  await checkWritableDirectory(dir, dir);
}

/** Writes the file, or WRITE_FAILED `FILE: cannot write WHAT: reason` (e.g. ENOSPC on /dev/full). */
export async function writeUserFile(file: string, bytes: Uint8Array | string, what: string): Promise<void> {
  try {
    await fsp.writeFile(file, bytes);
  } catch (err) {
    throw new CleaveError('WRITE_FAILED', `${file}: cannot write ${what}: ${fileErrorReason(err)}`);
  }
}

/** Refuses a directory the user named explicitly (e.g. `--cases`) that does not exist or is a file. */
export async function checkInputDir(dir: string, flag: string): Promise<void> {
  let st: import('node:fs').Stats;
  try {
    st = await fsp.stat(dir);
  } catch (err) {
    throw new CleaveError('FILE_NOT_FOUND', `${dir}: cannot read ${flag} directory: ${fileErrorReason(err)}`);
  }
  if (!st.isDirectory()) throw new CleaveError('FILE_NOT_FOUND', `${dir}: cannot read ${flag} directory: not a directory`);
}
