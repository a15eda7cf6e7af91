// A watched folder: each new file is one input (the raw bytes of the model's inputs), taken in name
// order. Hidden files and names ending in .part or .tmp are skipped, so a writer that writes under
// such a name and renames into place never has a half-written file taken. Once an input's result is
// written the file moves to `done` (or, without one, its path goes into the ledger); files in flight
// are claimed in a set the daemon keeps across reloads, so a new generation of the source does not
// take them again.
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CleaveError } from '../../errors';
import type { DirectorySourceConfig } from '../config';
import type { Ledger } from './ledger';
import type { InputSource, Log, Take } from './source';

const SKIPPED = /^\.|\.(part|tmp)$/;

export class DirectorySource implements InputSource {
  readonly description: string;
  private watcher: fs.FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | null = null;
  private rescan = false;
  private stopped = false;
  private take: Take | null = null;

  constructor(
    private readonly config: DirectorySourceConfig,
    /** Null when processed files move to `config.done`. */
    private readonly ledger: Ledger | null,
    /** Paths taken and not yet settled, shared by every generation of the daemon's sources. */
    private readonly claimed: Set<string>,
    private readonly log: Log,
  ) {
    this.description = `directory ${config.path}`;
  }

  async start(take: Take): Promise<void> {
    for (const dir of [this.config.path, this.config.done]) {
      if (dir === undefined) continue;
      try {
        await fsp.mkdir(dir, { recursive: true });
      } catch (err) {
        throw new CleaveError('WRITE_FAILED', `${this.description}: cannot create ${dir}: ${(err as Error).message}`);
      }
    }
    this.take = take;
    try {
      this.watcher = fs.watch(this.config.path, () => this.kick());
      this.watcher.on('error', (err) => this.log(`${this.description}: watch failed (${err.message}); polling every ${this.config.pollMs ?? 500} ms goes on`));
    } catch (err) {
      this.log(`${this.description}: cannot watch (${(err as Error).message}); polling every ${this.config.pollMs ?? 500} ms`);
    }
    this.poll = setInterval(() => this.kick(), this.config.pollMs ?? 500);
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    clearInterval(this.poll);
    await this.scanning;
  }

  /** One scan at a time; a change seen during a scan asks for another. */
  private kick(): void {
    if (this.stopped) return;
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.scanning = this.scan()
      .catch((err: Error) => this.log(`${this.description}: ${err.message}`))
      .finally(() => {
        this.scanning = null;
        if (this.rescan) {
          this.rescan = false;
          this.kick();
        }
      });
  }

  private async scan(): Promise<void> {
    let names: string[];
    try {
      names = (await fsp.readdir(this.config.path)).filter((n) => !SKIPPED.test(n)).sort();
    } catch (err) {
      throw new Error(`cannot list: ${(err as Error).message}`);
    }
    for (const name of names) {
      if (this.stopped) return;
      const file = path.join(this.config.path, name);
      if (this.claimed.has(file) || this.ledger?.has(file)) continue;
      let bytes: Uint8Array;
      try {
        if (!(await fsp.stat(file)).isFile()) continue;
        bytes = await fsp.readFile(file);
      } catch (err) {
        // Gone between the listing and the read: someone else's to worry about.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.log(`${file}: cannot read: ${(err as Error).message}`);
        continue;
      }
      this.claimed.add(file);
      await this.take!({ id: name, bytes, settle: () => this.settle(file, name), retry: () => this.claimed.delete(file) });
    }
  }

  private async settle(file: string, name: string): Promise<void> {
    try {
      if (this.config.done === undefined) await this.ledger!.add(file);
      else await moveFile(file, path.join(this.config.done, name));
    } finally {
      this.claimed.delete(file);
    }
  }
}

/** rename(2), or copy and unlink when `done` is on another file system. */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await fsp.rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw new CleaveError('WRITE_FAILED', `cannot move ${from} to ${to}: ${(err as Error).message}`);
    await fsp.copyFile(from, to);
    await fsp.unlink(from);
  }
}
