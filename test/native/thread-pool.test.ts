// The intra-op thread pool (native/interp/thread_pool.cc): every task once, workers that take
// tasks, thread limits, two callers at once, parked workers left asleep for small ops, no CPU burnt
// when idle, destruction with parked workers (test/native/thread_pool_test.cc), built plainly and
// under ThreadSanitizer.
import t from 'tap';
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../lib/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-pool-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

for (const [label, flags] of [['plain', ['-O2']], ['ThreadSanitizer', ['-O1', '-g', '-fsanitize=thread']]] as const) {
  t.test(`thread pool cases (${label}) all print ok`, async (t) => {
    const exe = path.join(dir, `thread_pool_test_${label}`);
    const build = spawnSync('g++', ['-std=c++17', ...flags, '-pthread', '-Wall', '-Wextra', '-Werror', '-Inative',
      'native/interp/thread_pool.cc', 'test/native/thread_pool_test.cc', '-o', exe], { cwd: repoRoot, encoding: 'utf8' });
    t.equal(build.status, 0, `g++ ${label}: ${build.stderr}`);
    if (build.status !== 0) return;
    // The whole program takes a few seconds; a pool that hangs on destruction meets this timeout.
    // ThreadSanitizer's runtime refuses some kernels' address-space randomization ("unexpected
    // memory mapping"): run it with randomization off, as its documentation advises.
    const [cmd, args] = label === 'ThreadSanitizer' ? ['setarch', [os.arch() === 'arm64' ? 'aarch64' : 'x86_64', '-R', exe]] : [exe, []];
    const run = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, TSAN_OPTIONS: 'halt_on_error=1' } });
    if (run.status !== 0) t.comment(`${run.stdout}${run.stderr}`);
    t.equal(run.signal, null, 'not ended by a signal (a pool that hangs meets the 120 s timeout)');
    t.equal(run.status, 0, 'exit status');
    const lines = run.stdout.split('\n').filter((l) => /^(not )?ok \d+/.test(l));
    t.equal(lines.length, 8, 'every case reported');
    for (const l of lines) t.ok(l.startsWith('ok '), l);
  });
}
