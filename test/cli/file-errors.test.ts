// File problems as a user meets them: a missing directory, an output that is a directory, a full
// device, an unreadable input, a --cases directory that does not exist. Each is one line
// `cleave: PATH: reason` with the documented exit status (docs/errors.md), and output paths are
// checked before the work starts.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { prepareOutputDir } from '../../src/io/files';
import { cleave, escapeRegExp, failsWith } from '../lib/cli';
import { shippedModels } from '../lib/models';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-file-errors-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const kws = shippedModels().find((m) => m.name === 'mlperf_tiny_kws')!;
const input = path.join(kws.dir, 'real_kws_input0', 't0.bin');

t.test('file problems are one line "cleave: PATH: reason", exit 1, and output paths are checked before any run', async (t) => {
  const missingDir = path.join(tmp, 'no-such-dir');
  const slow = ['-n', '100000000'];  // would take hours if it ran before the check
  failsWith(t, cleave(['run', kws.file, '-i', input, ...slow, '-o', path.join(missingDir, 'out.bin')], { timeout: 60_000 }), 1,
    new RegExp(`^cleave: ${escapeRegExp(path.join(missingDir, 'out.bin'))}: cannot write: directory ${escapeRegExp(missingDir)} does not exist$`, 'm'));
  failsWith(t, cleave(['run', kws.file, '-i', input, ...slow, '-o', tmp], { timeout: 60_000 }), 1, new RegExp(`^cleave: ${escapeRegExp(tmp)}: cannot write: is a directory$`, 'm'));
  failsWith(t, cleave(['run', kws.file, '-i', input, '-o', '/dev/full']), 1, /^cleave: \/dev\/full: cannot write output "[^"]+": no space left on device$/m);
  failsWith(t, cleave(['compile', kws.file, '-o', '/dev/full']), 1, /^cleave: \/dev\/full: cannot write Program: no space left on device$/m);
  failsWith(t, cleave(['compile', kws.file, '-o', tmp]), 1, new RegExp(`^cleave: ${escapeRegExp(tmp)}: cannot write: is a directory$`, 'm'));
  failsWith(t, cleave(['compile', kws.file, '-o', path.join(missingDir, 'm.cprog')]), 1, /cannot write: directory .* does not exist$/m);
  const aFile = path.join(tmp, 'a-file');
  fs.writeFileSync(aFile, 'x');
  failsWith(t, cleave(['run', kws.file, '-i', input, '--outputs', aFile]), 1, new RegExp(`^cleave: ${escapeRegExp(aFile)}: cannot write: not a directory$`, 'm'));
  failsWith(t, cleave(['split', kws.file, '--at', '5', '-o', path.join(aFile, 'sub')]), 1, /cannot write: a component of the path is not a directory$/m);
  // Unreadable inputs: a directory, a path through a file, a missing file.
  failsWith(t, cleave(['run', kws.file, '-i', tmp]), 1, new RegExp(`^cleave: ${escapeRegExp(tmp)}: cannot read input: is a directory$`, 'm'));
  failsWith(t, cleave(['run', kws.file, '-i', path.join(aFile, 'x')]), 1, /cannot read input: a component of the path is not a directory$/m);
  failsWith(t, cleave(['run', kws.file, '-i', input, '--labels', path.join(tmp, 'none.txt')]), 1, /none\.txt: cannot read labels: no such file or directory$/m);
  failsWith(t, cleave(['inspect', tmp]), 1, new RegExp(`^cleave: ${escapeRegExp(tmp)}: cannot read model: is a directory$`, 'm'));
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
  failsWith(t, cleave(['compile', copy, '-o', copy]), 2, new RegExp(`^cleave: ${escapeRegExp(copy)}: is the model being compiled; name another output with -o$`, 'm'));
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
    new RegExp(`^cleave: ${escapeRegExp(missing)}: cannot read --cases directory: no such file or directory$`, 'm'));
  failsWith(t, cleave(['codecs', kws.file, '--at', '5', '--cases', missing]), 1, /cannot read --cases directory: no such file or directory$/m);
});


t.test('output directories: missing parents are made; a folder that refuses new entries is an error, not a hang', async (t) => {
  const deep = path.join(tmp, 'made', 'a', 'b');
  await prepareOutputDir(deep);
  t.ok(fs.statSync(deep).isDirectory(), 'every missing level made');
  await prepareOutputDir(deep);
  t.pass('an existing directory is fine');
  // Node's own recursive mkdir never returns here (ENOENT from a folder that exists).
  const refused = { skip: fs.existsSync('/proc/self') ? false : 'no /proc here' };
  t.test('/proc', refused, async (t) => {
    await t.rejects(prepareOutputDir('/proc/cleave-out/sub'), { code: 'WRITE_FAILED', message: '/proc/cleave-out: cannot create directory: /proc does not take new directories' });
    failsWith(t, cleave(['run', kws.file, '--inputs', path.join(kws.dir, 'real_kws_input0'), '--outputs', '/proc/cleave-out']), 1,
      /^cleave: \/proc\/cleave-out: cannot create directory: \/proc does not take new directories$/m);
    // `cleave plan -o` writes the chosen plan's folder after the search (it used to hang there).
    const hello = shippedModels().find((m) => m.name === 'tflm_hello_world')!;
    const plan = cleave(['plan', hello.file, '--device', 'a=host-x86_64', '--device', 'b=host-x86_64', '--link', 'a-b=tcp:20mbit:5ms', '-o', '/proc/cleave-plan']);
    t.equal(plan.status, 1, `exits 1 (signal ${plan.signal})`);
    t.match(plan.stderr, /^cleave: \/proc\/cleave-plan: cannot create directory: \/proc does not take new directories$/m);
  });
});
