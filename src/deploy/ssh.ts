// Commands on a board over OpenSSH's own `ssh` client (keys, agents, known_hosts and ~/.ssh/config
// work as the user has them): a shell command with its output, or a stream piped into one. Batch mode:
// never a password prompt that would hang a deploy.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { CleaveError } from '../errors';

export interface SshTarget {
  user?: string;
  host: string;
  port?: number;
  /** A private key file (ssh -i). */
  identity?: string;
  /** Extra `-o KEY=VALUE` options, e.g. StrictHostKeyChecking=accept-new. */
  options?: string[];
}

/** USER@HOST or HOST; IPv6 literals in brackets. */
export function parseSshHost(text: string): Pick<SshTarget, 'user' | 'host'> {
  const m = /^(?:([A-Za-z0-9._-]+)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)$/.exec(text);
  if (!m) throw new CleaveError('BAD_ARGUMENT', `--host must look like USER@ADDRESS, got "${text}"`);
  return { ...(m[1] ? { user: m[1] } : {}), host: m[2]!.replace(/^\[|\]$/g, '') };
}

export const describeTarget = (t: SshTarget) => `${t.user ? `${t.user}@` : ''}${t.host}${t.port ? `:${t.port}` : ''}`;

/** A word for a POSIX shell, quoted so nothing in it is interpreted. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./=:@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function sshArgs(t: SshTarget): string[] {
  const args = ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=15'];
  if (t.port !== undefined) args.push('-p', String(t.port));
  if (t.identity !== undefined) args.push('-i', t.identity, '-o', 'IdentitiesOnly=yes');
  for (const o of t.options ?? []) args.push('-o', o);
  args.push(t.user ? `${t.user}@${t.host}` : t.host);
  return args;
}

export interface RemoteResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `script` with the board's shell; stdin from `input` when given. Never throws for a non-zero exit. */
export function sshRun(t: SshTarget, script: string, input?: Readable): Promise<RemoteResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', [...sshArgs(t), script], { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT'
        ? new CleaveError('COMMAND_MISSING', 'ssh is not on PATH (Debian: openssh-client)')
        : new CleaveError('COMMAND_FAILED', `ssh ${describeTarget(t)}: ${err.message}`));
    });
    if (input) {
      input.on('error', (err) => child.kill() && reject(new CleaveError('COMMAND_FAILED', `ssh ${describeTarget(t)}: upload: ${err.message}`)));
      child.stdin!.on('error', () => undefined); // ssh exiting early shows up as its exit status
      input.pipe(child.stdin!);
    }
    child.once('close', (code) => resolve({ code: code ?? 255, stdout, stderr }));
  });
}

/** Like sshRun, but a non-zero exit is an error naming `what` and the board's last line of stderr. */
export async function sshCheck(t: SshTarget, script: string, what: string, input?: Readable): Promise<string> {
  const r = await sshRun(t, script, input);
  if (r.code !== 0) {
    const why = r.stderr.trim().split('\n').pop() || `exit status ${r.code}`;
    throw new CleaveError(r.code === 255 ? 'DEPLOY_UNREACHABLE' : 'DEPLOY_FAILED', `${describeTarget(t)}: ${what}: ${why}`);
  }
  return r.stdout;
}
