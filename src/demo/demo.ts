// `cleave demo`: the main job, on embedded defaults. A shipped model is profiled here and planned
// across the devices available (demo/devices.ts), the Pareto front printed and charted, the chosen
// split run N times through the pipeline (the remote segment on a `cleave serve` child or the
// emulated MCU), a per-stage latency and energy table printed, and the run's telemetry published to
// the embedded MQTT broker and read back. Every child, link and broker is closed before it returns.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectCurrentBoard, ESTIMATED_METER, estimateJoules, loadBoardCatalog, openBestEnergyMeter, type BoardDescriptor, type EnergyMeter } from '../../hal';
import { CODECS, type CodecName } from '../codec';
import { startProgress } from '../cli/progress';
import { formatTable } from '../cli/table';
import { stagesOfPipeline } from '../daemon/engine';
import { meterRuns, type EnergyWindow } from '../energy-window';
import { CleaveError } from '../errors';
import { prepareOutputDir } from '../io/files';
import { readModelFile } from '../model/reader';
import { packageRoot } from '../paths';
import { frontChart } from '../plan/chart';
import { parseDevices, parseLinks, type Link } from '../plan/devices';
import { formatPlanReport, planJson, planModel, writeChosenPlan, writeFileOrFail, type ModelPlan } from '../plan/plan-model';
import type { CandidatePlan, Objective } from '../plan/search';
import { startServedSegment, type ServedSegment } from '../hil/serve-board';
import { pipeline, type Pipeline, type PipelineResult } from '../pipeline/runner';
import { latencySummary } from '../stats';
import { connectClient, MqttSink, parseTelemetryMessage, startEmbeddedBroker, Telemetry, type EmbeddedBroker, type TelemetrySummary } from '../telemetry';
import { telemetrySourceOf } from '../telemetry/cli-options';
import { availableDevices } from './devices';

export interface DemoOptions {
  /** A shipped model's name (models/NAME) or a .tflite path. */
  model: string;
  runs: number;
  objective: Objective;
  /** Output folder; default a fresh one under the OS temp dir. */
  out?: string;
  /** Progress and notes on stderr (never with --json). */
  log: (line: string) => void;
  /** Text results (the front, the tables); not called with --json. */
  print?: (text: string) => void;
  json?: boolean;
}

export interface StageRow {
  stage: string;
  segment: number | null;
  device: string;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  /** Energy per inference of the stage, from its p50 time or the meter window; null when nothing gives one. */
  energyMj: number | null;
  energySource: string;
}

export interface DemoSummary {
  model: string;
  out: string;
  svg: string;
  plan: string;
  devices: { name: string; board: string; role: string }[];
  skipped: string[];
  front: ReturnType<typeof planJson>;
  runs: number;
  stages: StageRow[];
  telemetry: { broker: string; published: { records: number; summaries: number }; received: { records: number; summaries: number } };
}

const FLEET = 'demo';
/** How long the read-back waits for the last messages after the telemetry is closed. */
const READ_BACK_MS = 5000;

/** A shipped model by name, or a .tflite file; the input of the first golden case next to it, if any. */
export function resolveModel(model: string): string {
  const file = model.endsWith('.tflite') ? path.resolve(model) : path.join(packageRoot, 'models', model, 'model.tflite');
  if (!fs.existsSync(file)) {
    const shipped = fs.readdirSync(path.join(packageRoot, 'models')).filter((n) => fs.existsSync(path.join(packageRoot, 'models', n, 'model.tflite')));
    throw new CleaveError('FILE_NOT_FOUND', `--model ${model}: no such model (${file}); shipped: ${shipped.join(', ')}, or give a .tflite path`);
  }
  return file;
}

/** The plan's input tensors: the first golden case beside the model where there is one, else zeros. */
function demoInputs(modelFile: string, p: Pipeline): Uint8Array[] {
  const dir = path.dirname(modelFile);
  const golden = fs.readdirSync(dir).sort().find((c) => fs.existsSync(path.join(dir, c, 'manifest.json')));
  const specs = p.plan.segments[0]!.inputs;
  return p.plan.inputs.map((index, i) => {
    const file = golden === undefined ? undefined : path.join(dir, golden, `t${index}.bin`);
    return file && fs.existsSync(file) ? new Uint8Array(fs.readFileSync(file)) : new Uint8Array(specs[i]!.bytes);
  });
}

