// The CLI's error contract, through bin/cleave as a user runs it: a failure prints one line
// `cleave: ...` (never a stack trace) and exits with its class's status: bad input 1, usage 2,
// unavailable 69, internal 70 (src/errors.ts, docs/errors.md). Internal errors are also checked
// in-process, since a working cleave has no way to provoke one from the command line.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleave, repoRoot, type CliResult } from '../lib/cli';
import { shippedModels } from '../lib/models';
import { CleaveError, ERROR_CODES, EXIT_STATUS, fromNative } from '../../src/errors';
import { reportFailure } from '../../src/cli/main';
import { spawnSync } from 'node:child_process';
import { binding } from '../../src/native';
import { KERNEL_SETS } from '../../src/session';
import { INPUT_FORMATS } from '../../src/io/tensor-input';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-errors-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const kws = shippedModels().find((m) => m.name === 'mlperf_tiny_kws')!;
const input = path.join(kws.dir, 'real_kws_input0', 't0.bin');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** One `cleave: ...` line on stderr matching `message`, no stack, and `status`. */
function failsWith(t: Tap.Test, r: CliResult, status: number, message: RegExp): void {
  t.equal(r.signal, null, 'not killed by a signal');
  t.equal(r.status, status, `exit status\n${r.stderr}`);
  t.match(r.stderr, /^cleave: [^\n]+\n$/, 'exactly one line, starting "cleave: "');
  t.match(r.stderr, message);
  t.notMatch(r.stderr, /\n {4}at |internal error/, 'no stack trace, not an internal error');
}

t.test('a missing model file: bad input, 1', async (t) => {
  const missing = path.join(tmp, 'no-such-model.tflite');
  failsWith(t, cleave(['run', missing, '-i', input]), 1, new RegExp(`^cleave: ${escape(missing)}: .*no such file`));
});

t.test('a malformed model: bad input, 1, naming the file and byte offset', async (t) => {
  const cut = path.join(tmp, 'cut.tflite');
  fs.writeFileSync(cut, fs.readFileSync(kws.file).subarray(0, 4000));
  failsWith(t, cleave(['run', cut, '-i', input]), 1, new RegExp(`^cleave: ${escape(cut)}: .*byte offset \\d+`));
  const neither = path.join(tmp, 'neither.tflite');
  fs.writeFileSync(neither, 'not a model at all');
  failsWith(t, cleave(['run', neither, '-i', input]), 1, /neither a cleave Program .* nor a TFLite model/);
});

t.test('a damaged Program: bad input, 1, naming the file', async (t) => {
  const damaged = path.join(tmp, 'damaged.cprog');
  t.equal(cleave(['compile', kws.file, '-o', damaged]).status, 0);
  const bytes = fs.readFileSync(damaged);
  bytes[bytes.length - 50] ^= 1;
  fs.writeFileSync(damaged, bytes);
  failsWith(t, cleave(['run', damaged, '-i', input]), 1, new RegExp(`^cleave: ${escape(damaged)}: .*checksum`));
});

t.test('an unknown kernel set: usage, 2, naming the valid ones', async (t) => {
  failsWith(t, cleave(['run', kws.file, '-i', input, '--kernels', 'bogus']), 2,
    /^cleave: --kernels: kernel set "bogus" does not exist; valid: auto, reference, avx512-vnni, avx2, neon, neon-dotprod$/m);
  const elsewhere = binding.cpuFeatures().arch === 'arm64' ? 'avx2' : 'neon';
  failsWith(t, cleave(['run', kws.file, '-i', input, '--kernels', elsewhere]), 2,
    new RegExp(`^cleave: kernel set "${elsewhere}" is not available on this CPU \\(\\w+\\); available here: auto, reference`));
});

t.test('--help lists every valid value of a flag with fixed values', async (t) => {
  const help = cleave(['run', '--help']).stdout.replace(/\s+/g, ' ');
  t.match(help, `(one of: ${KERNEL_SETS.join(', ')})`, 'kernel sets');
  t.match(help, `(one of: ${INPUT_FORMATS.join(', ')})`, 'input formats');
});

