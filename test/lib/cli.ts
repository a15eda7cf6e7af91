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

/**
 * A failure as the CLI must report it (docs/errors.md): exactly one line `cleave: ...` on stderr
 * matching `message`, no stack trace, not killed by a signal, and exit `status`.
 */
export function failsWith(t: Tap.Test, r: CliResult, status: number, message: RegExp): void {
  t.equal(r.signal, null, 'not killed by a signal');
  t.equal(r.status, status, `exit status\n${r.stderr}`);
  t.match(r.stderr, /^cleave: [^\n]+\n$/, 'exactly one line, starting "cleave: "');
  t.match(r.stderr, message);
  t.notMatch(r.stderr, /\n {4}at |internal error/, 'no stack trace, not an internal error');
}
