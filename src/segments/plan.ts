// A split model on disk: DIR/plan.json plus, per segment, a standalone .tflite and its compiled
// Program. PlanRunner runs the segments in sequence in one process, handing each the tensors that
// cross its cut, so a plan is a drop-in for a Session.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { compileGraph } from '../compile/program';
import { CleaveError } from '../errors';
import { makeDirectory } from '../io/files';
import type { Graph } from '../model/graph';
import type { EnergyReading } from '../../hal';
import { writeModel } from '../model/writer';
import { type RunDetails, Session, type SessionOptions, type TensorData, type TensorSpec } from '../session';
import { requantizeWeightsInt4 } from './int4';
import { splitGraph } from './segment';

export const PLAN_FORMAT = 'cleave-plan';
export const PLAN_VERSION = 1;

export interface StageResult {
  segment: number;
  micros: number;
  energy?: EnergyReading;
}

export interface PlanTensor {
  /** Tensor index in the original model. */
  tensor: number;
  name: string;
  shape: number[];
  dtype: string;
  bytes: number;
}

export interface PlanSegment {
  index: number;
  /** Ops [begin, end) of the original model. */
  ops: [number, number];
  tflite: string;
  program: string;
  inputs: PlanTensor[];
  outputs: PlanTensor[];
  /** For each tensor of the segment's .tflite (by its index there), the original model's index. */
  tensors: number[];
  arenaBytes: number;
  /** Precision of the segment's CONV/DEPTHWISE/FC weights. */
  weights: 'int8' | 'int4';
  weightBytes: number;
  /** With int4 weights: the bytes those weights took as int8. */
  int8WeightBytes?: number;
}

export interface PlanFile {
  format: typeof PLAN_FORMAT;
  version: number;
  model: string;
  cuts: number[];
  inputs: number[];
  outputs: number[];
  segments: PlanSegment[];
}

function planTensor(graph: Graph, index: number): PlanTensor {
  const t = graph.tensors[index]!;
  return { tensor: index, name: t.name, shape: t.shape, dtype: t.dtype, bytes: t.byteLength };
}

export interface SplitOptions {
  /** Segment indices whose weights are re-quantized to int4. */
  int4Segments?: ReadonlySet<number>;
}

