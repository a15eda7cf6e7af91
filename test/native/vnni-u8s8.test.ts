// The VNNI set's u8s8 arithmetic (activation shift, bias fold, weights of -128, every tile) with
// vpdpbusd emulated in AVX2 equals the s16 form (test/native/vnni_u8s8_emulated_test.cc), so it is
// checked on CPUs without AVX-512 VNNI too. x86-64 with AVX2 only.
import t from 'tap';
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { binding } from '../../src/native';
import { repoRoot } from '../lib/cli';

const features = binding.cpuFeatures();

t.test('the VNNI u8s8 product, vpdpbusd emulated, equals the s16 form', { skip: features.avx2 ? false : `no AVX2 on this ${features.arch} CPU` }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-vnni-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const exe = path.join(dir, 'vnni_u8s8_emulated_test');
  const build = spawnSync('g++', ['-std=c++17', '-O2', '-mavx2', '-mfma', '-Wall', '-Wextra', '-Werror', '-Wno-unused-parameter', '-Inative',
    'native/kernels/common.cc', 'test/native/vnni_u8s8_emulated_test.cc', '-o', exe], { cwd: repoRoot, encoding: 'utf8' });
  t.equal(build.status, 0, build.stderr);
  const run = spawnSync(exe, [], { encoding: 'utf8' });
  t.equal(run.status, 0, run.stdout);
  t.match(run.stdout, /^ok 1 - 4032 emulated vpdpbusd products equal the s16 form/);
});