t.test('numeric flags are strict: the flag, the text as given and what it must be', async (t) => {
  const run = (flag: string, value: string) => cleave(['run', kws.file, '-i', input, flag, value]);
  for (const value of ['0x2', '1e2', ' 5', '5 ', '+5', '2.0', 'abc', '', '-1', '0']) {
    failsWith(t, run('--repeat', value), 2, new RegExp(`^cleave: --repeat must be a positive integer, got ${escape(JSON.stringify(value))}$`, 'm'));
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

t.test('file problems are one line "cleave: PATH: reason", exit 1, and output paths are checked before any run', async (t) => {
  const missingDir = path.join(tmp, 'no-such-dir');
  const slow = ['-n', '100000000'];  // would take hours if it ran before the check
  failsWith(t, cleave(['run', kws.file, '-i', input, ...slow, '-o', path.join(missingDir, 'out.bin')], { timeout: 60_000 }), 1,
    new RegExp(`^cleave: ${escape(path.join(missingDir, 'out.bin'))}: cannot write: directory ${escape(missingDir)} does not exist$`, 'm'));
  failsWith(t, cleave(['run', kws.file, '-i', input, ...slow, '-o', tmp], { timeout: 60_000 }), 1, new RegExp(`^cleave: ${escape(tmp)}: cannot write: is a directory$`, 'm'));
  failsWith(t, cleave(['run', kws.file, '-i', input, '-o', '/dev/full']), 1, /^cleave: \/dev\/full: cannot write output "[^"]+": no space left on device$/m);
  failsWith(t, cleave(['compile', kws.file, '-o', '/dev/full']), 1, /^cleave: \/dev\/full: cannot write Program: no space left on device$/m);
  failsWith(t, cleave(['compile', kws.file, '-o', tmp]), 1, new RegExp(`^cleave: ${escape(tmp)}: cannot write: is a directory$`, 'm'));
  failsWith(t, cleave(['compile', kws.file, '-o', path.join(missingDir, 'm.cprog')]), 1, /cannot write: directory .* does not exist$/m);
  const aFile = path.join(tmp, 'a-file');
  fs.writeFileSync(aFile, 'x');
  failsWith(t, cleave(['run', kws.file, '-i', input, '--outputs', aFile]), 1, new RegExp(`^cleave: ${escape(aFile)}: cannot write: not a directory$`, 'm'));
  failsWith(t, cleave(['split', kws.file, '--at', '5', '-o', path.join(aFile, 'sub')]), 1, /cannot create directory: a component of the path is not a directory$/m);
  // Unreadable inputs: a directory, a path through a file, a missing file.
  failsWith(t, cleave(['run', kws.file, '-i', tmp]), 1, new RegExp(`^cleave: ${escape(tmp)}: cannot read input: is a directory$`, 'm'));
  failsWith(t, cleave(['run', kws.file, '-i', path.join(aFile, 'x')]), 1, /cannot read input: a component of the path is not a directory$/m);
  failsWith(t, cleave(['run', kws.file, '-i', input, '--labels', path.join(tmp, 'none.txt')]), 1, /none\.txt: cannot read labels: no such file or directory$/m);
  failsWith(t, cleave(['inspect', tmp]), 1, new RegExp(`^cleave: ${escape(tmp)}: cannot read model: is a directory$`, 'm'));
});

t.test('a file without read permission: EACCES in one line', { skip: process.getuid?.() === 0 ? 'running as root, which reads any file' : false }, async (t) => {
  const locked = path.join(tmp, 'locked.bin');
  fs.writeFileSync(locked, Buffer.alloc(490));
  fs.chmodSync(locked, 0o000);
  failsWith(t, cleave(['run', kws.file, '-i', locked]), 1, /locked\.bin: cannot read input: permission denied$/m);
});

t.test('compile never overwrites its input; without -o it writes MODEL.cprog beside the model', async (t) => {
  const copy = path.join(tmp, 'kws.tflite');
  fs.copyFileSync(kws.file, copy);
  failsWith(t, cleave(['compile', copy, '-o', copy]), 2, new RegExp(`^cleave: ${escape(copy)}: is the model being compiled; name another output with -o$`, 'm'));
  fs.symlinkSync(copy, path.join(tmp, 'link.tflite'));
  failsWith(t, cleave(['compile', copy, '-o', path.join(tmp, 'link.tflite')]), 2, /is the model being compiled/);
  t.same(fs.readFileSync(copy), fs.readFileSync(kws.file), 'the model is untouched');
  const r = cleave(['compile', copy]);
  t.equal(r.status, 0, r.stderr);
  t.ok(fs.existsSync(path.join(tmp, 'kws.cprog')), 'kws.cprog');
  const program = path.join(tmp, 'kws.cprog');
  failsWith(t, cleave(['compile', program]), 2, /kws\.cprog: is the model being compiled/);
});

t.test('a directory named explicitly with --cases must exist', async (t) => {
  const missing = path.join(tmp, 'no-cases');
  failsWith(t, cleave(['split', kws.file, '--at', '5', '--weights', 'int4:1', '--cases', missing, '-o', path.join(tmp, 'int4')]), 1,
    new RegExp(`^cleave: ${escape(missing)}: cannot read --cases directory: no such file or directory$`, 'm'));
  failsWith(t, cleave(['codecs', kws.file, '--at', '5', '--cases', missing]), 1, /cannot read --cases directory: no such file or directory$/m);
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

t.test('bad flag values and unknown options: usage, 2', async (t) => {
  failsWith(t, cleave(['run', kws.file, '-i', input, '--repeat', 'zero']), 2, /^cleave: --repeat must be a positive integer, got "zero"/);
  failsWith(t, cleave(['run', kws.file, '-i', input, '--threads', '0']), 2, /threads must be an integer from 1 to 256, got "0"/);
  // Commander's own usage errors print commander's line ("error: ...") and exit 2 too.
  const unknown = cleave(['run', kws.file, '--bogus']);
  t.equal(unknown.status, 2, unknown.stderr);
  t.match(unknown.stderr, /^error: unknown option '--bogus'\n$/);
  const missing = cleave(['run']);
  t.equal(missing.status, 2, missing.stderr);
  t.match(missing.stderr, /missing required argument 'model'/);
  t.equal(cleave(['nonsense']).status, 2, 'unknown command');
  t.equal(cleave(['--help']).status, 0, '--help is not an error');
  t.equal(cleave(['--version']).status, 0, '--version is not an error');
});

t.test('a missing tool: unavailable, 69', async (t) => {
  failsWith(t, cleave(['energy', '--', '/nonexistent/cleave-command']), 69, /^cleave: \/nonexistent\/cleave-command: cannot run \(command not found\)/);
});

t.test('--help documents the exit statuses', async (t) => {
  const help = cleave(['--help']).stdout;
  for (const [cls, status] of Object.entries(EXIT_STATUS)) {
    t.match(help, new RegExp(`^ {2}${status} +${cls === 'input' ? 'bad input' : cls === 'internal' ? 'internal error' : cls}:`, 'm'), `${cls} ${status}`);
  }
  t.match(help, /docs\/errors\.md/);
});

t.test('an internal error: one line saying how to get the stack, 70; the stack with CLEAVE_DEBUG=1', async (t) => {
  const bug = new TypeError("Cannot read properties of undefined (reading 'shape')");
  const quiet = reportFailure(bug, false);
  t.equal(quiet.status, 70);
  t.equal(quiet.text, "cleave: internal error: Cannot read properties of undefined (reading 'shape') (a bug in cleave; rerun with CLEAVE_DEBUG=1 for the stack)");
  const loud = reportFailure(bug, true);
  t.equal(loud.status, 70);
  t.match(loud.text, /^cleave: internal error: Cannot read properties[^\n]*\nTypeError: [^\n]*\n {4}at /);

  // A native error without a status code is a glue bug: INTERNAL, its stack kept as the cause.
  const native = fromNative(new Error('unexpected'), 'model.cprog');
  t.equal(native.code, 'INTERNAL');
  t.equal(reportFailure(native, false).status, 70);
  t.match(reportFailure(native, true).text, /\ncaused by: Error: unexpected\n {4}at /);
});

t.test('user errors print no stack even with CLEAVE_DEBUG=1', async (t) => {
  const r = cleave(['run', path.join(tmp, 'absent.tflite'), '-i', input], { env: { CLEAVE_DEBUG: '1' } });
  failsWith(t, r, 1, /absent\.tflite: .*no such file/);
  t.same(reportFailure(new CleaveError('BAD_CUT', 'x.tflite: no cut given'), true), { text: 'cleave: x.tflite: no cut given', status: 2 });
});

t.test('fromNative takes the code, never the message', async (t) => {
  const coded = Object.assign(new Error('kernel set "x" is not available'), { code: 'PROGRAM_CHECKSUM' });
  const e = fromNative(coded, 'm.cprog');
  t.equal(e.code, 'PROGRAM_CHECKSUM', 'the code wins over what the text looks like');
  t.equal(e.message, 'm.cprog: kernel set "x" is not available');
  t.equal(e.errorClass, 'input');
  t.equal(fromNative(Object.assign(new Error('x'), { code: 'NOT_A_CODE' }), 'm').code, 'INTERNAL', 'an unknown code is a bug');
  const already = new CleaveError('BAD_INPUT', 'm: 1 input expected');
  t.equal(fromNative(already, 'other'), already, 'a CleaveError passes through');
});

t.test('docs/errors.md lists every code with its class, exit status and meaning', async (t) => {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'errors.md'), 'utf8');
  const rows = new Map([...doc.matchAll(/^\| `([A-Z0-9_]+)` \| (\w+) \| (\d+) \| (.+) \|$/gm)].map((m) => [m[1]!, [m[2], Number(m[3]), m[4]]]));
  t.same([...rows.keys()].sort(), Object.keys(ERROR_CODES).sort(), 'the same codes');
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    t.same(rows.get(code), [info.class, EXIT_STATUS[info.class], info.meaning.replace(/\|/g, '\\|')], code);
  }
});
