// The avx512-vnni set's u8s8 product on 512-bit registers (native/kernels/x86/gemm_u8s8_512.inc),
// built from the production sources with its 512-bit operations emulated in AVX2
// (test/native/vec512_emulated.h), equals the reference FULLY_CONNECTED kernel byte for byte over
// every tile edge, extreme values, zero points, shifts and activation ranges
// (test/native/vnni_u8s8_emulated_test.cc). So it is checked on CPUs without AVX-512, where the
// differential suite cannot run it. x86-64 with AVX2 only.
import t from 'tap';
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { binding } from '../../src/native';
import { repoRoot } from '../lib/cli';

const features = binding.cpuFeatures();

t.test('the 512-bit VNNI u8s8 product, emulated, equals the reference kernel', { skip: features.avx2 ? false : `no AVX2 on this ${features.arch} CPU` }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-vnni-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const exe = path.join(dir, 'vnni_u8s8_emulated_test');
  // -O3 as binding.gyp builds the set: the tile's loops are unrolled the same way.
  const build = spawnSync('g++', ['-std=c++17', '-O3', '-mavx2', '-mfma', '-Wall', '-Wextra', '-Werror', '-Wno-unused-parameter', '-Inative',
    'native/kernels/common.cc', 'native/kernels/fully_connected.cc', 'test/native/vnni_u8s8_emulated_test.cc', '-o', exe], { cwd: repoRoot, encoding: 'utf8' });
  t.equal(build.status, 0, build.stderr);
  const run = spawnSync(exe, [], { encoding: 'utf8' });
  t.equal(run.status, 0, run.stdout);
  // The count guards against a change that drops cases: each one is a shape and parameters chosen above.
  t.match(run.stdout, /^ok 1 - 7722 emulated 512-bit u8s8 products equal the reference$/m);
});
