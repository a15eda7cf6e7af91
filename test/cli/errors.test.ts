// The CLI's error contract, through bin/cleave as a user runs it: a failure prints one line
// `cleave: ...` (never a stack trace) and exits with its class's status: bad input 1, usage 2,
// unavailable 69, internal 70 (src/errors.ts, docs/errors.md). Internal errors are also checked
// in-process, since a working cleave has no way to provoke one from the command line.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleave, escapeRegExp, failsWith, repoRoot } from '../lib/cli';
import { shippedModels } from '../lib/models';
import { CleaveError, ERROR_CODES, EXIT_STATUS, fromNative } from '../../src/errors';
import { reportFailure } from '../../src/cli/main';
import { binding } from '../../src/native';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-errors-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const kws = shippedModels().find((m) => m.name === 'mlperf_tiny_kws')!;
const input = path.join(kws.dir, 'real_kws_input0', 't0.bin');

t.test('a missing model file: bad input, 1', async (t) => {
  const missing = path.join(tmp, 'no-such-model.tflite');
  failsWith(t, cleave(['run', missing, '-i', input]), 1, new RegExp(`^cleave: ${escapeRegExp(missing)}: .*no such file`));
});

t.test('a malformed model: bad input, 1, naming the file and byte offset', async (t) => {
  const cut = path.join(tmp, 'cut.tflite');
  fs.writeFileSync(cut, fs.readFileSync(kws.file).subarray(0, 4000));
  failsWith(t, cleave(['run', cut, '-i', input]), 1, new RegExp(`^cleave: ${escapeRegExp(cut)}: .*byte offset \\d+`));
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
  failsWith(t, cleave(['run', damaged, '-i', input]), 1, new RegExp(`^cleave: ${escapeRegExp(damaged)}: .*checksum`));
});

t.test('an unknown kernel set: usage, 2, naming the valid ones', async (t) => {
  failsWith(t, cleave(['run', kws.file, '-i', input, '--kernels', 'bogus']), 2,
    /^cleave: --kernels: kernel set "bogus" does not exist; valid: auto, reference, avx512-vnni, avx2, neon, neon-dotprod$/m);
  const elsewhere = binding.cpuFeatures().arch === 'arm64' ? 'avx2' : 'neon';
  failsWith(t, cleave(['run', kws.file, '-i', input, '--kernels', elsewhere]), 2,
    new RegExp(`^cleave: kernel set "${elsewhere}" is not available on this CPU \\(\\w+\\); available here: auto, reference`));
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
