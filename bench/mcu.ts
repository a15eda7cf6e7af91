// npm run bench:mcu [-- --only NAME[,..]] [-- --boards mps2-an385[,mps2-an505]] [-- --json FILE]:
// instructions per inference of every shipped model on emulated Cortex-M boards (QEMU
// -icount shift=0), on the reference kernels and on the Cortex-M kernels (CortexMOps), with the
// arena, the image's flash and RAM, a per-op profile and a check of the output against the golden.
// Compared with TFLite Micro's reference kernels on the same emulated Cortex-M3 (issue 11's
// targets). What is measured and how: docs/benchmarks.md, "MCU benchmark".
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatTable } from '../src/cli/table';
import { readModelFile } from '../src/model/reader';
import { packageRoot } from '../src/paths';
import { MCU_BOARDS, buildCoreObjects, buildImage, missingMcuTools, runImage, type McuBoard } from './mcu-image';

/** TFLite Micro's portable reference kernels at -O2 on QEMU mps2-an385 (issue 11). */
export const TFLM_CORTEX_M3: Record<string, { instructions: number; arenaBytes: number }> = {
  mlperf_tiny_kws: { instructions: 42.1e6, arenaBytes: 22.8e3 },
  mlperf_tiny_ic: { instructions: 105.7e6, arenaBytes: 54.3e3 },
  mlperf_tiny_ad: { instructions: 1.95e6, arenaBytes: 2.3e3 },
  mlperf_tiny_vww: { instructions: 99.0e6, arenaBytes: 100.7e3 },
  tflm_person_detect: { instructions: 94.6e6, arenaBytes: 82.3e3 },
  tflm_hello_world: { instructions: 5320, arenaBytes: 0.7e3 },
};

interface Options {
  only: string[];
  boards: McuBoard[];
  json: string | null;
  modelsDir: string;
}

const USAGE = `usage: npm run bench:mcu -- [options]
  --only NAME[,..]   only models whose name contains one of these
  --boards LIST      mps2-an385 (Cortex-M3), mps2-an505 (Cortex-M33); default: both
  --json FILE        write the results there (default: bench/results/mcu-<date>.json)
  --models DIR       shipped models root (default: the package's models/; env CLEAVE_MODELS)
  -h, --help         this text`;

class UsageError extends Error {}

export function parseArgs(argv: string[]): Options {
  const o: Options = { only: [], boards: MCU_BOARDS, json: null, modelsDir: process.env.CLEAVE_MODELS ?? path.join(packageRoot, 'models') };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--only') o.only = value().split(',').filter(Boolean);
    else if (flag === '--json') o.json = value();
    else if (flag === '--models') o.modelsDir = value();
    else if (flag === '--boards') {
      const names = value().split(',');
      o.boards = names.map((n) => {
        const b = MCU_BOARDS.find((x) => x.machine === n);
        if (!b) throw new UsageError(`--boards: unknown board "${n}" (known: ${MCU_BOARDS.map((x) => x.machine).join(', ')})`);
        return b;
      });
    } else if (flag === '-h' || flag === '--help') throw new UsageError('');
    else throw new UsageError(`unknown option ${flag}`);
  }
  return o;
}

interface OpRow {
  index: number;
  opcode: number;
  kernel: string;
  referenceInstructions: number;
  cortexmInstructions: number;
}

interface ModelResult {
  model: string;
  board: string;
  cpu: string;
  instructionsPerTick: number;
  referenceInstructions: number;
  cortexmInstructions: number;
  arenaBytes: number;
  flashBytes: number;
  ramBytes: number;
  programBytes: number;
  outputMatchesGolden: { reference: boolean; cortexm: boolean };
  tflm: { instructions: number; arenaBytes: number } | null;
  /** cortexm instructions / TFLite Micro's (issue 11's target: at most 0.5). */
  ratioToTflm: number | null;
  ops: OpRow[];
}

function goldenInputAndOutput(modelDir: string): { caseName: string; input: Buffer; output: Buffer } {
  const caseName = fs.readdirSync(modelDir).filter((d) => fs.existsSync(path.join(modelDir, d, 'manifest.json'))).sort()[0];
  if (!caseName) throw new Error(`${modelDir}: no golden case`);
  const manifest = JSON.parse(fs.readFileSync(path.join(modelDir, caseName, 'manifest.json'), 'utf8')) as { role: string; file: string }[];
  const file = (role: string) => {
    const entries = manifest.filter((e) => e.role === role);
    if (entries.length !== 1) throw new Error(`${modelDir}/${caseName}: the benchmark image takes one ${role}, the model has ${entries.length}`);
    return fs.readFileSync(path.join(modelDir, caseName, entries[0]!.file));
  };
  return { caseName, input: file('input'), output: file('output') };
}