/** Splits `graph` at `cuts` into DIR: segN.tflite, segN.cprog and plan.json. */
export async function writePlan(graph: Graph, cuts: number[], dir: string, options: SplitOptions = {}): Promise<PlanFile> {
  await makeDirectory(dir);
  const segments = splitGraph(graph, cuts, path.basename(graph.source, '.tflite'));
  const plan: PlanFile = { format: PLAN_FORMAT, version: PLAN_VERSION, model: path.basename(graph.source), cuts, inputs: graph.inputs, outputs: graph.outputs, segments: [] };
  for (const [i, seg] of segments.entries()) {
    const int4 = options.int4Segments?.has(i) ? requantizeWeightsInt4(seg.graph) : null;
    const segGraph = int4?.graph ?? seg.graph;
    const compiled = compileGraph(segGraph);
    const tflite = `seg${i}.tflite`, program = `seg${i}.cprog`;
    await fsp.writeFile(path.join(dir, tflite), writeModel(segGraph));
    await fsp.writeFile(path.join(dir, program), compiled.bytes);
    plan.segments.push({
      index: i,
      ops: [seg.begin, seg.end],
      tflite,
      program,
      inputs: seg.inputs.map((t) => planTensor(graph, t)),
      outputs: seg.outputs.map((t) => planTensor(graph, t)),
      tensors: [...seg.tensorMap.entries()].sort((a, b) => a[1] - b[1]).map(([original]) => original),
      arenaBytes: compiled.arenaBytes,
      weights: int4 ? 'int4' : 'int8',
      weightBytes: segGraph.tensors.reduce((s, t) => s + (t.data?.length ?? 0), 0),
      ...(int4 ? { int8WeightBytes: seg.graph.tensors.reduce((s, t) => s + (t.data?.length ?? 0), 0) } : {}),
    });
  }
  await fsp.writeFile(path.join(dir, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
  return plan;
}

/**
 * A segment's file name must be a plain name inside the plan's directory, never a path elsewhere: a
 * plan is data that may come from another machine, and its files are opened relative to it. A
 * backslash is refused too, as it separates directories on Windows.
 */
function checkFileName(planPath: string, name: unknown, what: string): void {
  if (typeof name !== 'string' || name === '' || name !== path.basename(name) || name.includes('\\') || name === '.' || name === '..') {
    throw new CleaveError('BAD_PLAN', `${planPath}: ${what} must be a file name inside the plan directory, got ${JSON.stringify(name)}`);
  }
}

function planFile(planPath: string, name: string): string {
  return path.join(path.dirname(planPath), name);
}

export function validatePlan(planPath: string, value: unknown): PlanFile {
  const fail = (m: string): never => { throw new CleaveError('BAD_PLAN', `${planPath}: ${m}`); };
  const p = value as PlanFile;
  if (!p || typeof p !== 'object' || p.format !== PLAN_FORMAT) fail(`not a cleave plan (format is not "${PLAN_FORMAT}")`);
  if (p.version !== PLAN_VERSION) fail(`plan version ${p.version} is not supported (expected ${PLAN_VERSION})`);
  if (!Array.isArray(p.segments) || p.segments.length === 0) fail('plan has no segments');
  const known = new Set<number>(Array.isArray(p.inputs) ? p.inputs : fail('inputs missing'));
  p.segments.forEach((s, i) => {
    if (!s || typeof s !== 'object') fail(`segment ${i} is not an object`);
    checkFileName(planPath, s.tflite, `segment ${i} tflite`);
    checkFileName(planPath, s.program, `segment ${i} program`);
    if (!Array.isArray(s.inputs) || !Array.isArray(s.outputs) || !Array.isArray(s.tensors)) fail(`segment ${i} lacks inputs, outputs or tensors`);
    for (const t of s.inputs) if (!known.has(t.tensor)) fail(`segment ${i} needs tensor ${t.tensor}, which no earlier segment produces`);
    for (const t of s.outputs) known.add(t.tensor);
  });
  if (!Array.isArray(p.outputs)) fail('outputs missing');
  for (const t of p.outputs) if (!known.has(t)) fail(`model output tensor ${t} is produced by no segment`);
  return p;
}

/** Reads and validates DIR/plan.json. */
export async function readPlan(planPath: string): Promise<PlanFile> {
  let text: string;
  try {
    text = await fsp.readFile(planPath, 'utf8');
  } catch (err) {
    throw new CleaveError('FILE_NOT_FOUND', `${planPath}: cannot read plan: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CleaveError('BAD_PLAN', `${planPath}: not JSON (${(err as Error).message})`);
  }
  return validatePlan(planPath, json);
}

/** The bytes of a segment's Program, from beside the plan. */
export async function readSegmentProgram(planPath: string, seg: PlanSegment): Promise<{ file: string; bytes: Uint8Array }> {
  const file = planFile(planPath, seg.program);
  try {
    return { file, bytes: await fsp.readFile(file) };
  } catch {
    throw new CleaveError('FILE_NOT_FOUND', `${file}: cannot read segment ${seg.index} Program`);
  }
}

export class PlanRunner {
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];

  private constructor(
    readonly plan: PlanFile,
    private readonly sessions: Session[],
  ) {
    const first = sessions[0]!;
    const byTensor = new Map<number, TensorSpec>();
    sessions.forEach((s, i) => plan.segments[i]!.outputs.forEach((t, k) => byTensor.set(t.tensor, { ...s.outputs[k]!, index: t.tensor })));
    this.inputs = plan.inputs.map((t) => {
      const k = plan.segments[0]!.inputs.findIndex((x) => x.tensor === t);
      return { ...first.inputs[k]!, index: t };
    });
    this.outputs = plan.outputs.map((t) => byTensor.get(t)!);
  }

  static async load(planPath: string, options: SessionOptions = {}): Promise<PlanRunner> {
    const plan = await readPlan(planPath);
    const sessions: Session[] = [];
    try {
      for (const seg of plan.segments) {
        const { file, bytes } = await readSegmentProgram(planPath, seg);
        const s = Session.fromBytes(bytes, file, options);
        if (s.inputs.length !== seg.inputs.length || s.outputs.length !== seg.outputs.length) {
          throw new CleaveError('BAD_PLAN', `${file}: has ${s.inputs.length} inputs / ${s.outputs.length} outputs, plan says ${seg.inputs.length} / ${seg.outputs.length}`);
        }
        sessions.push(s);
      }
    } catch (err) {
      for (const s of sessions) s.dispose();
      throw err;
    }
    return new PlanRunner(plan, sessions);
  }

  get arenaBytes(): number {
    return Math.max(...this.sessions.map((s) => s.arenaBytes));
  }

  /**
   * Runs every segment in order; dumps (if asked) are keyed by the original model's tensor indices.
   * `stages` has each segment's interpreter time and, with an energy meter, its energy.
   */
  async runDetailed(inputs: TensorData | TensorData[], options: { dump?: boolean } = {}): Promise<RunDetails & { crossingBytes: number[]; stages: StageResult[] }> {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length !== this.inputs.length) throw new CleaveError('BAD_INPUT', `plan expects ${this.inputs.length} input(s), got ${list.length}`);
    const values = new Map<number, TensorData>(this.plan.inputs.map((t, i) => [t, list[i]!]));
    const dumps = options.dump ? new Map<number, Uint8Array>() : undefined;
    const crossingBytes: number[] = [];
    const stages: StageResult[] = [];
    let micros = 0;
    for (const [i, seg] of this.plan.segments.entries()) {
      const session = this.sessions[i]!;
      const r = await session.runDetailed(seg.inputs.map((t) => values.get(t.tensor)!), options);
      micros += r.micros;
      stages.push({ segment: i, micros: r.micros, ...(r.energy ? { energy: r.energy } : {}) });
      seg.outputs.forEach((t, k) => values.set(t.tensor, r.outputs[k]!));
      if (i < this.plan.segments.length - 1) crossingBytes.push(seg.outputs.reduce((s, t) => s + t.bytes, 0));
      if (dumps && r.dumps) for (const [k, v] of r.dumps) dumps.set(seg.tensors[k] ?? k, v);
    }
    const joules = stages.every((s) => s.energy) && stages.length ? stages.reduce((n, s) => n + s.energy!.joules, 0) : undefined;
    const seconds = stages.reduce((n, s) => n + (s.energy?.seconds ?? 0), 0);
    const energy = joules === undefined ? undefined : { ...stages[0]!.energy!, joules, seconds, averageWatts: seconds > 0 ? joules / seconds : 0 };
    return { outputs: this.plan.outputs.map((t) => values.get(t)!), micros, dumps, crossingBytes, stages, ...(energy ? { energy } : {}) };
  }

  async run(inputs: TensorData | TensorData[]): Promise<TensorData[]> {
    return (await this.runDetailed(inputs)).outputs;
  }

  dispose(): void {
    for (const s of this.sessions) s.dispose();
  }
}