/** The plan the demo runs: the chosen one, or, when that keeps the whole model on one device, the front's best split. */
function planToRun(r: ModelPlan): { plan: CandidatePlan; note?: string } {
  if (r.chosen.segments.length > 1) return { plan: r.chosen };
  const splits = r.front.filter((p) => p.segments.length > 1);
  if (splits.length === 0) return { plan: r.chosen, note: 'no split plan is on the front: the demo runs the model on one device' };
  const key = (p: CandidatePlan) => (r.objective === 'latency' ? p.objectives.latencyMicros : r.objective === 'throughput' ? p.objectives.bottleneckMicros : p.objectives.joules.reduce((a, b) => a + b, 0));
  const best = splits.reduce((a, b) => (key(b) < key(a) ? b : a));
  return { plan: best, note: `the planner's choice keeps the whole model on one device; the demo runs the front's best split for ${r.objective} (marked *)` };
}

/** Reads telemetry back as `cleave telemetry tail` does: a subscriber to the fleet's telemetry and summary topics. */
async function subscribe(broker: EmbeddedBroker) {
  const { client, connected } = await connectClient({ url: broker.url });
  if (!connected) {
    client.end(true);
    throw new CleaveError('BROKER_UNREACHABLE', `embedded MQTT broker ${broker.url}: no connection within 3 s`);
  }
  const received = { records: 0, summaries: [] as TelemetrySummary[], problems: [] as string[] };
  client.on('message', (topic, payload) => {
    try {
      const m = parseTelemetryMessage(payload.toString(), `topic ${topic}`);
      if (m.kind === 'record') received.records++;
      else received.summaries.push(m);
    } catch (err) {
      received.problems.push((err as Error).message);
    }
  });
  await client.subscribeAsync([`cleave/v1/${FLEET}/+/telemetry`, `cleave/v1/${FLEET}/+/summary`], { qos: 1 });
  return { received, close: () => client.endAsync() };
}

async function waitFor(done: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
}

/** Energy of `seconds` of one busy core on `board` by its power model, or why there is none. */
function modelEnergy(board: BoardDescriptor, seconds: number): { mj: number | null; source: string } {
  if (!board.power.model) return { mj: null, source: `none (${board.id} has no power model)` };
  return { mj: estimateJoules(board.power.model, seconds, 1) * 1000, source: `estimated (${board.id} power model)` };
}

/** The per-stage rows: p50/p90/p99 of every stage of every segment, then end to end, each with its energy. */
function stageRows(results: PipelineResult[], names: string[], boards: BoardDescriptor[], links: Link[], segmentDevice: number[], local: number, window: EnergyWindow | undefined, meterNote: string): StageRow[] {
  const rows: StageRow[] = [];
  const row = (stage: string, segment: number | null, device: string, samples: number[], energy: { mj: number | null; source: string }) => {
    const s = latencySummary(samples);
    rows.push({ stage, segment, device, p50Ms: s.p50, p90Ms: s.p90, p99Ms: s.p99, energyMj: energy.mj, energySource: energy.source });
  };
  for (const [i, stage] of results[0]!.stages.entries()) {
    const d = segmentDevice[i]!;
    const at = (f: (s: PipelineResult['stages'][number]) => number) => results.map((r) => f(r.stages[i]!));
    const compute = at((s) => s.computeMs);
    row('compute', i, names[d]!, compute, modelEnergy(boards[d]!, latencySummary(compute).p50 / 1000));
    if (stage.where === 'local') continue;
    // Encoding and decoding run in this process (device `local`); the wire's energy is the link's per byte.
    const encode = at((s) => s.encodeMs ?? 0);
    row('encode', i, names[local]!, encode, modelEnergy(boards[local]!, latencySummary(encode).p50 / 1000));
    const link = links.find((l) => l.b === d) ?? links[0]!;
    const bytes = (stage.bytesSent ?? 0) + (stage.bytesReceived ?? 0);
    row('wire', i, link.spec.split('=')[0]!, at((s) => Math.max(0, (s.wireMs ?? 0) - s.computeMs)), { mj: bytes * link.joulesPerByte * 1000, source: `estimated (${link.spec}, ${bytes} B)` });
    const decode = at((s) => s.decodeMs ?? 0);
    row('decode', i, names[local]!, decode, modelEnergy(boards[local]!, latencySummary(decode).p50 / 1000));
  }
  const e2e = window
    ? { mj: window.joulesPerInference * 1000, source: `${window.reading.kind === 'measured' ? 'measured' : 'estimated'} (${window.reading.name}, whole host, ${window.runs} runs)` }
    : { mj: null, source: meterNote };
  row('end-to-end', null, names.join('+'), results.map((r) => r.endToEndMs), e2e);
  return rows;
}

