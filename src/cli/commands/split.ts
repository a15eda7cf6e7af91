// `cleave split MODEL --at CUT[,CUT...] -o DIR`: standalone .tflite and Program per segment, plus
// DIR/plan.json mapping each segment's inputs and outputs to the original tensors.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { compileGraph } from '../../compile/program';
import { CleaveError } from '../../errors';
import { readModelFile } from '../../model/reader';
import { compareOutputs, readCaseInputs } from '../../segments/agreement';
import { parseCuts } from '../../segments/cuts';
import { checkInputDir, fileErrorReason, prepareOutputDir } from '../../io/files';
import { parseIncreasingIntegers } from '../flags';
import { startProgress } from '../progress';
import { PlanRunner, writePlan } from '../../segments/plan';
import { Session, type TensorData } from '../../session';
import { formatTable } from '../table';

/** "int4:1,2" -> {1, 2}; segments must exist. */
function parseWeights(spec: string | undefined, segmentCount: number): Set<number> {
  if (!spec) return new Set();
  if (!spec.startsWith('int4:')) throw new CleaveError('BAD_ARGUMENT', `--weights must look like int4:SEGMENT[,SEGMENT...], got "${spec}"`);
  const segments = parseIncreasingIntegers('--weights', spec.slice('int4:'.length), { min: 0 });
  for (const s of segments) {
    if (s >= segmentCount) throw new CleaveError('BAD_ARGUMENT', `--weights: segment ${s} does not exist (segments 0..${segmentCount - 1})`);
  }
  return new Set(segments);
}

export function register(program: Command): void {
  program
    .command('split')
    .description('cut a model into segments: a .tflite and a Program each, and plan.json')
    .argument('<model>', '.tflite file')
    .requiredOption('--at <cuts>', 'cut positions, comma-separated (see `cleave cuts`)')
    .requiredOption('-o, --output <dir>', 'directory to write the segments and plan.json into')
    .option('--weights <spec>', 'int4:SEGMENT[,SEGMENT...]: re-quantize those segments\' weights to int4')
    .option('--cases <dir>', 'golden cases to measure int4 agreement on (default: the model\'s directory)')
    .action(async (model: string, opts: { at: string; output: string; weights?: string; cases?: string }) => {
      const graph = readModelFile(model);
      const cuts = parseCuts(graph, parseIncreasingIntegers('--at', opts.at).join(','));
      const int4Segments = parseWeights(opts.weights, cuts.length + 1);
      if (opts.cases !== undefined) await checkInputDir(opts.cases, '--cases');
      await prepareOutputDir(opts.output);
      const before = await fsp.readdir(opts.output);
      const plan = await writePlan(graph, cuts, opts.output, { int4Segments });
      const stale = await removeStaleSegments(opts.output, before, plan);
      const rows = plan.segments.map((s) => [
        s.index, `${s.ops[0]}..${s.ops[1] - 1}`, s.tflite, s.weights, s.weightBytes, s.arenaBytes,
        s.outputs.map((t) => `t${t.tensor}`).join(', '), s.outputs.reduce((n, t) => n + t.bytes, 0),
      ]);
      process.stdout.write(`${formatTable(['segment', 'ops', 'file', 'weights', 'weight B', 'arena B', 'outputs', 'output B'], rows)}\n`);
      process.stdout.write(`wrote ${path.join(opts.output, 'plan.json')}\n`);
      if (stale.length > 0) process.stdout.write(`removed ${stale.join(', ')}: segment files of an earlier split into ${opts.output} that this plan does not use\n`);
      if (int4Segments.size) await reportInt4(model, graph, opts.output, opts.cases ?? path.dirname(model));
    });
}

const SEGMENT_FILE = /^seg\d+\.(tflite|cprog)$/;

/** Segment files a previous split left in `dir` that the new plan does not use, removed; their names. */
async function removeStaleSegments(dir: string, before: string[], plan: { segments: { tflite: string; program: string }[] }): Promise<string[]> {
  const current = new Set(plan.segments.flatMap((s) => [s.tflite, s.program]));
  const stale = before.filter((f) => SEGMENT_FILE.test(f) && !current.has(f)).sort();
  for (const f of stale) {
    await fsp.rm(path.join(dir, f)).catch((err: unknown) => {
      throw new CleaveError('WRITE_FAILED', `${path.join(dir, f)}: cannot remove stale segment file: ${fileErrorReason(err)}`);
    });
  }
  return stale;
}

/** Bytes saved by int4 segments and how their output agrees with the int8 model on golden cases. */
async function reportInt4(model: string, graph: ReturnType<typeof readModelFile>, dir: string, casesDir: string): Promise<void> {
  const planPath = path.join(dir, 'plan.json');
  const runner = await PlanRunner.load(planPath);
  const int4 = runner.plan.segments.filter((s) => s.weights === 'int4');
  const before = int4.reduce((n, s) => n + (s.int8WeightBytes ?? 0), 0);
  const after = int4.reduce((n, s) => n + s.weightBytes, 0);
  process.stdout.write(`int4 segments ${int4.map((s) => s.index).join(', ')}: weights ${before} B -> ${after} B (${(100 * (1 - after / before)).toFixed(1)}% smaller, biases and non-weight constants included)\n`);
  const cases = readCaseInputs(casesDir, graph.inputs);
  if (cases.length === 0) {
    process.stdout.write(`no golden cases under ${casesDir}: output agreement not measured (pass --cases DIR)\n`);
    runner.dispose();
    return;
  }
  const whole = Session.fromBytes(compileGraph(graph).bytes, model);
  const pairs: [TensorData, TensorData][] = [];
  const progress = startProgress('int4 agreement', cases.length);
  for (const c of cases) {
    whole.resetState();
    pairs.push([(await whole.run(c.inputs))[0]!, (await runner.run(c.inputs))[0]!]);
    progress.advance();
  }
  progress.stop();
  whole.dispose();
  runner.dispose();
  const a = compareOutputs(pairs);
  process.stdout.write(`against int8 on ${a.cases} golden cases: top-1 agreement ${(100 * a.top1Agreement).toFixed(1)}%, mean |output difference| ${a.meanAbsDiff.toFixed(2)} (max ${a.maxAbsDiff}) quantized units\n`);
}
