// The inputs of a watched folder that were processed and left where they are (no `done` folder):
// one absolute path per line, appended as each result is written, so a restart does not redo them.
// Entries of files no longer there are dropped when the ledger is opened, which keeps it bounded.
import * as fs from 'node:fs';
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { CleaveError } from '../../errors';

export class Ledger {
  private constructor(private readonly file: string, private readonly names: Set<string>) {}

  static async open(file: string): Promise<Ledger> {
    let lines: string[] = [];
    try {
      lines = (await fsp.readFile(file, 'utf8')).split('\n').filter((l) => l !== '');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new CleaveError('FILE_NOT_FOUND', `daemon ledger ${file}: cannot read: ${(err as Error).message}`);
    }
    const kept = lines.filter((l) => fs.existsSync(l));
    try {
      await fsp.mkdir(path.dirname(file), { recursive: true });
      if (kept.length !== lines.length) {
        await fsp.writeFile(`${file}.tmp`, kept.map((l) => `${l}\n`).join(''));
        await fsp.rename(`${file}.tmp`, file);
      }
    } catch (err) {
      throw new CleaveError('WRITE_FAILED', `daemon ledger ${file}: cannot write: ${(err as Error).message}`);
    }
    return new Ledger(file, new Set(kept));
  }

  has(file: string): boolean {
    return this.names.has(file);
  }

  async add(file: string): Promise<void> {
    this.names.add(file);
    try {
      await fsp.appendFile(this.file, `${file}\n`);
    } catch (err) {
      throw new CleaveError('WRITE_FAILED', `daemon ledger ${this.file}: cannot append ${file}: ${(err as Error).message}`);
    }
  }
}
