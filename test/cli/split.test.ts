import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cleave } from '../lib/cli';
import { modelsRoot, shippedModels } from '../lib/models';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-split-'));
const vww = shippedModels().find((m) => m.name === 'mlperf_tiny_vww')!;

t.test('cuts lists every valid cut with crossing bytes', async (t) => {
  const r = cleave(['cuts', '--json', vww.file]);
  t.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  t.equal(j.cuts.length, 30);
  t.same(j.cuts[0].tensors.map((x: { shape: number[] }) => x.shape), [[1, 48, 48, 8]]);
  t.equal(j.cuts[0].bytes, 48 * 48 * 8);
  t.match(cleave(['cuts', vww.file]).stdout, /30 valid cuts/);
});

t.test('cuts shows the MACs and weight bytes on each side of every cut; a Program is listed as one unit', async (t) => {
  const j = JSON.parse(cleave(['cuts', '--json', vww.file]).stdout);
  const inspect = JSON.parse(cleave(['inspect', '--json', vww.file]).stdout);
  const macsBefore = (p: number) => inspect.ops.slice(0, p).reduce((s: number, o: { macs: number }) => s + o.macs, 0);
  const weightsBefore = (p: number) => inspect.ops.slice(0, p).reduce((s: number, o: { weightBytes: number }) => s + o.weightBytes, 0);
  for (const c of j.cuts) {
    t.equal(c.macsBefore, macsBefore(c.position), `cut ${c.position} MACs before`);
    t.equal(c.macsBefore + c.macsAfter, inspect.totals.macs, `cut ${c.position} MACs add up`);
    t.equal(c.weightBytesBefore, weightsBefore(c.position), `cut ${c.position} weights before`);
    t.equal(c.weightBytesBefore + c.weightBytesAfter, j.weightBytes);
  }
  t.match(cleave(['cuts', vww.file]).stdout, /MACs before +MACs after +MACs % before +weight B before +weight B after/);
  const program = path.join(tmp, 'vww.cprog');
  t.equal(cleave(['compile', vww.file, '-o', program]).status, 0);
  const r = cleave(['cuts', program]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /31 ops \(CONV_2D, .*\); a compiled Program is one unit: cuts are found on the \.tflite/);
  t.same(JSON.parse(cleave(['cuts', '--json', program]).stdout).cuts, []);
});

t.test('split into a used directory removes the segment files the new plan does not use, and says so', async (t) => {
  const dir = path.join(tmp, 'reused');
  t.equal(cleave(['split', vww.file, '--at', '5,10,20', '-o', dir]).status, 0);
  t.ok(fs.existsSync(path.join(dir, 'seg3.cprog')));
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
  const r = cleave(['split', vww.file, '--at', '10', '-o', dir]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^removed seg2\.cprog, seg2\.tflite, seg3\.cprog, seg3\.tflite: segment files of an earlier split/m);
  t.same(fs.readdirSync(dir).sort(), ['notes.txt', 'plan.json', 'seg0.cprog', 'seg0.tflite', 'seg1.cprog', 'seg1.tflite'], 'other files are left alone');
});

t.test('split writes loadable segments; the plan runs and matches every golden tensor', async (t) => {
  const dir = path.join(tmp, 'vww');
  const r = cleave(['split', vww.file, '--at', '5,20', '-o', dir]);
  t.equal(r.status, 0, r.stderr);
  for (const f of ['plan.json', 'seg0.tflite', 'seg1.tflite', 'seg2.tflite', 'seg0.cprog', 'seg1.cprog', 'seg2.cprog']) t.ok(fs.existsSync(path.join(dir, f)), f);
  for (const i of [0, 1, 2]) {
    const inspect = cleave(['inspect', '--json', path.join(dir, `seg${i}.tflite`)]);
    t.equal(inspect.status, 0, inspect.stderr);
  }
  const plan = JSON.parse(fs.readFileSync(path.join(dir, 'plan.json'), 'utf8'));
  t.same(plan.segments.map((s: { ops: number[] }) => s.ops), [[0, 5], [5, 20], [20, 31]]);
  const caseDir = path.join(vww.dir, 'natural_s1002');
  const dumps = path.join(tmp, 'dumps');
  const run = cleave(['run', path.join(dir, 'plan.json'), '-i', path.join(caseDir, 't0.bin'), '--dump-tensors', path.join(dumps, 'mlperf_tiny_vww', 'natural_s1002')]);
  t.equal(run.status, 0, run.stderr);
  const v = spawnSync(process.execPath, [path.join(modelsRoot, 'verify.js'), modelsRoot, dumps, '--model', 'mlperf_tiny_vww', '--case', 'natural_s1002'], { encoding: 'utf8' });
  t.equal(v.status, 0, v.stdout);
  t.match(v.stdout, /cases: 1 passed, 0 failed/);
});

t.test('bad cuts and bad plans are refused with what is wrong', async (t) => {
  let r = cleave(['split', vww.file, '--at', '0', '-o', path.join(tmp, 'x')]);
  t.equal(r.status, 2, 'a bad --at is a usage error');
  t.match(r.stderr, /"0" is not a valid cut \(valid: 1\.\.30/);
  r = cleave(['split', vww.file, '--at', 'abc', '-o', path.join(tmp, 'x')]);
  t.equal(r.status, 2);
  t.match(r.stderr, /^cleave: --at must be an integer, got "abc"\n$/);
  const dir = path.join(tmp, 'evil');
  t.equal(cleave(['split', vww.file, '--at', '10', '-o', dir]).status, 0);
  const planPath = path.join(dir, 'plan.json');
  const plan = JSON.parse(fs.readFileSync(planPath, 'utf8'));
  plan.segments[1].program = '../../etc/passwd';
  fs.writeFileSync(planPath, JSON.stringify(plan));
  const input = path.join(vww.dir, 'natural_s1002', 't0.bin');
  r = cleave(['run', planPath, '-i', input]);
  t.equal(r.status, 1);
  t.match(r.stderr, /segment 1 program must be a file name inside the plan directory, got "\.\.\/\.\.\/etc\/passwd"/);
  fs.writeFileSync(planPath, '{"format": "something else"}');
  t.match(cleave(['run', planPath, '-i', input]).stderr, /not a cleave plan/);
  fs.writeFileSync(planPath, '{ nope');
  t.match(cleave(['run', planPath, '-i', input]).stderr, /plan\.json: not JSON/);
});
