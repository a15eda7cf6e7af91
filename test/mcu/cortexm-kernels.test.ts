// The Cortex-M kernels on emulated boards: the benchmark image (native/firmware/bench/) for two
// shipped models, built with arm-none-eabi-g++ and run under QEMU on mps2-an385 (Cortex-M3, the
// plain loops) and mps2-an505 (Cortex-M33, the SMLAD paths), gives the golden output byte for byte
// with the reference kernels and with CortexMOps, and CortexMOps ran the conv, depthwise and fully
// connected ops. Skips without the toolchain or QEMU unless CLEAVE_REQUIRE_TOOLS=1.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchModel } from '../../bench/mcu';
import { MCU_BOARDS, missingMcuTools } from '../../bench/mcu-image';
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
}
