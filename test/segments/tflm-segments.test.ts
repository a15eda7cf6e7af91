// TFLite itself checks the files cleave writes: every shipped model split at every valid cut (and at
// all of them at once), each segment .tflite run by TensorFlow Lite Micro's reference interpreter
// (test/tools/tflm/tflm_run) on the golden inputs chained through the segments, every tensor that
// crosses a cut and every output compared byte for byte with the golden dumps (models without
// goldens: with TFLM's run of the whole model). int4 segments: TFLM refuses those with a
// FULLY_CONNECTED op whose int4 weights are per channel (this TFLM version has int4 FC weights only
// per tensor) and runs the others, getting cleave's bytes. tflm_run is an x86-64 Linux binary: elsewhere this skips, unless CLEAVE_REQUIRE_TOOLS=1.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFile, spawnSync } from 'node:child_process';
import type { Graph } from '../../src/model/graph';
import { readModelFile } from '../../src/model/reader';
import { listCuts } from '../../src/segments/cuts';
import { type PlanFile, writePlan } from '../../src/segments/plan';
import { Session } from '../../src/session';
import { repoRoot } from '../lib/cli';
import { goldenCases, type ShippedModel, shippedModels } from '../lib/models';
import { randomBytes } from '../lib/synthetic';

const tflmRun = path.join(repoRoot, 'test', 'tools', 'tflm', 'tflm_run');
const requireTools = process.env.CLEAVE_REQUIRE_TOOLS === '1';
const models = shippedModels();

/** Why tflm_run cannot run here, or false when it can. */
function tflmMissing(): string | false {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `tflm_run is an x86-64 Linux binary; this machine is ${process.platform}-${process.arch}`;
  const r = spawnSync(tflmRun, [models[0]!.file, '--info'], { encoding: 'utf8' });
  if (r.status !== 0) return `${tflmRun} does not run here: ${r.error?.message ?? r.stderr.trim()}`;
  return false;
}
const missing = tflmMissing();

interface TflmResult { status: number | null; stdout: string; stderr: string }

// At most one tflm_run per core at a time.
const slots = Math.max(1, os.availableParallelism());
let running = 0;
const waiting: (() => void)[] = [];

async function tflm(model: string, inputs: string[], outputs: string[]): Promise<TflmResult> {
  while (running >= slots) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    const args = [model, ...inputs.flatMap((f) => ['--in', f]), ...outputs.flatMap((f) => ['--out', f])];
    return await new Promise((resolve) => {
      execFile(tflmRun, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
        resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      });
    });
  } finally {
    running--;
    waiting.shift()?.();
  }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-tflm-'));
t.teardown(() => fs.rmSync(work, { recursive: true, force: true }));

/** An input set: the model inputs' files, and the expected bytes of the tensors to check (by index). */
interface InputSet { name: string; inputs: Map<number, string>; expected: (tensor: number) => Buffer | undefined }

async function inputSets(m: ShippedModel, graph: Graph): Promise<InputSet[]> {
  // Two golden cases per model keep the run short: a real input where the model ships one, and a synthetic one.
  const all = goldenCases(m);
  const cases = [all.find((c) => /^(real|derived)_/.test(c)), ...all.filter((c) => c.startsWith('natural_'))].filter((c) => c !== undefined).slice(0, 2);
  if (cases.length) {
    return cases.map((c) => ({
      name: c,
      inputs: new Map(graph.inputs.map((i) => [i, path.join(m.dir, c, `t${i}.bin`)])),
      expected: (tensor) => {
        const f = path.join(m.dir, c, `t${tensor}.bin`);
        return fs.existsSync(f) ? fs.readFileSync(f) : undefined;
      },
    }));
  }
  // No goldens: seeded inputs, and TFLM's outputs for the whole model as the expected ones.
  const sets: InputSet[] = [];
  for (const seed of [1, 2]) {
    const name = `random_s${seed}`;
    const dir = path.join(work, m.name, name);
    fs.mkdirSync(dir, { recursive: true });
    const inputs = new Map(graph.inputs.map((i, k) => {
      const f = path.join(dir, `t${i}.bin`);
      fs.writeFileSync(f, randomBytes(graph.tensors[i]!.byteLength, seed * 100 + k));
      return [i, f] as [number, string];
    }));
    const outs = graph.outputs.map((o) => path.join(dir, `whole_t${o}.bin`));
    const r = await tflm(m.file, [...inputs.values()], outs);
    if (r.status !== 0) throw new Error(`${m.file}: tflm_run failed on the whole model: ${r.stdout} ${r.stderr}`);
    const expected = new Map(graph.outputs.map((o, k) => [o, fs.readFileSync(outs[k]!)]));
    sets.push({ name, inputs, expected: (tensor) => expected.get(tensor) });
  }
  return sets;
}

