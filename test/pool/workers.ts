// `cleave serve PLAN --segment K --mqtt URL …` as a child process (a pool worker that a test can
// SIGKILL), and in-process workers for the cases that need no process of their own.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { SegmentServer } from '../../src/pipeline/serve';
import { parseMqttAddress } from '../../src/transport/mqtt';
import { repoRoot } from '../lib/cli';

export interface WorkerChild {
  child: ChildProcess;
  status: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts a worker and waits for its status line. */
export function workerChild(args: string[]): Promise<WorkerChild> {
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'cleave'), 'serve', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cleave serve --mqtt printed no status line in 30 s: ${err}`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^serving .* on mqtt:\/\/.*$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, status: m[0], stderr: () => err, exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`cleave serve exited with ${code} before serving: ${err}`));
    });
  });
}

/** A worker in this process (one Session, one thread); `ca` for an mqtts:// broker. */
export function worker(planPath: string, segment: number, url: string, ca?: Buffer): Promise<SegmentServer> {
  return SegmentServer.start({ planPath, segment, mqtt: { address: parseMqttAddress(url), tls: ca ? { ca } : undefined }, session: { threads: 1 } });
}
