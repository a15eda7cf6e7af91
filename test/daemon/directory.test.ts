// The watched-folder source on its own: name order, skipped names, the claim that keeps a reload's
// new watcher off the inputs still in flight, and the ledger that keeps a restart off the inputs
// already done when there is no done/ folder.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DirectorySource } from '../../src/daemon/sources/directory';
import { Ledger } from '../../src/daemon/sources/ledger';
import type { InputItem } from '../../src/daemon/sources/source';
import { until } from '../lib/daemon';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-daemon-dir-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const folder = () => fs.mkdtempSync(path.join(tmp, `case${n++}-`));
const noLog = () => undefined;

t.test('files are taken once each, in name order; hidden, .part and .tmp names are not', async (t) => {
  const dir = folder();
  const inDir = path.join(dir, 'in');
  fs.mkdirSync(inDir);
  for (const name of ['b.bin', 'a.bin', '.hidden', 'c.bin.part', 'd.tmp', 'c.bin']) fs.writeFileSync(path.join(inDir, name), name);
  const taken: InputItem[] = [];
  const source = new DirectorySource({ path: inDir, done: path.join(dir, 'done'), pollMs: 50 }, null, new Set(), noLog);
  await source.start(async (item) => {
    taken.push(item);
    await item.settle();
  });
  await until(() => taken.length === 3, 'three inputs');
  await new Promise((resolve) => setTimeout(resolve, 200));
  await source.stop();
  t.same(taken.map((i) => i.id), ['a.bin', 'b.bin', 'c.bin']);
  t.same(Buffer.from(taken[0]!.bytes).toString(), 'a.bin');
  t.same(fs.readdirSync(path.join(dir, 'done')).sort(), ['a.bin', 'b.bin', 'c.bin']);
  t.same(fs.readdirSync(inDir).sort(), ['.hidden', 'c.bin.part', 'd.tmp']);
});

t.test('a new watcher of the same folder (a reload) does not take what the old one has in flight', async (t) => {
  const dir = folder();
  fs.writeFileSync(path.join(dir, 'x.bin'), 'x');
  const claimed = new Set<string>();
  let held: InputItem | undefined;
  const old = new DirectorySource({ path: dir, done: path.join(dir, 'done'), pollMs: 50 }, null, claimed, noLog);
  await old.start(async (item) => {
    held = item; // in flight: not settled yet
  });
  await until(() => held !== undefined, 'the old watcher takes x.bin');
  await old.stop();
  const again: string[] = [];
  const next = new DirectorySource({ path: dir, done: path.join(dir, 'done'), pollMs: 50 }, null, claimed, noLog);
  await next.start(async (item) => {
    again.push(item.id);
    await item.settle();
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.same(again, [], 'x.bin is in flight on the old generation');
  await held!.settle();
  fs.writeFileSync(path.join(dir, 'y.bin'), 'y');
  await until(() => again.length === 1, 'the new watcher takes new files');
  await next.stop();
  t.same(again, ['y.bin']);
  t.same(fs.readdirSync(path.join(dir, 'done')).sort(), ['x.bin', 'y.bin']);
});

t.test('without done/: the ledger keeps a restart off the inputs already processed; a retried input is taken again', async (t) => {
  const dir = folder();
  const inDir = path.join(dir, 'in');
  fs.mkdirSync(inDir);
  for (const name of ['a.bin', 'b.bin']) fs.writeFileSync(path.join(inDir, name), name);
  const ledgerFile = path.join(dir, 'state', 'processed.txt');
  const run = async (settleIf: (id: string) => boolean, expect: number) => {
    const taken: string[] = [];
    const source = new DirectorySource({ path: inDir, pollMs: 50 }, await Ledger.open(ledgerFile), new Set(), noLog);
    await source.start(async (item) => {
      taken.push(item.id);
      if (settleIf(item.id)) await item.settle();
      else item.retry();
    });
    await until(() => taken.length >= expect, `${expect} inputs`);
    await source.stop();
    return taken;
  };
  // b.bin's result cannot be written: retried, so taken again on the next scan.
  const first = await run((id) => id === 'a.bin', 3);
  t.same(first.slice(0, 3), ['a.bin', 'b.bin', 'b.bin']);
  const second = await run(() => true, 1);
  t.same(second, ['b.bin'], 'after a restart only the input without a result');
  fs.rmSync(path.join(inDir, 'a.bin'));
  await Ledger.open(ledgerFile);
  t.same(fs.readFileSync(ledgerFile, 'utf8'), `${path.join(inDir, 'b.bin')}\n`, 'entries of files no longer there are dropped at open');
});
