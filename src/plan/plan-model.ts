// Planning one model end to end, as `cleave plan` and `cleave demo` both do: profile (unless given
// profiles), fit the cost model, cost every device, measure the wire, search the Pareto front, choose
// a plan, and compare it with the whole model on one device; then the report, the JSON and the files
// of the chosen plan. The commands only parse flags and print.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { CodecName } from '../codec';
import { CleaveError } from '../errors';
import type { Graph } from '../model/graph';
import { formatTable } from '../cli/table';
import { writePlan } from '../segments/plan';
import { costModelFromProfiles, heldBackError, heldBackProfileErrors, samplesOf, type CostModel, type HeldBackError } from './cost-model';
import type { Device, Link } from './devices';
import { profileModel, type Profile } from './profile';
import { buildProblem, deviceCosts, measureWireSizes, type DeviceCosts } from './problem';
import { bestSingleDevice, choosePlan, searchPareto, singleDevicePlan, totalJoules, type CandidatePlan, type Objective, type PlanningProblem, type Precision } from './search';

export interface PlanModelInputs {
  graph: Graph;
  /** The .tflite file `graph` was read from. */
  modelPath: string;
  devices: Device[];
  links: Link[];
  /** Measured profiles; default: profile the model here (5 runs, no energy window). */
  profiles?: Profile[];
  /** The files `profiles` came from, in order (named in the report). */
  profileFiles?: string[];
  codecs: CodecName[];
  precisions: Precision[];
  objective: Objective;
  maxLatencyMs?: number;
  /** Search progress (done, total steps), called from inside the synchronous search. */
  onProgress?: (done: number, total: number) => void;
}

export interface ModelPlan {
  modelPath: string;
  objective: Objective;
  devices: Device[];
  costs: DeviceCosts[];
  costModel: CostModel;
  heldBack: HeldBackError;
  /** Each fitted profile held out in turn and predicted from the others (empty with one profile). */
  heldBackProfiles: ReturnType<typeof heldBackProfileErrors>;
  /** The fitted profiles' files, in order, when the caller knows them (for the report). */
  fittedFiles: string[];
  problem: PlanningProblem;
  front: CandidatePlan[];
  chosen: CandidatePlan;
  /** The whole model on the device best for the objective, if one holds it. */
  single?: CandidatePlan;
  /** The whole model on the last device of the chain (with more than one device), if it holds it. */
  offload?: CandidatePlan;
  searchMs: number;
}

/** The Pareto front of `inputs` and its chosen plan; NO_FEASIBLE_PLAN when nothing fits. */
export async function planModel(inputs: PlanModelInputs): Promise<ModelPlan> {
  const { graph, modelPath, devices, links, objective } = inputs;
  const profiles = inputs.profiles?.length ? inputs.profiles : [await profileModel(graph, modelPath, { repeat: 5, energy: false })];
  // The cost model is fitted on one board's profiles: the first profile's.
  const fitted = profiles.filter((p) => p.board.id === profiles[0]!.board.id);
  const costModel = costModelFromProfiles(fitted);
  const heldBack = heldBackError(samplesOf(fitted));
  const heldBackProfiles = heldBackProfileErrors(fitted);
  // Profiles are named by their files (a profile's own `model` is the file's base name, often model.tflite).
  const fittedFiles = (inputs.profileFiles ?? []).filter((_, i) => profiles[i]?.board.id === costModel.board);
  const costs = devices.map((d) => deviceCosts(graph, d, profiles, costModel));
  const wire = measureWireSizes(graph, modelPath, inputs.codecs);
  const started = process.hrtime.bigint();
  const maxLatencyMicros = inputs.maxLatencyMs === undefined ? undefined : inputs.maxLatencyMs * 1000;
  const { problem } = buildProblem({ graph, devices, links, costs, wire, precisions: inputs.precisions, maxLatencyMicros });
  const front = searchPareto(problem, { onProgress: inputs.onProgress });
  const searchMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (front.length === 0) {
    const memory = devices.map((d) => `${d.name} ${d.ramBytes === Infinity ? 'unlimited' : `${d.ramBytes} B`} RAM${d.flashBytes === Infinity ? '' : `, ${d.flashBytes} B flash`}`).join('; ');
    throw new CleaveError('NO_FEASIBLE_PLAN', `${modelPath}: no plan fits the devices' memory (${memory})${inputs.maxLatencyMs === undefined ? '' : ` within --max-latency ${inputs.maxLatencyMs} ms`}`);
  }
  return {
    modelPath, objective, devices, costs, costModel, heldBack, heldBackProfiles, fittedFiles, problem, front, searchMs,
    chosen: choosePlan(front, objective),
    single: bestSingleDevice(problem, objective),
    offload: devices.length > 1 ? singleDevicePlan(problem, devices.length - 1) : undefined,
  };
}

/** "0..11@mcu →lossless→ 12..30@host": each segment's ops and device, and the codec where data moves. */
export function describePlan(p: CandidatePlan, names: string[]): string {
  return p.segments.map((s) => {
    const t = p.transfers.find((x) => x.position === s.begin && x.to === s.device);
    const wire = t ? `→${t.codec}→ ` : '';
    return `${wire}${s.begin}..${s.end - 1}@${names[s.device]}${s.precision === 'int4' ? ' int4' : ''}`;
  }).join(' ');
}

