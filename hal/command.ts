// Running the board's own tools (vcgencmd, tegrastats). They are looked up on the context's search
// path ourselves, so a missing tool is reported by name with the folders searched.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CleaveError } from '../src/errors';
import type { HalContext } from './context';

/** Full path of an executable on the search path, or undefined. */
export function findExecutable(ctx: HalContext, name: string): string | undefined {
  for (const dir of ctx.searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here; keep looking
    }
  }
  return undefined;
}

export function requireExecutable(ctx: HalContext, name: string): string {
  const found = findExecutable(ctx, name);
  if (!found) {
    throw new CleaveError('COMMAND_MISSING', `${name}: not found on PATH (${ctx.searchPath || 'empty'})`);
  }
  return found;
}

export interface CommandOutput {
  stdout: string;
  stderr: string;
  /** Exit status; tools like vcgencmd report errors on stdout and exit non-zero, so callers parse first. */
  exitCode: number;
}

/** Runs a tool to completion without blocking the event loop; fails only if it cannot run at all. */
export function runCommand(ctx: HalContext, name: string, args: string[], timeoutMs = 5000): Promise<CommandOutput> {
  const file = requireExecutable(ctx, name);
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) {
        resolve({ stdout, stderr, exitCode: 0 });
        return;
      }
      const failure = err as NodeJS.ErrnoException & { killed?: boolean };
      if (failure.killed) {
        reject(new CleaveError('COMMAND_FAILED', `${file} ${args.join(' ')}: no answer within ${timeoutMs} ms`));
      } else if (typeof failure.code === 'number') {
        resolve({ stdout, stderr, exitCode: failure.code });
      } else {
        // It never ran (not executable, bad interpreter line, ...).
        reject(new CleaveError('COMMAND_FAILED', `${file} ${args.join(' ')}: ${failure.message}`));
      }
    });
  });
}
