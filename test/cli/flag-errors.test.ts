// Flag values, strictly: numbers as decimal digits only, cut lists increasing without gaps or
// repeats, fixed choices (kernel sets, input formats) listed in --help and named when wrong. Each
// a one-line `cleave: ...` usage error, exit 2, no stack (docs/errors.md).
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cleave, escapeRegExp, failsWith, repoRoot } from '../lib/cli';
import { shippedModels } from '../lib/models';
import { KERNEL_SETS } from '../../src/session';
import { INPUT_FORMATS } from '../../src/io/tensor-input';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-flag-errors-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const kws = shippedModels().find((m) => m.name === 'mlperf_tiny_kws')!;
const input = path.join(kws.dir, 'real_kws_input0', 't0.bin');

t.test('--help lists every valid value of a flag with fixed values', async (t) => {
  const help = cleave(['run', '--help']).stdout.replace(/\s+/g, ' ');
  t.match(help, `(one of: ${KERNEL_SETS.join(', ')})`, 'kernel sets');
  t.match(help, `(one of: ${INPUT_FORMATS.join(', ')})`, 'input formats');
});

t.test('numeric flags are strict: the flag, the text as given and what it must be', async (t) => {
  const run = (flag: string, value: string) => cleave(['run', kws.file, '-i', input, flag, value]);
  for (const value of ['0x2', '1e2', ' 5', '5 ', '+5', '2.0', 'abc', '', '-1', '0']) {
    failsWith(t, run('--repeat', value), 2, new RegExp(`^cleave: --repeat must be a positive integer, got ${escapeRegExp(JSON.stringify(value))}$`, 'm'));
  }
  const threads = run('--threads', 'abc');
  failsWith(t, threads, 2, /^cleave: --threads must be an integer from 1 to 256, got "abc"$/m);
  t.notMatch(threads.stderr, /NaN/);
  failsWith(t, run('--top', '1e2'), 2, /^cleave: --top must be an integer from 1 to 1000, got "1e2"$/m);
  failsWith(t, run('--input-range', '0x0,255'), 2, /^cleave: --input-range must be a decimal number, got "0x0"$/m);
  failsWith(t, run('--input-range', '1,0'), 2, /^cleave: --input-range: LOW must be below HIGH, got "1,0"$/m);
});

t.test('cut lists are strict: empty items, duplicates and unordered cuts are refused with the reason', async (t) => {
  const split = (at: string) => cleave(['split', kws.file, '--at', at, '-o', path.join(tmp, 'cuts-never-written')]);
  failsWith(t, split('5,,8'), 2, /^cleave: --at: empty item 2 in "5,,8"$/m);
  failsWith(t, split('5,5'), 2, /^cleave: --at: 5 is given twice in "5,5"$/m);
  failsWith(t, split('8,5'), 2, /^cleave: --at: 5 comes after 8 in "8,5"; list them in increasing order$/m);
  failsWith(t, split(' 5'), 2, /^cleave: --at must be an integer, got " 5"$/m);
  failsWith(t, split('0x5'), 2, /^cleave: --at must be an integer, got "0x5"$/m);
  failsWith(t, cleave(['codecs', kws.file, '--at', '5,,8']), 2, /^cleave: --at: empty item 2/m);
  failsWith(t, cleave(['split', kws.file, '--at', '5', '--weights', 'int4:1,1', '-o', path.join(tmp, 'w')]), 2, /^cleave: --weights: 1 is given twice/m);
  t.notOk(fs.existsSync(path.join(tmp, 'cuts-never-written')), 'nothing written');
});

t.test('npm run fuzz -- --help prints usage instead of starting a run', async (t) => {
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'test', 'fuzz', 'run-fuzz.js'), '--help'], { encoding: 'utf8', timeout: 30_000 });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^usage: npm run fuzz -- /m);
  t.match(r.stdout, /--mutants N/);
  const bad = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'test', 'fuzz', 'run-fuzz.js'), '--mutants', '1e3'], { encoding: 'utf8', timeout: 30_000 });
  t.equal(bad.status, 2);
  t.match(bad.stderr, /--mutants must be an integer ≥ 0, got "1e3"/);
});

