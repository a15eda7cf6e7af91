// A board the HIL harness deploys itself: `cleave serve` for one segment as a child process on this
// host, on a free loopback port (an emulated board; the lab and real boards are reached by address).
// It is a separate process so that a board can die without taking the harness with it.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { CleaveError } from '../errors';
import { packageRoot } from '../paths';

export interface ServedSegment {
  /** 127.0.0.1:PORT */
  address: string;
  pid: number;
  /** SIGTERM (the server finishes what it holds), then waits for the exit. */
  stop(): Promise<void>;
}

const STATUS_LINE = /^serving .* on tcp:\/\/([\d.]+):(\d+),.*$/m;
const START_TIMEOUT_MS = 30_000;

export function startServedSegment(planPath: string, segment: number, token?: string): Promise<ServedSegment> {
  const args = [path.join(packageRoot, 'bin', 'cleave'), 'serve', planPath, '--segment', String(segment), '--listen', '127.0.0.1:0', '--threads', '1'];
  if (token !== undefined) args.push('--token', token);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new CleaveError('HIL_DEPLOY_FAILED', `cleave serve for segment ${segment} of ${planPath}: ${why}${err ? `: ${err.trim().split('\n').pop()}` : ''}`));
    };
    const timer = setTimeout(() => fail(`no status line within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
    child.once('error', (e) => fail(e.message));
    const earlyExit = (code: number | null, signal: NodeJS.Signals | null) => fail(`exited (${signal ?? `status ${code}`}) before serving`);
    child.once('exit', earlyExit);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = STATUS_LINE.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.off('exit', earlyExit);
      resolve({
        address: `${m[1]}:${m[2]}`,
        pid: child.pid!,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}
