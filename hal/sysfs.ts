// Reading sysfs/procfs files through the context's root. Every failure becomes a CleaveError that
// names the file, so a meter can say exactly why it is unavailable instead of reporting zero.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { CleaveError } from '../src/errors';
import { rooted, type HalContext } from './context';

/** Turns an fs error into a CleaveError that names the file and the likely cause. */
export function describeReadError(file: string, err: unknown): CleaveError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return new CleaveError('SYSFS_MISSING', `${file}: no such file`);
    case 'EACCES':
    case 'EPERM':
      return new CleaveError('SYSFS_DENIED', `${file}: permission denied (readable by root only on this system)`);
    case 'EISDIR':
      return new CleaveError('SYSFS_GARBLED', `${file}: is a directory, expected a file`);
    default:
      // Disabled hwmon channels and sleeping sensors answer reads with EIO, EAGAIN or ENODATA.
      return new CleaveError('SYSFS_UNREADABLE', `${file}: cannot read (${code ?? (err as Error)?.message ?? String(err)})`);
  }
}

/** The file's text, as sysfs shows it (trailing newline and device-tree NULs removed). */
export async function readBoardText(ctx: HalContext, boardPath: string): Promise<string> {
  const file = rooted(ctx, boardPath);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw describeReadError(file, err);
  }
  // Device-tree strings end in NUL; sysfs attributes end in a newline.
  return text.replace(/\0+$/, '').replace(/\n$/, '');
}

/** Like readBoardText, but a missing file is `undefined` rather than an error. */
export async function readOptionalBoardText(ctx: HalContext, boardPath: string): Promise<string | undefined> {
  try {
    return await readBoardText(ctx, boardPath);
  } catch (err) {
    if (err instanceof CleaveError && err.code === 'SYSFS_MISSING') return undefined;
    throw err;
  }
}

/** A sysfs attribute holding one decimal integer (`4984\n`); anything else is an error naming the file. */
export async function readBoardInteger(ctx: HalContext, boardPath: string): Promise<number> {
  const text = (await readBoardText(ctx, boardPath)).trim();
  if (!/^-?\d+$/.test(text)) {
    throw new CleaveError('SYSFS_GARBLED', `${rooted(ctx, boardPath)}: expected an integer, found ${JSON.stringify(text.slice(0, 40))}`);
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new CleaveError('SYSFS_GARBLED', `${rooted(ctx, boardPath)}: ${text} is beyond exact integer range`);
  }
  return value;
}

export async function boardPathExists(ctx: HalContext, boardPath: string): Promise<boolean> {
  try {
    await fs.access(rooted(ctx, boardPath));
    return true;
  } catch {
    return false;
  }
}

/** Entries of a board folder, sorted; a missing folder has none. */
export async function listBoardDir(ctx: HalContext, boardPath: string): Promise<string[]> {
  try {
    return (await fs.readdir(rooted(ctx, boardPath))).sort(naturalOrder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw describeReadError(rooted(ctx, boardPath), err);
  }
}

/**
 * Board paths matching a pattern whose segments may hold `*` (any run of characters except `/`),
 * e.g. `/sys/bus/i2c/devices/*\/hwmon/hwmon*`. Results are board paths (not rooted), in natural order
 * so `hwmon10` sorts after `hwmon9`.
 */
export async function expandBoardPattern(ctx: HalContext, pattern: string): Promise<string[]> {
  const segments = pattern.split('/').filter((s) => s.length > 0);
  let matches = ['/'];
  for (const segment of segments) {
    const next: string[] = [];
    if (!segment.includes('*')) {
      for (const dir of matches) {
        const candidate = path.posix.join(dir, segment);
        if (await boardPathExists(ctx, candidate)) next.push(candidate);
      }
    } else {
      const re = new RegExp(`^${segment.split('*').map(escapeRegExp).join('[^/]*')}$`);
      for (const dir of matches) {
        for (const entry of await listBoardDir(ctx, dir)) {
          if (re.test(entry)) next.push(path.posix.join(dir, entry));
        }
      }
    }
    matches = next;
  }
  return matches;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `in2` before `in10`, `hwmon9` before `hwmon10`. */
export function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
