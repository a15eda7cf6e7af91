// Runs the built CLI (./bin/cleave) as a user would: to completion, capturing status, stdout and
// stderr, or as a long-running child whose output lines can be waited for.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';

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
 * `cleave ARGS` on a pseudo-terminal, as a user's terminal runs it, through `script` (util-linux):
 * stdout and stderr both arrive in `stdout`, with CRLF line ends. null where `script` is missing.
 */
export function cleaveOnTerminal(args: string[], env: NodeJS.ProcessEnv = {}): CliResult | null {
  return nodeOnTerminal([path.join(repoRoot, 'bin', 'cleave'), ...args], env);
}

/** `node ARGV` on a pseudo-terminal, as cleaveOnTerminal runs the CLI (for `npm run bench`). */
export function nodeOnTerminal(argv: string[], env: NodeJS.ProcessEnv = {}): CliResult | null {
  const command = [process.execPath, ...argv].map((a) => `'${a}'`).join(' ');
  // A terminal as a user has one: the test runner's NO_COLOR or TERM=dumb would (rightly) turn decoration off.
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000, env: { ...process.env, TERM: 'xterm', NO_COLOR: undefined, ...env } });
  if (r.error) return null;
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

/** `text` matched literally inside a RegExp (a path in an expected message). */
export const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** `cleave ARGS` as a long-running child (a daemon, a broker, a tail): its stdout and stderr lines, and its exit. */
export class CliChild {
  readonly process: ChildProcess;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: (() => void)[] = [];

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'cleave'), ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    for (const [stream, list] of [[child.stdout!, this.stdout], [child.stderr!, this.stderr]] as const) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        list.push(line);
        for (const w of this.waiters.splice(0)) w();
      });
    }
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Resolves with the first stdout line matching `pattern`; rejects if the process exits first or after `timeoutMs`. */
  waitForLine(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no stdout line matching ${pattern} within ${timeoutMs} ms\nstdout: ${this.stdout.join('\n')}\nstderr: ${this.stderr.join('\n')}`)), timeoutMs);
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`exited (${code ?? signal}) before a line matching ${pattern}\nstdout: ${this.stdout.join('\n')}\nstderr: ${this.stderr.join('\n')}`));
      });
      const check = () => {
        const line = this.stdout.find((l) => pattern.test(l));
        if (line !== undefined) {
          clearTimeout(timer);
          resolve(line);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  signal(signal: NodeJS.Signals): void {
    this.process.kill(signal);
  }
}