/** The front as a table, the chosen plan marked, then the chosen plan against the single-device baselines. */
export function formatPlanReport(r: ModelPlan, chosen: CandidatePlan = r.chosen): string {
  const names = r.devices.map((d) => d.name);
  const rows = r.front.map((p, i) => [
    p === chosen ? '*' : '', i, describePlan(p, names), (p.objectives.latencyMicros / 1000).toFixed(3), (1e6 / p.objectives.bottleneckMicros).toFixed(1),
    Math.round(p.objectives.wireBytes), ...p.objectives.joules.map((j) => (j * 1000).toFixed(4)),
  ]);
  const lines = [formatTable(['', 'plan', 'segments (ops@device, →codec→ where data moves)', 'latency ms', 'inf/s', 'wire B', ...names.map((n) => `${n} mJ`)], rows)];
  lines.push(`* chosen for ${r.objective}. ${r.front.length} plans on the front, searched in ${r.searchMs.toFixed(1)} ms.`);
  const summary = (p: CandidatePlan) => `${(p.objectives.latencyMicros / 1000).toFixed(3)} ms, ${p.objectives.joules.map((j, i) => `${names[i]} ${(j * 1000).toFixed(4)} mJ`).join(' ')}`;
  lines.push(`chosen: ${summary(chosen)}`);
  lines.push(`vs best single device: ${r.single ? `${names[r.single.segments[0]!.device]} ${summary(r.single)}` : 'no device holds the whole model'}`);
  if (r.devices.length > 1) lines.push(`vs full offload to ${names[names.length - 1]}: ${r.offload ? summary(r.offload) : 'it cannot hold the whole model'}`);
  r.devices.forEach((d, i) => lines.push(`${d.name} (${d.board.id}): latency ${r.costs[i]!.source}, energy ${r.costs[i]!.energy}`));
  lines.push(r.heldBack.ops === 0
    ? `cost model fitted on ${r.costModel.board}: too few profiled ops to hold any back, its error is not measured`
    : `cost model fitted on ${r.costModel.board}: on held-back ops, median error ${r.heldBack.medianAbsPercent.toFixed(1)}%, mean ${r.heldBack.meanAbsPercent.toFixed(1)}% (${r.heldBack.ops} ops)`);
  for (const [i, e] of r.heldBackProfiles.entries()) {
    lines.push(`  ${r.fittedFiles[i] ?? e.model} held back, predicted from the other profiles: median op error ${e.medianAbsPercent.toFixed(1)}%, whole model ${e.totalPercent >= 0 ? '+' : ''}${e.totalPercent.toFixed(1)}%`);
  }
  return `${lines.join('\n')}\n`;
}

/** A plan's figures for comparison: its latency and energy per device (and its device when it has one segment). */
function planFigures(r: ModelPlan, p: CandidatePlan) {
  const names = r.devices.map((d) => d.name);
  return {
    device: p.segments.length === 1 ? names[p.segments[0]!.device] : undefined,
    latencyMs: p.objectives.latencyMicros / 1000, joules: Object.fromEntries(names.map((n, i) => [n, p.objectives.joules[i]])), totalJoules: totalJoules(p.objectives),
  };
}

/** The machine-readable front (`cleave plan --json`). */
export function planJson(r: ModelPlan, chosen: CandidatePlan = r.chosen) {
  return {
    model: r.modelPath, objective: r.objective, searchMs: r.searchMs,
    devices: r.devices.map((d, i) => ({ name: d.name, board: d.board.id, costs: r.costs[i]!.source, energy: r.costs[i]!.energy })),
    costModel: { board: r.costModel.board, heldBack: r.heldBack, heldBackProfiles: r.heldBackProfiles }, chosen: r.front.indexOf(chosen), front: r.front,
    compared: { chosen: planFigures(r, chosen), bestSingleDevice: r.single && planFigures(r, r.single), fullOffload: r.offload && planFigures(r, r.offload) },
  };
}

/** Writes `chosen`'s plan.json and segments to `dir`, and DIR/placement.json (where each segment runs, what it should cost). */
export async function writeChosenPlan(r: ModelPlan, graph: Graph, dir: string, chosen: CandidatePlan = r.chosen): Promise<string> {
  const names = r.devices.map((d) => d.name);
  const cuts = chosen.segments.slice(1).map((s) => s.begin);
  const int4Segments = new Set(chosen.segments.flatMap((s, i) => (s.precision === 'int4' ? [i] : [])));
  const written = await writePlan(graph, cuts, dir, { int4Segments });
  const placement = {
    model: path.basename(r.modelPath), objective: r.objective,
    segments: chosen.segments.map((s, i) => ({ index: i, ops: [s.begin, s.end], device: names[s.device], board: r.devices[s.device]!.board.id, weights: s.precision, arenaBytes: written.segments[i]!.arenaBytes, weightBytes: written.segments[i]!.weightBytes, costs: r.costs[s.device]!.source })),
    transfers: chosen.transfers.map((t) => ({ position: t.position, from: names[t.from], to: names[t.to], codec: t.codec, lossless: t.lossless, bytes: t.bytes })),
    predicted: { latencyMs: chosen.objectives.latencyMicros / 1000, throughputPerSecond: 1e6 / chosen.objectives.bottleneckMicros, wireBytes: chosen.objectives.wireBytes, joules: Object.fromEntries(names.map((n, i) => [n, chosen.objectives.joules[i]])), totalJoules: totalJoules(chosen.objectives) },
  };
  await writeFileOrFail(path.join(dir, 'placement.json'), `${JSON.stringify(placement, null, 2)}\n`);
  return path.join(dir, 'plan.json');
}

export async function writeFileOrFail(file: string, text: string): Promise<void> {
  try {
    await fsp.writeFile(file, text);
  } catch (err) {
    throw new CleaveError('WRITE_FAILED', `${file}: cannot write (${(err as Error).message})`);
  }
}