export function formatStageTable(rows: StageRow[]): string {
  const f = (n: number) => n.toFixed(3);
  return formatTable(['stage', 'seg', 'where', 'p50 ms', 'p90 ms', 'p99 ms', 'energy mJ', 'energy source'],
    rows.map((r) => [r.stage, r.segment ?? '', r.device, f(r.p50Ms), f(r.p90Ms), f(r.p99Ms), r.energyMj === null ? '-' : r.energyMj.toFixed(4), r.energySource]));
}

/** Runs the demo; throws a CleaveError naming the step that failed, with everything it started closed. */
export async function runDemo(opts: DemoOptions): Promise<DemoSummary> {
  if (!Number.isInteger(opts.runs) || opts.runs < 1) throw new CleaveError('BAD_ARGUMENT', `--runs must be a positive integer, got ${opts.runs}`);
  const print = opts.print ?? (() => undefined);
  const modelFile = resolveModel(opts.model);
  const out = opts.out ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-demo-'));
  await prepareOutputDir(out);
  opts.log(`cleave demo: ${path.relative(process.cwd(), modelFile) || modelFile}, results in ${out}`);

  // 1. The devices here, then the plan across them.
  const hostBoard = (await detectCurrentBoard()).descriptor;
  const found = availableDevices(hostBoard.id);
  for (const s of found.skipped) opts.log(`skipped ${s}`);
  const catalog = loadBoardCatalog();
  const devices = parseDevices(found.devices.map((d) => `${d.name}=${d.board}`), catalog);
  const links = parseLinks(found.links, devices);
  const names = devices.map((d) => d.name);
  for (const d of found.devices) opts.log(`device ${d.name} (${d.board}): ${d.role}`);
  const graph = readModelFile(modelFile);
  opts.log('profiling the model on this host and planning…');
  const planned = await planModel({
    graph, modelPath: modelFile, devices, links, codecs: CODECS.map((c) => c.name) as CodecName[],
    precisions: ['int8'], objective: opts.objective,
  });
  const run = planToRun(planned);
  print(formatPlanReport(planned, run.plan));
  if (run.note) print(`note: ${run.note}\n`);
  const svg = path.join(out, 'front.svg');
  await writeFileOrFail(svg, frontChart(planned.front, run.plan, `${path.basename(path.dirname(modelFile))}: ${names.join(' → ')}`));
  const planPath = await writeChosenPlan(planned, graph, path.join(out, 'plan'), run.plan);
  print(`wrote ${svg} and ${planPath}\n`);

  // 2. The plan run through the pipeline, each segment where its device is; telemetry to the embedded broker.
  const segmentDevice = run.plan.segments.map((s) => s.device);
  const served: ServedSegment[] = [];
  let broker: EmbeddedBroker | undefined;
  let subscriber: Awaited<ReturnType<typeof subscribe>> | undefined;
  let telemetry: Telemetry | undefined;
  let p: Pipeline | undefined;
  let meter: EnergyMeter | undefined;
  let meterNote = '';
  try {
    const remotes: Record<number, string> = {};
    for (const [i, d] of segmentDevice.entries()) {
      const placement = found.devices[d]!.placement;
      if (placement.kind === 'served') {
        const s = await startServedSegment(planPath, i);
        served.push(s);
        remotes[i] = s.address;
        opts.log(`segment ${i} served by cleave serve (pid ${s.pid}) on ${s.address}`);
      } else if (placement.kind === 'remote') {
        remotes[i] = placement.address;
      }
    }
    broker = await startEmbeddedBroker();
    subscriber = await subscribe(broker);
    const source = await telemetrySourceOf(planPath);
    const sink = await MqttSink.open({ url: broker.url, fleet: FLEET, device: source.device, spoolDir: path.join(out, 'spool') });
    // Every record is sent (a demo of 100 runs is small), and one summary per stage closes the run.
    telemetry = new Telemetry(source, [sink], { sampleRate: 1, summaryEveryMs: 0 });
    // The pipeline sends every crossing tensor with one codec: the one the planner chose for the first transfer.
    const codec = run.plan.transfers[0]?.codec as CodecName | undefined;
    p = await pipeline(planPath, { remotes, window: 1, codec });
    try {
      meter = await openBestEnergyMeter(hostBoard);
    } catch (err) {
      if (!(err instanceof CleaveError)) throw err;
      meterNote = `none (${err.message.split('\n')[0]})`;
    }
    const inputs = demoInputs(modelFile, p);
    opts.log(`running ${opts.runs} inferences through the pipeline…`);
    const results: PipelineResult[] = [];
    const bar = startProgress('inferences', opts.runs, { json: opts.json });
    const runOnce = async () => {
      const r = await p!.run(inputs);
      results.push(r);
      for (const s of stagesOfPipeline(r)) telemetry!.record(s);
      telemetry!.record({ stage: 'end-to-end', latencyUs: r.endToEndMs * 1000, bytes: r.bytesSent + r.bytesReceived });
      bar.advance();
    };
    let window: EnergyWindow | undefined;
    try {
      if (meter) window = await meterRuns(meter, opts.runs, runOnce);
      else for (let i = 0; i < opts.runs; i++) await runOnce();
    } finally {
      bar.stop();
    }
    if (meter?.kind === 'estimated' || window?.reading.kind === 'estimated') opts.log(`energy: no measured meter on ${hostBoard.id}, the end-to-end figure is ${ESTIMATED_METER}'s estimate`);

    // 3. Latency and energy per stage.
    const stages = stageRows(results, names, devices.map((d) => d.board), links, segmentDevice, found.devices.findIndex((d) => d.placement.kind === 'local'), window, meterNote);
    print(`${formatStageTable(stages)}\n`);

    // 4. The telemetry read back.
    const published = { records: results.length * (stagesOfPipeline(results[0]!).length + 1), summaries: 0 };
    await telemetry.close();
    telemetry = undefined;
    const { received } = subscriber;
    // One summary per (segment, stage) seen: as many as the distinct stages recorded.
    published.summaries = new Set(stagesOfPipeline(results[0]!).map((s) => `${s.segment}/${s.stage}`)).size + 1;
    await waitFor(() => received.records >= published.records && received.summaries.length >= published.summaries, READ_BACK_MS);
    print(`telemetry: published ${published.records} records and ${published.summaries} summaries to ${broker.url} (fleet ${FLEET}); read back ${received.records} records and ${received.summaries.length} summaries\n`);
    if (received.summaries.length) {
      print(`${formatTable(['seg', 'stage', 'count', 'p50 µs', 'p99 µs'], received.summaries.map((s) => [s.segment, s.stage, s.count, s.p50Us?.toFixed(1) ?? '-', s.p99Us?.toFixed(1) ?? '-']))}\n`);
    }
    for (const problem of received.problems) opts.log(`telemetry: ${problem}`);
    return {
      model: modelFile, out, svg, plan: planPath,
      devices: found.devices.map((d) => ({ name: d.name, board: d.board, role: d.role })),
      skipped: found.skipped, front: planJson(planned, run.plan), runs: results.length, stages,
      telemetry: { broker: broker.url, published, received: { records: received.records, summaries: received.summaries.length } },
    };
  } finally {
    // Everything the demo started, closed whatever happened: the process must exit on its own.
    await telemetry?.close().catch(() => undefined);
    await p?.close();
    await meter?.close();
    await Promise.all(served.map((s) => s.stop()));
    await subscriber?.close();
    await broker?.close();
  }
}