/** Builds, runs and checks one model on one board. */
export function benchModel(name: string, modelDir: string, board: McuBoard, buildDir: string): ModelResult {
  const graph = readModelFile(path.join(modelDir, 'model.tflite'));
  const golden = goldenInputAndOutput(modelDir);
  const image = buildImage(board, graph, golden.input, buildCoreObjects(board, buildDir), path.join(buildDir, `${name}-${board.machine}`));
  const r = runImage(board, image.elf);
  const k = r.instructionsPerTick;
  const tflm = board.cpu === 'cortex-m3' ? TFLM_CORTEX_M3[name] ?? null : null;
  return {
    model: name, board: board.machine, cpu: board.cpu, instructionsPerTick: k,
    referenceInstructions: r.reference.ticks * k, cortexmInstructions: r.cortexm.ticks * k,
    arenaBytes: r.arenaBytes, flashBytes: image.flashBytes, ramBytes: image.ramBytes, programBytes: image.programBytes,
    outputMatchesGolden: {
      reference: Buffer.from(r.reference.output).equals(golden.output),
      cortexm: Buffer.from(r.cortexm.output).equals(golden.output),
    },
    tflm, ratioToTflm: tflm ? (r.cortexm.ticks * k) / tflm.instructions : null,
    ops: r.cortexm.ops.map((op, i) => ({
      index: op.index, opcode: op.opcode, kernel: op.kernel,
      referenceInstructions: r.reference.ops[i]!.ticks * k, cortexmInstructions: op.ticks * k,
    })),
  };
}

function main(): number {
  let o: Options;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${e.message ? `${e.message}\n` : ''}${USAGE}\n`);
    return e.message ? 2 : 0;
  }
  const missing = missingMcuTools();
  if (missing.length > 0) {
    process.stderr.write(`bench:mcu needs ${missing.join(' and ')} (Debian: gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm)\n`);
    return 1;
  }
  const models = fs.readdirSync(o.modelsDir).sort()
    .filter((n) => fs.existsSync(path.join(o.modelsDir, n, 'model.tflite')))
    .filter((n) => o.only.length === 0 || o.only.some((s) => n.includes(s)));
  const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-bench-mcu-'));
  const results: ModelResult[] = [];
  const errors: string[] = [];
  try {
    for (const board of o.boards) {
      for (const name of models) {
        try {
          const r = benchModel(name, path.join(o.modelsDir, name), board, buildDir);
          results.push(r);
          if (!r.outputMatchesGolden.reference || !r.outputMatchesGolden.cortexm) errors.push(`${name} on ${board.machine}: output differs from the golden`);
        } catch (e) {
          errors.push(`${name} on ${board.machine}: ${(e as Error).message}`);
        }
      }
    }
  } finally {
    fs.rmSync(buildDir, { recursive: true, force: true });
  }
  const kb = (n: number) => (n < 1000 ? `${n} B` : `${(n / 1000).toFixed(1)} KB`);
  process.stdout.write(`${formatTable(
    ['model', 'board', 'reference instr', 'cortexm instr', 'speed-up', 'TFLM instr', 'vs TFLM', 'arena', 'TFLM arena', 'flash', 'RAM', 'golden'],
    results.map((r) => [r.model, r.board, r.referenceInstructions, r.cortexmInstructions,
      `${(r.referenceInstructions / r.cortexmInstructions).toFixed(2)}x`,
      r.tflm ? r.tflm.instructions : '-', r.ratioToTflm !== null ? r.ratioToTflm.toFixed(3) : '-',
      kb(r.arenaBytes), r.tflm ? kb(r.tflm.arenaBytes) : '-', kb(r.flashBytes), kb(r.ramBytes),
      r.outputMatchesGolden.reference && r.outputMatchesGolden.cortexm ? 'equal' : 'DIFFERS']),
  )}\n`);
  const date = new Date().toISOString();
  const file = o.json ?? path.join(packageRoot, 'bench', 'results', `mcu-${date.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify({ schemaVersion: 1, kind: 'mcu', date, results, errors }, null, 2)}\n`);
  for (const e of errors) process.stderr.write(`error: ${e}\n`);
  process.stdout.write(`results: ${file}\n`);
  return errors.length === 0 ? 0 : 1;
}

if (require.main === module) process.exitCode = main();