/** Runs the plan's segments with tflm_run in order, each fed what TFLM computed before; lists what differs. */
async function chainDifferences(dir: string, plan: PlanFile, set: InputSet): Promise<string[]> {
  const values = new Map(set.inputs);
  const diffs: string[] = [];
  for (const seg of plan.segments) {
    const outs = seg.outputs.map((x) => path.join(dir, `${set.name}.t${x.tensor}.bin`));
    const r = await tflm(path.join(dir, seg.tflite), seg.inputs.map((x) => values.get(x.tensor)!), outs);
    if (r.status !== 0) return [...diffs, `${seg.tflite}: tflm_run exit ${r.status}: ${r.stdout.trim()} ${r.stderr.trim()}`];
    seg.outputs.forEach((x, k) => {
      values.set(x.tensor, outs[k]!);
      const want = set.expected(x.tensor);
      if (want && !fs.readFileSync(outs[k]!).equals(want)) diffs.push(`${set.name}: ${seg.tflite} output t${x.tensor} differs`);
    });
  }
  for (const o of plan.outputs) if (!set.expected(o)) diffs.push(`${set.name}: no expected bytes for output t${o}`);
  return diffs;
}

for (const m of models) {
  t.test(`${m.name}: TFLM runs every segment and matches the goldens`, { skip: requireTools ? false : missing }, async (t) => {
    if (missing) return t.fail(missing);
    const graph = readModelFile(m.file);
    const cuts = listCuts(graph).map((c) => c.position);
    const splits = cuts.length > 1 ? [...cuts.map((c) => [c]), cuts] : cuts.map((c) => [c]);
    const sets = await inputSets(m, graph);
    let segmentFiles = 0;
    await Promise.all(splits.map(async (split) => {
      const dir = path.join(work, m.name, `cuts-${split.join('-')}`);
      const plan = await writePlan(graph, split, dir);
      segmentFiles += plan.segments.length;
      const diffs = (await Promise.all(sets.map((set) => chainDifferences(dir, plan, set)))).flat();
      t.same(diffs, [], `cuts [${split}]: ${plan.segments.length} segments x ${sets.length} inputs equal`);
    }));
    t.equal(segmentFiles, cuts.length > 1 ? 3 * cuts.length + 1 : 2 * cuts.length, `${segmentFiles} segment files`);
  });
}

/** TFLM has int4 FULLY_CONNECTED weights only per tensor: a per-channel int4 FC fails to prepare. */
function hasPerChannelInt4FullyConnected(segment: Graph): boolean {
  return segment.ops.some((op) => {
    const filter = segment.tensors[op.inputs[1]!]!;
    return op.opcode === 'FULLY_CONNECTED' && filter.dtype === 'int4' && (filter.quantization?.scale.length ?? 0) > 1;
  });
}

t.test('int4 segments: TFLM runs them as cleave does, and refuses those with a per-channel int4 FULLY_CONNECTED', { skip: requireTools ? false : missing }, async (t) => {
  if (missing) return t.fail(missing);
  let refused = 0, matched = 0;
  for (const m of models) {
    const graph = readModelFile(m.file);
    const cuts = listCuts(graph).map((c) => c.position);
    const middle = cuts[Math.floor(cuts.length / 2)]!;
    const dir = path.join(work, m.name, `int4-${middle}`);
    const plan = await writePlan(graph, [middle], dir, { int4Segments: new Set([0, 1]) });
    for (const seg of plan.segments) {
      const refusedByTflm = hasPerChannelInt4FullyConnected(readModelFile(path.join(dir, seg.tflite)));
      const inputs = seg.inputs.map((x, k) => {
        const f = path.join(dir, `${seg.tflite}.in${k}.bin`);
        fs.writeFileSync(f, randomBytes(x.bytes, 40 + k));
        return f;
      });
      const outs = seg.outputs.map((_, k) => path.join(dir, `${seg.tflite}.out${k}.bin`));
      const r = await tflm(path.join(dir, seg.tflite), inputs, outs);
      const what = `${m.name} ${seg.tflite} (ops ${seg.ops[0]}..${seg.ops[1] - 1}, int4)`;
      if (refusedByTflm) {
        t.not(r.status, 0, `${what}: refused by TFLM`);
        t.match(r.stderr, /fully_connected_common\.cc.*kTfLiteInt4[\s\S]*FULLY_CONNECTED .* failed to prepare/, `${what}: refused for its per-channel int4 FULLY_CONNECTED`);
        refused++;
        continue;
      }
      t.equal(r.status, 0, `${what}: runs in TFLM ${r.stdout.trim()} ${r.stderr.trim()}`);
      const session = Session.fromBytes(fs.readFileSync(path.join(dir, seg.program)), seg.program, { threads: 1 });
      const got = session.runSync(inputs.map((f) => new Uint8Array(fs.readFileSync(f)))).outputs;
      session.dispose();
      const same = got.every((o, k) => Buffer.from(o.buffer, o.byteOffset, o.byteLength).equals(fs.readFileSync(outs[k]!)));
      t.ok(same, `${what}: TFLM's outputs equal cleave's`);
      matched++;
    }
  }
  t.ok(refused > 0 && matched > 0, `${refused} int4 segments with a per-channel FULLY_CONNECTED refused, ${matched} others equal`);
});
