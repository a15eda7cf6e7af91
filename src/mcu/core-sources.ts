// The firmware-clean runtime core: the sources a microcontroller build compiles (Program loader,
// op validation, op registrations, interpreter, reference kernels, crc32), relative to the
// repository root. Host-only layers (optimized kernels, thread pool, addon) are not in it. The
// firmware build (firmware-build.ts) and the native tests link exactly this list.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../paths';

export const coreSources: string[] = [
  'native/common/crc32.cc',
  'native/interp/interpreter.cc',
  'native/interp/op_eval.cc',
  'native/interp/op_registrations.cc',
  'native/interp/op_validate.cc',
  'native/interp/program.cc',
  ...fs.readdirSync(path.join(packageRoot, 'native', 'kernels')).filter((f) => f.endsWith('.cc')).sort().map((f) => `native/kernels/${f}`),
];

/** The Cortex-M kernels and their OpAccelerator (firmware-clean; the firmware and the MCU benchmark image link them). */
export const cortexmSources: string[] = ['native/kernels/cortexm/cortexm_kernels.cc', 'native/kernels/cortexm/cortexm_ops.cc'];
