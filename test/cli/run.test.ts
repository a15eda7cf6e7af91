import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cleave } from '../lib/cli';
import { modelsRoot, shippedModels } from '../lib/models';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-run-'));
const models = shippedModels();
const ic = models.find((m) => m.name === 'mlperf_tiny_ic')!;

t.test('compile, then run the Program with --dump-tensors: verify.js finds every tensor equal', async (t) => {
  const prog = path.join(tmp, 'ic.cprog');
  const c = cleave(['compile', ic.file, '-o', prog]);
  t.equal(c.status, 0, c.stderr);
  t.match(c.stdout, /arena: [\d,]+ B \(lower bound [\d,]+ B, \d+\.\d% above\)/);
  const caseDir = path.join(ic.dir, 'derived_person_gray');
  const dumpDir = path.join(tmp, 'dumps', 'mlperf_tiny_ic', 'derived_person_gray');
  const out = path.join(tmp, 'out.bin');
  const r = cleave(['run', prog, '--input', path.join(caseDir, 't0.bin'), '--output', out, '--repeat', '3', '--dump-tensors', dumpDir]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /output t37 int8\[1x10\]: /);
  t.match(r.stdout, /3 run\(s\) after 1 warm-up: mean [\d.]+ µs/);
  t.same(fs.readFileSync(out), fs.readFileSync(path.join(caseDir, 't37.bin')));
  const v = spawnSync(process.execPath, [path.join(modelsRoot, 'verify.js'), modelsRoot, path.join(tmp, 'dumps'), '--model', 'mlperf_tiny_ic', '--case', 'derived_person_gray'], { encoding: 'utf8' });
  t.equal(v.status, 0, v.stdout + v.stderr);
  t.match(v.stdout, /cases: 1 passed, 0 failed/);
});

t.test('run --json on a .tflite directly', async (t) => {
  const kws = models.find((m) => m.name === 'mlperf_tiny_kws')!;
  const r = cleave(['run', kws.file, '-i', path.join(kws.dir, 'real_kws_input0', 't0.bin'), '--json']);
  t.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  t.same(j.outputs[0].values, [-128, -128, -128, -128, -128, 127, -128, -128, -128, -128, -128, -128]);
});

t.test('bad arguments get clear errors: exit 1 for bad input, 2 for a bad flag value', async (t) => {
  const kws = models.find((m) => m.name === 'mlperf_tiny_kws')!;
  const short = path.join(tmp, 'short.bin');
  fs.writeFileSync(short, Buffer.alloc(7));
  let r = cleave(['run', kws.file, '-i', short]);
  t.equal(r.status, 1);
  t.match(r.stderr, /expects int8 \[1,49,10,1\] = 490 bytes, got 7 bytes/);
  r = cleave(['run', kws.file, '-i', path.join(tmp, 'missing.bin')]);
  t.equal(r.status, 1);
  t.match(r.stderr, /missing\.bin: cannot read input: no such file/);
  r = cleave(['run', kws.file, '-i', short, '--repeat', 'zero']);
  t.equal(r.status, 2);
  t.match(r.stderr, /--repeat must be a positive integer/);
  const damaged = path.join(tmp, 'damaged.cprog');
  t.equal(cleave(['compile', kws.file, '-o', damaged]).status, 0);
  const bytes = fs.readFileSync(damaged);
  bytes[bytes.length - 50] ^= 1;
  fs.writeFileSync(damaged, bytes);
  r = cleave(['run', damaged, '-i', short]);
  t.equal(r.status, 1);
  t.match(r.stderr, /damaged\.cprog: checksum mismatch/);
  t.equal(r.signal, null);
});

t.test('inspect reports the planned arena', async (t) => {
  const r = cleave(['inspect', '--json', ic.file]);
  const j = JSON.parse(r.stdout);
  t.ok(j.arena.bytes >= j.arena.lowerBound && j.arena.bytes <= 1.1 * j.arena.lowerBound, JSON.stringify(j.arena));
  t.match(cleave(['inspect', ic.file]).stdout, /planned arena\s+[\d,]+ B \(lower bound [\d,]+ B\)/);
});

