// `cleave mcu run` as users run it: the emulated Cortex-M3 boots under QEMU, the Program (compiled
// from the .tflite) is loaded over the emulated UART, and the outputs are the golden ones byte for
// byte. Loads cost ~0.1-0.5 ms per byte over QEMU's UART, so by default the models with the smaller
// Programs run (hello_world, kws, ic); CLEAVE_MCU_ALL_MODELS=1 runs every shipped model that fits.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleave, repoRoot } from '../lib/cli';
import { shippedModels } from '../lib/models';
import { firmware, goldenCase, toolsPresent } from './emulated';

const DEFAULT_MODELS = ['tflm_hello_world', 'mlperf_tiny_kws', 'mlperf_tiny_ic'];
const models = process.env.CLEAVE_MCU_ALL_MODELS === '1' ? shippedModels().filter((m) => m.hasGoldens).map((m) => m.name) : DEFAULT_MODELS;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-mcu-run-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

t.test('cleave mcu run gives the golden outputs on the emulated Cortex-M3', async (t) => {
  if (!toolsPresent(t)) return;
  t.setTimeout(15 * 60_000);
  const image = await firmware('mps2-an385');
  for (const name of models) {
    const golden = goldenCase(name);
    const out = path.join(tmp, `${name}.bin`);
    const r = cleave(['mcu', 'run', golden.model.file, '--board', 'mps2-an385', '--firmware', image.elf,
      ...golden.inputFiles.flatMap((f) => ['--input', f]), '--output', out, '--json'], { timeout: 10 * 60_000 });
    t.equal(r.status, 0, `${name}: ${r.stderr}`);
    if (r.status !== 0) continue;
    const summary = JSON.parse(r.stdout);
    t.same(fs.readFileSync(out), golden.outputs[0], `${name} (${golden.caseName}): output 0 is the golden one byte for byte`);
    summary.outputs.forEach((o: { values: number[] }, i: number) => {
      t.same(Buffer.from(Int8Array.from(o.values).buffer), golden.outputs[i], `${name}: output ${i} in --json`);
    });
    t.ok(summary.instructions > 0 && summary.latencyUs.mean > 0, `${name}: instructions and latency are reported`);
    t.comment(`${name}: Program ${summary.programBytes} B loaded in ${summary.loadMs} ms (${summary.loadBytesPerSecond} B/s), arena ${summary.arenaBytes} B, ${Math.round(summary.instructions).toLocaleString('en')} instructions`);
  }
});

t.test('the text summary names latency, instructions, arena and load time', async (t) => {
  if (!toolsPresent(t)) return;
  t.setTimeout(5 * 60_000);
  const image = await firmware('mps2-an385');
  const golden = goldenCase('tflm_hello_world');
  const program = path.join(tmp, 'hello.cprog');
  t.equal(cleave(['compile', golden.model.file, '-o', program]).status, 0);
  const r = cleave(['mcu', 'run', program, '--firmware', image.elf, '--input', golden.inputFiles[0]!, '--repeat', '3'], { timeout: 5 * 60_000 });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /mps2-an385 on serial:\/dev\/pts\/\d+/);
  t.match(r.stdout, /Program: [\d.,]+ \S+ loaded in [\d,]+ ms/);
  t.match(r.stdout, /arena: /);
  t.match(r.stdout, /latency: \d+ µs mean over 3 run\(s\)/);
  t.match(r.stdout, /instructions: [\d,]+ per inference \(emulated, -icount shift=0\)/);
});

t.test('a Program larger than the board is refused before anything is loaded, naming the numbers', async (t) => {
  // A copy of the catalog where mps2-an385 has 40,000 bytes of RAM: kws (37 KB Program + 16 KB arena)
  // does not fit. No QEMU is needed: the check comes first.
  const boards = path.join(tmp, 'boards');
  fs.cpSync(path.join(repoRoot, 'boards'), boards, { recursive: true });
  const file = path.join(boards, 'mps2-an385.json');
  const descriptor = JSON.parse(fs.readFileSync(file, 'utf8'));
  descriptor.memory.ramBytes = 40_000;
  fs.writeFileSync(file, JSON.stringify(descriptor));
  const golden = goldenCase('mlperf_tiny_kws');
  const r = cleave(['mcu', 'run', golden.model.file, '--input', golden.inputFiles[0]!], { env: { CLEAVE_BOARDS_DIR: boards } });
  t.equal(r.status, 1, r.stderr);
  t.match(r.stderr, new RegExp(`${golden.program.byteLength} Program bytes \\+ a \\d+-byte arena = \\d+ bytes, mps2-an385 has 40000 bytes of RAM`));
});

t.test('without qemu-system-arm the emulated board is refused with what to install', async (t) => {
  const golden = goldenCase('tflm_hello_world');
  const emptyPath = path.join(tmp, 'empty-bin');
  fs.mkdirSync(emptyPath, { recursive: true });
  const r = cleave(['mcu', 'run', golden.model.file, '--firmware', path.join(tmp, 'none.elf'), '--input', golden.inputFiles[0]!], { env: { PATH: emptyPath } });
  t.equal(r.status, 69, r.stderr);
  t.match(r.stderr, /qemu-system-arm: not found on PATH, needed to emulate mps2-an385 \(Debian: qemu-system-arm\)/);
});
