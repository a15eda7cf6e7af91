// Runs the built CLI (./bin/cleave) as a user would, capturing status, stdout and stderr.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function cleave(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string | Uint8Array; timeout?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'cleave'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...opts.env },
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeout ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}
