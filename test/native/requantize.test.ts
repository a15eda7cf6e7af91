// The AVX2 output stage equals the scalar MultiplyByQuantizedMultiplier + offset + clamp on every
// shift in [-31, 30] with boundary and random accumulators and multipliers, per channel and per
// tensor, and on per-lane mixes in both forms (with and without a lane of shift >= 0): 16.6 million
// lanes (test/native/requantize_avx2_test.cc, under a second). x86-64 with AVX2 only.
import t from 'tap';
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { binding } from '../../src/native';
import { repoRoot } from '../lib/cli';

const features = binding.cpuFeatures();

t.test('AVX2 requantization is bit-exact', { skip: features.avx2 ? false : `no AVX2 on this ${features.arch} CPU` }, async (t) => {
  const exe = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-rq-')), 'requantize_test');
  const build = spawnSync('g++', ['-std=c++17', '-O2', '-mavx2', '-mfma', '-Wall', '-Wextra', '-Werror', '-Inative',
    'native/kernels/common.cc', 'test/native/requantize_avx2_test.cc', '-o', exe], { cwd: repoRoot, encoding: 'utf8' });
  t.equal(build.status, 0, build.stderr);
  const run = spawnSync(exe, [], { encoding: 'utf8' });
  t.equal(run.status, 0, run.stdout);
  t.match(run.stdout, /^ok 1 - every shift in \[-31, 30\], boundary and random accumulators and multipliers: 10246368 lanes equal/m);
  t.match(run.stdout, /^ok 2 - per-lane mixes of shifts, multipliers and accumulators, int8 offsets and clamps: 3200000 lanes equal/m);
  t.match(run.stdout, /^ok 3 - per-lane mixes of right shifts, multipliers and accumulators, int8 offsets and clamps: 3200000 lanes equal/m);
  t.notMatch(run.stdout, /not ok/);
});
