// Builds and runs the hand-computed kernel cases (test/native/kernels_test.cc) with the host
// compiler, and checks that the kernels stay firmware-clean: no exceptions, no RTTI, no warnings.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');
const kernelDir = path.join(repoRoot, 'native', 'kernels');
const kernelSources = fs
  .readdirSync(kernelDir)
  .filter((f) => f.endsWith('.cc'))
  .sort()
  .map((f) => path.join('native', 'kernels', f));

const hasTool = (tool: string) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;

t.test('kernel cases built with g++ -Werror all print ok', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-kernels-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const exe = path.join(dir, 'kernels_test');
  const flags = ['-std=c++17', '-O1', '-Wall', '-Wextra', '-Werror', '-fno-exceptions', '-Inative'];
  try {
    execFileSync('g++', [...flags, ...kernelSources, 'test/native/kernels_test.cc', '-o', exe], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    t.fail(`g++ failed: ${err.stderr || err.message}`);
    return;
  }

  const run = spawnSync(exe, [], { encoding: 'utf8', timeout: 60_000 });
  t.equal(run.status, 0, `kernels_test exit status\n${run.stdout}${run.stderr}`);
  const lines = run.stdout.split('\n').filter((l) => l.length > 0);
  const results = lines.filter((l) => /^(not )?ok \d+/.test(l));
  const plan = lines.find((l) => /^1\.\.\d+$/.test(l));
  t.ok(plan, 'the program prints its plan line');
  const planned = plan ? Number(plan.slice(3)) : -1;
  t.equal(results.length, planned, 'every planned case reported');
  t.ok(results.length >= 70, `at least 70 cases (got ${results.length})`);
  const failed = results.filter((l) => l.startsWith('not ok'));
  t.same(failed, [], 'no case failed');
  // Each case has its own numbered line, so a failure names the rule that broke.
  results.forEach((l, i) => t.ok(l.startsWith(`ok ${i + 1} `), l));
});

t.test('kernels compile warning-free without exceptions or RTTI', async (t) => {
  for (const src of kernelSources) {
    const r = spawnSync(
      'g++',
      ['-std=c++17', '-O2', '-Wall', '-Wextra', '-Wpedantic', '-Wshadow', '-Werror', '-fno-exceptions',
        '-fno-rtti', '-Inative', '-c', src, '-o', os.devNull],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    t.equal(r.status, 0, `${src}: ${r.stderr}`);
  }
});

t.test('kernels cross-compile for Cortex-M (arm-none-eabi-g++)', async (t) => {
  if (!hasTool('arm-none-eabi-g++')) {
    t.skip('arm-none-eabi-g++ not installed (Debian: gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib)');
    return;
  }
  for (const src of kernelSources) {
    const r = spawnSync(
      'arm-none-eabi-g++',
      ['-std=c++17', '-mcpu=cortex-m3', '-mthumb', '-O2', '-Wall', '-Wextra', '-Werror',
        '-fno-exceptions', '-fno-rtti', '-Inative', '-c', src, '-o', os.devNull],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    t.equal(r.status, 0, `${src}: ${r.stderr}`);
  }
});

t.test('kernels include no N-API and allocate nothing', async (t) => {
  for (const f of fs.readdirSync(kernelDir).filter((n) => /\.(h|cc)$/.test(n))) {
    const text = fs.readFileSync(path.join(kernelDir, f), 'utf8');
    t.notMatch(text, /#include\s*[<"](napi|node_api)/, `${f} includes no N-API header`);
    t.notMatch(text, /\b(new|malloc|calloc|realloc|throw)\b|std::(vector|string|map|function)/,
      `${f} neither allocates nor throws`);
  }
});
