// The Cortex-M kernels on emulated boards: the benchmark image (native/firmware/bench/) for two
// shipped models, built with arm-none-eabi-g++ and run under QEMU on mps2-an385 (Cortex-M3, the
// plain loops) and mps2-an505 (Cortex-M33, the SMLAD paths), gives the golden output byte for byte
// with the reference kernels and with CortexMOps, and CortexMOps ran the conv, depthwise and fully
// connected ops. On the M33, whose SMLAD paths the host cannot run (test/native/cortexm-ops.test.ts
// covers the plain loops there), differential cases with extreme weights and inputs, depth
// multipliers and batched fully connected layers give the reference kernels' bytes. Skips without
// the toolchain or QEMU unless CLEAVE_REQUIRE_TOOLS=1.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchModel } from '../../bench/mcu';
import { MCU_BOARDS, buildCoreObjects, buildImage, missingMcuTools, runImage } from '../../bench/mcu-image';
import { differentialCases } from '../lib/differential-cases';
import { modelsRoot } from '../lib/models';

const missing = missingMcuTools();
const requireTools = process.env.CLEAVE_REQUIRE_TOOLS === '1';
// kws: conv, depthwise, pooling, fully connected, softmax; ad: a stack of fully connected layers.
const models = ['mlperf_tiny_kws', 'mlperf_tiny_ad'];
// Opcodes of the ops CortexMOps accelerates (op_param_layout.h): CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED.
const ACCELERATED_OPCODES = [1, 2, 3];

if (missing.length > 0) {
  const why = `${missing.join(' and ')} not installed (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm)`;
  if (requireTools) t.fail(`required (CLEAVE_REQUIRE_TOOLS=1): ${why}`);
  else t.skip(why);
} else {
  const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-mcu-test-'));
  t.teardown(() => fs.rmSync(buildDir, { recursive: true, force: true }));
  for (const board of MCU_BOARDS) {
    for (const name of models) {
      t.test(`${name} on ${board.machine} (${board.cpu}) gives the golden output`, async (t) => {
        const r = benchModel(name, path.join(modelsRoot, name), board, buildDir);
        t.ok(r.outputMatchesGolden.reference, 'reference kernels: output equals the golden');
        t.ok(r.outputMatchesGolden.cortexm, 'CortexMOps: output equals the golden');
        const expected = board.cpu === 'cortex-m33' ? /^cortexm-dsp:/ : /^cortexm:/;
        const accelerated = r.ops.filter((op) => ACCELERATED_OPCODES.includes(op.opcode));
        t.ok(accelerated.length > 0 && accelerated.every((op) => expected.test(op.kernel)),
          `conv, depthwise and fully connected ran on ${expected.source}: ${accelerated.map((op) => op.kernel).join(', ')}`);
        t.ok(r.arenaBytes > 0 && r.flashBytes > r.programBytes && r.ramBytes >= r.arenaBytes, 'sizes reported');
      });
    }
  }

  // Which run of each case the image embeds (0: random, 1: all -128, 2: all 127).
  // Random weights and inputs catch a lane mix-up that uniform extremes hide; extremes catch overflow.
  const picks: [RegExp, number][] = [
    [/^random #32 /, 0], [/^random #20 /, 0], [/^random #27 /, 0], [/^random #14 /, 0], [/^weights -128, conv$/, 2],
    [/^fc 5x256->40 perChannel=true weights=random$/, 0], [/^fc 5x256->40 perChannel=false weights=127$/, 1],
  ];
  const m33 = MCU_BOARDS.find((b) => b.cpu === 'cortex-m33')!;
  t.test(`differential cases on ${m33.machine}: the SMLAD paths give the reference bytes`, async (t) => {
    const cases = differentialCases();
    const core = buildCoreObjects(m33, buildDir);
    for (const [pattern, run] of picks) {
      const c = cases.find((x) => pattern.test(x.label));
      if (!c) {
        t.fail(`no differential case matches ${pattern}`);
        continue;
      }
      const image = buildImage(m33, c.graph, c.inputs[run]![0]!, core, path.join(buildDir, `case-${picks.findIndex(([p]) => p === pattern)}`));
      if (pattern === picks[0]![0]) {
        // Firmware-clean: the kernels and the accelerator pull in no heap (operator delete included:
        // the interfaces' destructors are not virtual), printf family, exceptions or RTTI.
        const symbols = spawnSync('arm-none-eabi-nm', [image.elf], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '');
        const forbidden = /^(malloc|free|calloc|realloc|_sbrk|_Zn[wa]|_Zd[la]|.*printf|puts|__cxa_|__gxx_personality|_Unwind_|_ZTI|_ZTS|__dynamic_cast)/;
        t.same(symbols.filter((n) => forbidden.test(n)), [], 'the image links no heap, printf, exceptions or RTTI');
        t.ok(symbols.some((n) => n.includes('10CortexMOps')), 'the image links CortexMOps');
      }
      const r = runImage(m33, image.elf);
      t.ok(r.cortexm.ops.some((op) => op.kernel.startsWith('cortexm-dsp:')), `${c.label}: a DSP kernel ran`);
      t.same(Buffer.from(r.cortexm.output), Buffer.from(r.reference.output), `${c.label.slice(0, 80)} (run ${run}): equal bytes`);
    }
  });
}
