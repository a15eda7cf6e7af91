// The codecs stay firmware-clean: they build warning-free without exceptions or RTTI, cross-compile
// for Cortex-M, include no N-API, and encode/decode with caller-provided buffers only (the C++
// driver test/codec/codec_native_test.cc counts allocations). Stack use is reported. The C++ fuzzer
// test/codec/codec_fuzz.cc runs under AddressSanitizer and UBSan.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');
const codecDir = path.join(repoRoot, 'native', 'codec');
// The codecs and the CRC-32 they share with the Program loader.
const sources = [...fs.readdirSync(codecDir).filter((f) => f.endsWith('.cc')).sort().map((f) => path.join('native', 'codec', f)), path.join('native', 'common', 'crc32.cc')];
// The C++ drivers show refusals as the host does, with FormatStatus; it names ops through OpName,
// which lives in the Program loader (program.cc, which links op_validate.cc).
const hostSources = ['host/status_format.cc', 'interp/program.cc', 'interp/op_validate.cc'].map((f) => path.join('native', f));
const requireTools = process.env.CLEAVE_REQUIRE_TOOLS === '1';
const hasTool = (tool: string) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;

t.test('C++ driver: round trips, bounds, no allocation, refused buffers', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-codec-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const exe = path.join(dir, 'codec_native_test');
  try {
    execFileSync('g++', ['-std=c++17', '-O1', '-Wall', '-Wextra', '-Werror', '-fno-exceptions', '-fno-rtti', '-Inative',
      ...sources, ...hostSources, 'test/codec/codec_native_test.cc', '-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc', '-o', exe],
    { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    t.fail(`g++ failed: ${err.stderr || err.message}`);
    return;
  }
  const run = spawnSync(exe, [], { encoding: 'utf8', timeout: 120_000 });
  t.equal(run.status, 0, `exit status\n${run.stderr}`);
  const lines = run.stdout.split('\n').filter((l) => /^(not )?ok \d+/.test(l));
  const plan = run.stdout.split('\n').find((l) => /^1\.\.\d+$/.test(l));
  t.equal(lines.length, plan ? Number(plan.slice(3)) : -1, 'every planned case reported');
  t.ok(lines.length >= 130, `${lines.length} cases`);
  t.same(lines.filter((l) => l.startsWith('not ok')), [], 'no case failed');
});

t.test('C++ fuzzing under AddressSanitizer and UBSan: bounds hold, mutants never overrun', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-codec-fuzz-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const exe = path.join(dir, 'codec_fuzz');
  const build = spawnSync('g++', ['-std=c++17', '-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all',
    '-Inative', ...sources, ...hostSources, 'test/codec/codec_fuzz.cc', '-o', exe], { cwd: repoRoot, encoding: 'utf8' });
  if (build.status !== 0) {
    // Hosts without the sanitizer runtimes (libasan, libubsan) cannot build it.
    if (requireTools) t.fail(`sanitizer build failed: ${build.stderr}`);
    else t.pass(`skipped: sanitizer build failed (${build.stderr.split('\n')[0]})`);
    return;
  }
  const run = spawnSync(exe, ['4000', '7'], { encoding: 'utf8', timeout: 300_000 });
  t.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  t.match(run.stdout, /^ok decoded \d+ rejected \d+/m);
  t.comment(run.stdout.trim());
});

t.test('codecs compile warning-free without exceptions or RTTI; stack use', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-codec-su-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const frames: [string, number][] = [];
  for (const src of sources) {
    const obj = path.join(dir, path.basename(src, '.cc') + '.o');
    const r = spawnSync('g++', ['-std=c++17', '-O2', '-Wall', '-Wextra', '-Wpedantic', '-Wshadow', '-Werror', '-fno-exceptions',
      '-fno-rtti', '-fstack-usage', '-Inative', '-c', src, '-o', obj], { cwd: repoRoot, encoding: 'utf8' });
    t.equal(r.status, 0, `${src}: ${r.stderr}`);
    const su = obj.replace(/\.o$/, '.su');
    if (fs.existsSync(su)) {
      for (const line of fs.readFileSync(su, 'utf8').split('\n').filter(Boolean)) {
        const [where, bytes] = line.split('\t');
        // "native/codec/entropy.cc:701:8:size_t cleave::codec::PlanContextBlock(...)" -> "entropy.cc PlanContextBlock"
        const file = /([a-z0-9_]+\.cc)/.exec(where!)?.[1] ?? '?';
        const fn = /([A-Za-z0-9_]+)(<[^(]*>)?\(/.exec(where!)?.[1] ?? where!;
        frames.push([`${file} ${fn}`, Number(bytes)]);
      }
    }
  }
  frames.sort((a, b) => b[1] - a[1]);
  t.comment('largest stack frames (x86-64, -O2): ' + frames.slice(0, 6).map(([f, b]) => `${f} ${b} B`).join('; '));
  t.ok(frames.length > 0 && frames[0]![1] < 16 * 1024, 'no frame of 16 KiB or more');
});

const arm = hasTool('arm-none-eabi-g++');
const noArm = 'arm-none-eabi-g++ not installed (Debian: gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib)';
t.test('codecs cross-compile for Cortex-M (arm-none-eabi-g++)', { skip: !arm && !requireTools ? noArm : false }, async (t) => {
  if (!arm) {
    t.fail(noArm);
    return;
  }
  for (const cpu of ['cortex-m3', 'cortex-m4']) {
    for (const src of sources) {
      const r = spawnSync('arm-none-eabi-g++', ['-std=c++17', `-mcpu=${cpu}`, '-mthumb', '-Os', '-Wall', '-Wextra', '-Werror',
        '-fno-exceptions', '-fno-rtti', '-Inative', '-c', src, '-o', os.devNull], { cwd: repoRoot, encoding: 'utf8' });
      t.equal(r.status, 0, `${cpu} ${src}: ${r.stderr}`);
    }
  }
});

t.test('codecs include no N-API and allocate nothing; the glue does no arithmetic on tensors', async (t) => {
  for (const f of fs.readdirSync(codecDir).filter((n) => /\.(h|cc)$/.test(n))) {
    const text = fs.readFileSync(path.join(codecDir, f), 'utf8');
    t.notMatch(text, /#include\s*[<"](napi|node_api)/, `${f} includes no N-API header`);
    t.notMatch(text, /\b(new|malloc|calloc|realloc|throw)\b|std::(vector|string|map|function)/, `${f} neither allocates nor throws`);
  }
  const glue = fs.readFileSync(path.join(repoRoot, 'native', 'addon', 'codec_glue.cc'), 'utf8');
  t.notMatch(glue, /for \(.*data\[|\bdata\[[^\]]+\]\s*[-+*\/]/, 'codec_glue.cc does not loop over tensor bytes');
});
