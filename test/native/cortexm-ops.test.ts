// The Cortex-M kernels (native/kernels/cortexm/) built for the host give the reference kernels'
// bytes: on every differential case (randomized shapes, padding, strides, dilation, depth
// multipliers, extreme -128/127 weights and inputs, ADD scale ratios and zero points) and on every
// golden case of the shipped models.
// Their requantization equals the reference's on edge and pseudo-random values. The DSP (SMLAD)
// paths compile only for Cortex-M33/M4/M7: test/mcu/cortexm-kernels.test.ts runs them under QEMU.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileGraph } from '../../src/compile/program';
import { readModelFile } from '../../src/model/reader';
import { differentialCases } from '../lib/differential-cases';
import { goldenCases, shippedModels } from '../lib/models';
import { coreSources, repoRoot } from '../lib/native-core';
import { cortexmSources } from '../../src/mcu/core-sources';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-cortexm-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const harness = path.join(dir, 'cortexm_ops_diff');

t.before(() => {
  execFileSync('g++', ['-std=c++17', '-O2', '-Wall', '-Wextra', '-Werror', '-fno-exceptions', '-Inative', ...coreSources, ...cortexmSources,
    'test/native/cortexm_ops_diff.cc', '-o', harness], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
});

/** Runs the harness over `runs` (a Program and its input files each); one result line per run. */
function compare(runs: { program: Uint8Array; inputs: Uint8Array[] }[]): string[] {
  const lines = runs.map((run, i) => {
    const programFile = path.join(dir, `p${i}.cprog`);
    fs.writeFileSync(programFile, run.program);
    const inputFiles = run.inputs.map((bytes, k) => {
      const f = path.join(dir, `p${i}_in${k}.bin`);
      fs.writeFileSync(f, bytes);
      return f;
    });
    return [programFile, ...inputFiles].join(' ');
  });
  const manifest = path.join(dir, 'manifest.txt');
  fs.writeFileSync(manifest, lines.join('\n') + '\n');
  const r = spawnSync(harness, [manifest], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`harness exited ${r.status}: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

t.test('requantization equals the reference on edge and pseudo-random values', async (t) => {
  const r = spawnSync(harness, ['--requantize'], { encoding: 'utf8' });
  const [, cases, differing] = r.stdout.trim().split(' ');
  t.ok(Number(cases) > 100_000, `${cases} cases`);
  t.equal(differing, '0', `no case differs ${r.stderr}`);
});

t.test('every differential case gives the reference bytes', async (t) => {
  const cases = differentialCases();
  const runs: { program: Uint8Array; inputs: Uint8Array[] }[] = [];
  const labels: string[] = [];
  for (const c of cases) {
    const program = compileGraph(c.graph).bytes;
    for (const [k, inputs] of c.inputs.entries()) {
      runs.push({ program, inputs });
      labels.push(`${c.label} (${['random', 'all -128', 'all 127'][k]})`);
    }
  }
  const results = compare(runs);
  t.equal(results.length, runs.length, 'one result per run');
  const failed = results.map((r, i) => [r, labels[i]]).filter(([r]) => !r!.startsWith('ok '));
  t.same(failed, [], 'no run differs');
  const notAccelerated = results.filter((r) => / accelerated=0$/.test(r));
  t.same(notAccelerated, [], 'the Cortex-M kernels ran every case (conv, depthwise, fully connected, same-shape add)');
});

t.test('every golden case of the shipped models gives the reference bytes', async (t) => {
  for (const m of shippedModels().filter((x) => x.hasGoldens)) {
    const compiled = compileGraph(readModelFile(m.file));
    const runs = goldenCases(m).map((c) => ({
      program: compiled.bytes,
      inputs: compiled.inputs.map((id) => new Uint8Array(fs.readFileSync(path.join(m.dir, c, `t${compiled.tensors[id]!.sourceIndex}.bin`)))),
    }));
    const results = compare(runs);
    t.ok(results.length >= 4, `${m.name}: ${results.length} cases`);
    t.ok(results.every((r) => /^ok \d+ accelerated=[1-9]/.test(r)), `${m.name}: ${results.join('; ')}`);
  }
});
