// Builds and runs the hand-computed kernel cases (test/native/kernels_test.cc) with the host
// compiler, and checks that the kernels and the runtime core stay firmware-clean: no exceptions, no
// RTTI, no warnings, no heap; the core cross-compiles for Cortex-M3 and M33 and links into an image
// that carries only the ops its resolver lists.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { coreSources } from '../lib/native-core';

const repoRoot = path.resolve(__dirname, '..', '..');
const kernelDir = path.join(repoRoot, 'native', 'kernels');
const kernelSources = fs
  .readdirSync(kernelDir)
  .filter((f) => f.endsWith('.cc'))
  .sort()
  .map((f) => path.join('native', 'kernels', f));

const hasTool = (tool: string) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
const requireTools = process.env.CLEAVE_REQUIRE_TOOLS === '1';

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

// Symbols the firmware-clean core must never need: heap, printf family, exceptions, RTTI, static
// initialization guards.
const FORBIDDEN = /^(malloc|free|calloc|realloc|_Zn[wa]|_Zd[la]|.*printf|puts|__cxa_|__gxx_personality|_Unwind_|_ZTI|_ZTS|__dynamic_cast)/;

for (const cpu of ['cortex-m3', 'cortex-m33']) {
  t.test(`the runtime core cross-compiles for ${cpu} and links into an image with no heap, printf, exceptions or RTTI`, async (t) => {
    if (!hasTool('arm-none-eabi-g++')) {
      if (requireTools) t.fail('arm-none-eabi-g++ is required (CLEAVE_REQUIRE_TOOLS=1): apt-get install gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib libnewlib-arm-none-eabi');
      else t.skip('arm-none-eabi-g++ not installed (Debian: gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib libnewlib-arm-none-eabi)');
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cleave-${cpu}-`));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const flags = [`-mcpu=${cpu}`, '-mthumb'];
    const objects: string[] = [];
    for (const src of [...coreSources, 'test/native/firmware_image.cc']) {
      const obj = path.join(dir, src.replace(/[/.]/g, '_') + '.o');
      const r = spawnSync('arm-none-eabi-g++', ['-std=c++17', ...flags, '-Os', '-Wall', '-Wextra', '-Werror', '-fno-exceptions',
        '-fno-rtti', '-ffunction-sections', '-fdata-sections', '-Inative', '-c', src, '-o', obj], { cwd: repoRoot, encoding: 'utf8' });
      t.equal(r.status, 0, `${src}: ${r.stderr}`);
      objects.push(obj);
    }
    const undefinedSymbols = spawnSync('arm-none-eabi-nm', ['-u', ...objects], { encoding: 'utf8' }).stdout
      .split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '').filter((n) => n && !n.endsWith(':'));
    t.same(undefinedSymbols.filter((n) => FORBIDDEN.test(n)), [], 'the core objects reference no forbidden symbol');

    const image = path.join(dir, 'image.elf');
    const link = spawnSync('arm-none-eabi-g++', [...flags, '-nostartfiles', '-Wl,--gc-sections', '-Wl,-e,Reset_Handler',
      '--specs=nano.specs', ...objects, '-lm', '-o', image], { encoding: 'utf8' });
    t.equal(link.status, 0, `link: ${link.stderr}`);
    const symbols = spawnSync('arm-none-eabi-nm', [image], { encoding: 'utf8' }).stdout
      .split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '');
    t.same(symbols.filter((n) => FORBIDDEN.test(n)), [], 'the linked image holds no forbidden symbol');
    // The image's resolver lists FULLY_CONNECTED and SOFTMAX only: no other op's kernel is linked.
    const has = (fragment: string) => symbols.some((n) => n.includes(fragment));
    t.ok(has('14FullyConnected') && has('17SoftmaxInt8ToInt8'), 'the listed ops\' kernels are linked');
    for (const kernel of ['14ConvPerChannel', '23DepthwiseConvPerChannel', '8SvdfInt8', '8MeanInt8', '7AddInt8', '15AveragePoolInt8']) {
      t.notOk(has(kernel), `${kernel.replace(/^\d+/, '')} (an op the image does not list) is not linked`);
    }
  });
}

t.test('the kernels and the runtime core include no N-API and allocate nothing', async (t) => {
  const coreFiles = coreSources.flatMap((src) => [src, src.replace(/\.cc$/, '.h')]).filter((f) => fs.existsSync(path.join(repoRoot, f)));
  const headers = ['native/interp/op_check.h', 'native/interp/op_param_layout.h', 'native/interp/op_params.h', 'native/interp/op_resolver.h', 'native/interp/ops.h'];
  for (const f of [...new Set([...coreFiles, ...headers])]) {
    const text = fs.readFileSync(path.join(repoRoot, f), 'utf8');
    t.notMatch(text, /#include\s*[<"](napi|node_api)/, `${f} includes no N-API header`);
    t.notMatch(text, /\b(new|malloc|calloc|realloc|throw)\b|std::(vector|string|map|function|shared_ptr)|#include <(functional|vector|string|map|memory)>/,
      `${f} neither allocates nor throws`);
  }
});
