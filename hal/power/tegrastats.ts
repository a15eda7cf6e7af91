// tegrastats as a power source: one long-running `tegrastats --interval N` whose latest line is the
// current reading (spawning it per sample would cost more than the sample interval).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CleaveError } from '../../src/errors';
import type { TegrastatsSource } from '../boards/descriptor';
import { requireExecutable } from '../command';
import type { HalContext } from '../context';
import { buildReading } from './rails';
import { requireTegrastatsRails } from './tegrastats-parse';
import type { PowerMeter, PowerReading } from './types';

const FIRST_LINE_GRACE_MS = 5000;

export class TegrastatsMeter implements PowerMeter {
  readonly name = 'tegrastats';
  readonly kind = 'measured' as const;
  private child: ChildProcess | undefined;
  private latest: string | undefined;
  private failure: CleaveError | undefined;
  private waiters: { resolve: (line: string) => void; reject: (err: CleaveError) => void }[] = [];

  constructor(
    private readonly ctx: HalContext,
    private readonly source: TegrastatsSource,
  ) {}

  private get intervalMs(): number {
    return Math.max(10, Math.round(this.source.sampleIntervalMs ?? 100));
  }

  private startChild(): void {
    const file = requireExecutable(this.ctx, 'tegrastats');
    const args = ['--interval', String(this.intervalMs)];
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.failure = undefined;
    this.latest = undefined;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-500);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.trim() === '') return;
      this.latest = line;
      for (const w of this.waiters.splice(0)) w.resolve(line);
    });
    const fail = (why: string) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.failure = new CleaveError('METER_UNAVAILABLE', `${file} ${args.join(' ')}: ${why}${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
      for (const w of this.waiters.splice(0)) w.reject(this.failure);
    };
    child.on('error', (err) => fail(err.message));
    // 'close' comes after stdout has been read to its end, so a last line is never lost to a race.
    child.on('close', (code, signal) => {
      if (this.latest === undefined) fail(`exited (${signal ?? `status ${code}`}) before printing a line`);
      // After lines, the next read starts it again rather than repeating a stale line forever.
      else if (this.child === child) this.child = undefined;
    });
    // Never keep the process alive just for the sampler.
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
  }

  private nextLine(): Promise<string> {
    if (this.latest !== undefined) return Promise.resolve(this.latest);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
        reject: (err: CleaveError) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      // This timer stays referenced: it keeps the process alive while a caller waits for a line.
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new CleaveError('METER_UNAVAILABLE', `tegrastats printed no line within ${FIRST_LINE_GRACE_MS + this.intervalMs} ms`));
      }, FIRST_LINE_GRACE_MS + this.intervalMs);
      this.waiters.push(waiter);
    });
  }

  async read(): Promise<PowerReading> {
    if (!this.child) this.startChild();
    const line = await this.nextLine();
    const rails = requireTegrastatsRails(line).map((r) => ({ name: r.name, watts: r.currentMilliwatts / 1e3 }));
    return buildReading(this.name, this.kind, rails, this.source.rails, this.source.totalRails);
  }

  async close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.latest = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}
