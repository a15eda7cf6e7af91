// Helpers of the daemon tests: a real unix datagram socket to stand in for systemd's NOTIFY_SOCKET
// (Node cannot bind one, so a few lines of python3 do), a folder with a daemon config, and
// `cleave daemon` started as a child process whose output lines can be waited for.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { CliChild, repoRoot } from './cli';

export { requireTools } from '../telemetry/mosquitto';

interface Teardown {
  teardown(fn: () => void): void;
}

export const personDetect = path.join(repoRoot, 'models', 'tflm_person_detect', 'model.tflite');
/** person_detect's input tensor (int8[1x96x96x1]) from its golden case. */
export const personInput = path.join(repoRoot, 'models', 'tflm_person_detect', 'real_person', 't88.bin');

/** null when python3 runs here, else why not. */
export function python3Missing(): string | null {
  const r = spawnSync('python3', ['-c', 'import socket'], { stdio: 'ignore' });
  return r.error || r.status !== 0 ? 'python3 is not on PATH (Debian: apt-get install python3)' : null;
}

// Binds AF_UNIX/SOCK_DGRAM at argv[1] ('@name': abstract), says "listening", then prints each
// datagram as one JSON line: the time it arrived (monotonic s) and its text.
const RECEIVER = `
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
a = sys.argv[1]
s.bind('\\0' + a[1:] if a.startswith('@') else a)
print('listening', flush=True)
while True:
    d = s.recv(65536)
    print(json.dumps({'t': time.monotonic(), 'text': d.decode()}), flush=True)
`;

export interface Notification {
  t: number;
  text: string;
}

export class NotifyReceiver {
  readonly messages: Notification[] = [];
  private waiters: (() => void)[] = [];

  private constructor(readonly address: string, private readonly child: ChildProcess) {}

  static async start(address: string): Promise<NotifyReceiver> {
    const child = spawn('python3', ['-c', RECEIVER, address], { stdio: ['ignore', 'pipe', 'inherit'] });
    const receiver = new NotifyReceiver(address, child);
    const lines = readline.createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`notify receiver exited with ${code}`)));
      lines.once('line', () => resolve());
    });
    lines.on('line', (line) => {
      receiver.messages.push(JSON.parse(line) as Notification);
      for (const w of receiver.waiters.splice(0)) w();
    });
    return receiver;
  }

  /** Resolves with the first message (from index `from` on) that `match` accepts. */
  waitFor(match: (text: string) => boolean, from = 0, timeoutMs = 20_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching notification within ${timeoutMs} ms; got ${JSON.stringify(this.messages.map((m) => m.text))}`)), timeoutMs);
      const check = () => {
        const i = this.messages.findIndex((m, k) => k >= from && match(m.text));
        if (i >= 0) {
          clearTimeout(timer);
          resolve(i);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  stop(): void {
    this.child.kill('SIGKILL');
    if (!this.address.startsWith('@')) fs.rmSync(this.address, { force: true });
  }
}

/** Polls `condition` every 20 ms until true, or throws after `timeoutMs` with `what`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Writes `count` copies of person_detect's input into `dir` as in-0000.bin, in-0001.bin, … (each written as .part, then renamed). */
export function dropInputs(dir: string, count: number, first = 0): string[] {
  const bytes = fs.readFileSync(personInput);
  const names: string[] = [];
  for (let i = first; i < first + count; i++) {
    const name = `in-${String(i).padStart(4, '0')}.bin`;
    fs.writeFileSync(path.join(dir, `${name}.part`), bytes);
    fs.renameSync(path.join(dir, `${name}.part`), path.join(dir, name));
    names.push(name);
  }
  return names;
}

/** JSON lines of a file (a JSONL telemetry target), [] when it does not exist yet. */
export function jsonLines<T>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as T);
}

/** A fresh folder in `parent` holding daemon.yaml with `lines` (its relative paths are the folder's). */
export function daemonFolder(parent: string, lines: string[]): { dir: string; config: string; write: (lines: string[]) => void } {
  const dir = fs.mkdtempSync(path.join(parent, 'case-'));
  const config = path.join(dir, 'daemon.yaml');
  const write = (text: string[]) => fs.writeFileSync(config, text.join('\n'));
  write(lines);
  return { dir, config, write };
}

/** `cleave daemon --config CONFIG` as a child that `t` kills when it ends; resolves once it prints `ready`. */
export async function startDaemon(t: Teardown, config: string, env: NodeJS.ProcessEnv = {}, ready = /^ready: /): Promise<CliChild> {
  const daemon = new CliChild(['daemon', '--config', config], env);
  t.teardown(() => daemon.signal('SIGKILL'));
  await daemon.waitForLine(ready);
  return daemon;
}
