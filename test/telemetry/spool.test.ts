// The disk spool: order, acknowledgement across reopen, torn and corrupt frames, the size bound, and
// a writer killed with SIGKILL.
import t from 'tap';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Spool } from '../../src/telemetry';
import { repoRoot } from '../lib/cli';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-spool-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const freshDir = () => path.join(tmp, `s${n++}`);

function readAll(spool: Spool, ack = true): string[] {
  const out: string[] = [];
  for (let e = spool.next(); e; e = spool.next()) {
    out.push(e.payload.toString());
    if (ack) spool.ack(e.end);
  }
  return out;
}

const numbered = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `record ${from + i}`);

t.test('records come back in order; acknowledged ones are not read again after reopening', async (t) => {
  const dir = freshDir();
  let spool = Spool.open(dir, { segmentBytes: 64, maxBytes: 1 << 20 });
  for (const r of numbered(0, 10)) spool.append(Buffer.from(r));
  t.equal(spool.pending, 10);
  const firstThree = [spool.next()!, spool.next()!, spool.next()!];
  t.same(firstThree.map((e) => e.payload.toString()), numbered(0, 3));
  for (const e of firstThree) spool.ack(e.end);
  spool.close();
  t.ok(fs.readdirSync(dir).filter((f) => f.endsWith('.seg')).length > 1, 'several segments (64 bytes each)');
  spool = Spool.open(dir, { segmentBytes: 64, maxBytes: 1 << 20 });
  t.equal(spool.pending, 7, 'the unacknowledged records survive a reopen');
  t.same(readAll(spool), numbered(3, 10));
  t.equal(spool.pending, 0);
  t.equal(fs.readdirSync(dir).filter((f) => f.endsWith('.seg')).length, 1, 'delivered segments are deleted');
  spool.append(Buffer.from('after'));
  t.same(readAll(spool), ['after']);
  spool.close();
});

t.test('a torn last record is cut off and counted; appending goes on after it', async (t) => {
  const dir = freshDir();
  let spool = Spool.open(dir);
  for (const r of numbered(0, 3)) spool.append(Buffer.from(r));
  spool.close();
  const seg = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.seg'))!);
  const torn = Buffer.alloc(8 + 10);
  torn.writeUInt32LE(100, 0); // claims 100 payload bytes, has 10: a write cut short by a power loss
  fs.appendFileSync(seg, torn);
  spool = Spool.open(dir);
  t.equal(spool.corrupt, 1, 'the torn frame is detected');
  t.equal(spool.pending, 3);
  spool.append(Buffer.from('record 3'));
  t.same(readAll(spool), numbered(0, 4), 'the torn frame is skipped, nothing else lost');
  spool.close();
});

t.test('a corrupt record inside an older segment skips the rest of that segment only', async (t) => {
  const dir = freshDir();
  let spool = Spool.open(dir, { segmentBytes: 40, maxBytes: 1 << 20 });
  for (const r of numbered(0, 6)) spool.append(Buffer.from(r)); // 16-byte frames: 2 per segment
  spool.close();
  const segs = fs.readdirSync(dir).filter((f) => f.endsWith('.seg')).sort();
  t.equal(segs.length, 3);
  const first = path.join(dir, segs[0]!);
  const bytes = fs.readFileSync(first);
  bytes[bytes.length - 1] ^= 0xff; // damage record 1's payload: its CRC no longer matches
  fs.writeFileSync(first, bytes);
  spool = Spool.open(dir, { segmentBytes: 40, maxBytes: 1 << 20 });
  t.same(readAll(spool), ['record 0', ...numbered(2, 6)]);
  t.equal(spool.corrupt, 1);
  spool.close();
});

t.test('when full, the oldest records go and are counted once', async (t) => {
  const dir = freshDir();
  // 16-byte frames, 4 per 64-byte segment, at most 3 segments.
  const spool = Spool.open(dir, { segmentBytes: 64, maxBytes: 192 });
  for (const r of numbered(0, 20)) spool.append(Buffer.from(r.padEnd(8).slice(0, 8)));
  const dropped = spool.takeDropped();
  t.equal(spool.pending + dropped, 20, 'every record is either still spooled or counted as dropped');
  t.equal(dropped, 8, 'two whole segments of 4 records');
  t.equal(spool.takeDropped(), 0, 'the count resets once taken');
  const kept = readAll(spool);
  t.same(kept, numbered(8, 20).map((r) => r.padEnd(8).slice(0, 8)), 'the newest records, in order');
  t.ok(fs.readdirSync(dir).filter((f) => f.endsWith('.seg')).length <= 3);
  spool.close();
});

t.test('a damaged cursor replays from the oldest segment: duplicates, never loss', async (t) => {
  const dir = freshDir();
  let spool = Spool.open(dir);
  for (const r of numbered(0, 4)) spool.append(Buffer.from(r));
  const e = spool.next()!;
  spool.ack(e.end);
  spool.close();
  fs.writeFileSync(path.join(dir, 'cursor'), Buffer.alloc(16, 7));
  spool = Spool.open(dir);
  t.same(readAll(spool), numbered(0, 4));
  spool.close();
});

t.test('a writer killed with SIGKILL loses nothing it had spooled', async (t) => {
  const dir = freshDir();
  // The child appends and prints each record's number once append() returned; the test kills it mid-stream.
  const script = `
    const { Spool } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'src', 'telemetry'))});
    const spool = Spool.open(process.argv[1], { segmentBytes: 4096 });
    let i = 0;
    const tick = () => { for (let k = 0; k < 50; k++, i++) { spool.append(Buffer.from('record ' + i)); process.stdout.write(i + '\\n'); } setImmediate(tick); };
    tick();`;
  const child = spawn(process.execPath, ['-e', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let confirmed = -1;
  await new Promise<void>((resolve) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      confirmed = Number(line);
      if (confirmed >= 3000) {
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  await new Promise((resolve) => child.once('exit', resolve));
  t.equal(child.signalCode, 'SIGKILL');
  const spool = Spool.open(dir, { segmentBytes: 4096 });
  const got = readAll(spool);
  t.ok(got.length >= confirmed + 1, `all ${confirmed + 1} confirmed records are there (${got.length} spooled)`);
  t.same(got, numbered(0, got.length), 'in order, without gaps or duplicates');
  spool.close();
});
