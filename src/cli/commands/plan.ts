// `cleave plan MODEL --device NAME=BOARD[:mem=SIZE]... --link A-B=SPEC... [--objective ...]
// [--max-latency MS] [--svg FILE] [-o DIR]`: the Pareto front of every way to cut the model and place
// its segments on the device chain, the chosen plan marked, optionally its chart and its files.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { CODECS, type CodecName } from '../../codec';
import { CleaveError } from '../../errors';
import { readModelFile } from '../../model/reader';
import { loadBoardCatalog } from '../../../hal';
import { formatTable } from '../table';
import { costModelFromProfiles, heldBackError, heldBackProfileErrors, samplesOf } from '../../plan/cost-model';
import { parseDevices, parseLinks } from '../../plan/devices';
import type { Profile } from '../../plan/profile';
import type { CandidatePlan, Objective, Precision } from '../../plan/search';

interface PlanOptions {
  device: string[];
  link: string[];
  profile: string[];
  objective: string;
  maxLatency?: string;
  codecs: string;
  precisions: string;
  svg?: string;
  output?: string;
  json?: boolean;
}

const collect = (v: string, acc: string[]) => [...acc, v];

function listOption<T extends string>(flag: string, value: string, allowed: readonly T[]): T[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const i of items) if (!allowed.includes(i as T)) throw new CleaveError('BAD_ARGUMENT', `${flag}: "${i}" is not one of ${allowed.join(', ')}`);
  if (items.length === 0) throw new CleaveError('BAD_ARGUMENT', `${flag}: give at least one of ${allowed.join(', ')}`);
  return items as T[];
}

async function readProfiles(files: string[]): Promise<Profile[]> {
  const { validateProfile } = require('../../plan/profile') as typeof import('../../plan/profile');
  const profiles: Profile[] = [];
  for (const file of files) {
    let value: unknown;
    try {
      value = JSON.parse(await fsp.readFile(file, 'utf8'));
    } catch (err) {
      throw new CleaveError('BAD_PROFILE', `${file}: cannot read profile (${(err as Error).message})`);
    }
    profiles.push(validateProfile(file, value));
  }
  return profiles;
}

function describe(p: CandidatePlan, names: string[]): string {
  return p.segments.map((s) => {
    const t = p.transfers.find((x) => x.position === s.begin && x.to === s.device);
    const wire = t ? `→${t.codec}→ ` : '';
    return `${wire}${s.begin}..${s.end - 1}@${names[s.device]}${s.precision === 'int4' ? ' int4' : ''}`;
  }).join(' ');
}

export function register(program: Command): void {
  program
    .command('plan')
    .description('choose where to cut a model and where each piece runs: the Pareto front, the chosen plan, its chart and files')
    .argument('<model>', '.tflite file')
    .option('--device <spec>', 'NAME=BOARD[:mem=SIZE], repeated in chain order (data flows from the first)', collect, [] as string[])
    .option('--link <spec>', 'A-B=tcp:RATE:DELAY[:ENERGY] or A-B=serial:BAUD[:ENERGY] between neighbours, e.g. pi-host=tcp:20mbit:5ms', collect, [] as string[])
    .option('--profile <file>', 'a `cleave profile` JSON: measured costs for its board, and the cost model\'s data (repeatable; default: profile here)', collect, [] as string[])
    .option('--objective <name>', 'latency | throughput | energy: which plan on the front to choose', 'latency')
    .option('--max-latency <ms>', 'drop plans slower than this end to end')
    .option('--codecs <list>', 'wire codecs to consider', CODECS.map((c) => c.name).join(','))
    .option('--precisions <list>', 'weight precisions to consider', 'int8,int4')
    .option('--svg <file>', 'write the front as an SVG chart')
    .option('-o, --output <dir>', 'write the chosen plan: DIR/plan.json, its segments and DIR/placement.json')
    .option('--json', 'machine-readable front')
    .action(async (model: string, opts: PlanOptions) => {
      const objective = listOption('--objective', opts.objective, ['latency', 'throughput', 'energy'] as const)[0] as Objective;
      const codecs = listOption('--codecs', opts.codecs, CODECS.map((c) => c.name)) as CodecName[];
      const precisions = listOption('--precisions', opts.precisions, ['int8', 'int4'] as const) as Precision[];
      const maxLatency = opts.maxLatency === undefined ? undefined : Number(opts.maxLatency);
      if (maxLatency !== undefined && !(maxLatency > 0)) throw new CleaveError('BAD_ARGUMENT', `--max-latency must be a positive number of milliseconds, got "${opts.maxLatency}"`);
      const catalog = loadBoardCatalog();
      const devices = parseDevices(opts.device, catalog);
      const links = parseLinks(opts.link, devices);
      const graph = readModelFile(model);
      // Native pieces load here, not at the top: commands that need no addon work without it.
      const { profileModel } = require('../../plan/profile') as typeof import('../../plan/profile');
      const { buildProblem, deviceCosts, measureWireSizes } = require('../../plan/problem') as typeof import('../../plan/problem');
      const { searchPareto, choosePlan, totalJoules, singleDevicePlan, bestSingleDevice } = require('../../plan/search') as typeof import('../../plan/search');
      const { frontChart } = require('../../plan/chart') as typeof import('../../plan/chart');
      const { writePlan } = require('../../segments/plan') as typeof import('../../segments/plan');

      const profiles = opts.profile.length ? await readProfiles(opts.profile) : [await profileModel(graph, model, { repeat: 5, energy: false })];
      // The cost model is fitted on one board's profiles: the first profile's.
      const fitted = profiles.filter((p) => p.board.id === profiles[0]!.board.id);
      const costModel = costModelFromProfiles(fitted);
      const heldBack = heldBackError(samplesOf(fitted));
      const heldBackProfiles = heldBackProfileErrors(fitted);
      const costs = devices.map((d) => deviceCosts(graph, d, profiles, costModel));
      const wire = measureWireSizes(graph, model, codecs);
      const started = process.hrtime.bigint();
      const { problem } = buildProblem({ graph, devices, links, costs, wire, precisions, maxLatencyMicros: maxLatency === undefined ? undefined : maxLatency * 1000 });
      const progress = opts.json ? undefined : delayedProgressBar('searching plans');
      let front: CandidatePlan[];
      try {
        front = searchPareto(problem, { onProgress: progress?.update });
      } finally {
        progress?.stop();
      }
      const searchMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (front.length === 0) {
        const memory = devices.map((d) => `${d.name} ${d.ramBytes === Infinity ? 'unlimited' : `${d.ramBytes} B`} RAM${d.flashBytes === Infinity ? '' : `, ${d.flashBytes} B flash`}`).join('; ');
        throw new CleaveError('NO_FEASIBLE_PLAN', `${model}: no plan fits the devices' memory (${memory})${maxLatency === undefined ? '' : ` within --max-latency ${maxLatency} ms`}`);
      }
      const chosen = choosePlan(front, objective);
      const names = devices.map((d) => d.name);
      // What splitting buys: the same figures for the whole model on one device.
      const single = bestSingleDevice(problem, objective);
      const offload = devices.length > 1 ? singleDevicePlan(problem, devices.length - 1) : undefined;
      const figures = (p: CandidatePlan) => ({
        device: p.segments.length === 1 ? names[p.segments[0]!.device] : undefined,
        latencyMs: p.objectives.latencyMicros / 1000, joules: Object.fromEntries(names.map((n, i) => [n, p.objectives.joules[i]])), totalJoules: totalJoules(p.objectives),
      });

      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ model, objective, searchMs, devices: devices.map((d, i) => ({ name: d.name, board: d.board.id, costs: costs[i]!.source, energy: costs[i]!.energy })), costModel: { board: costModel.board, heldBack, heldBackProfiles }, chosen: front.indexOf(chosen), front,
          compared: { chosen: figures(chosen), bestSingleDevice: single && figures(single), fullOffload: offload && figures(offload) } }, null, 2)}\n`);
      } else {
        const rows = front.map((p, i) => [
          p === chosen ? '*' : '', i, describe(p, names), (p.objectives.latencyMicros / 1000).toFixed(3), (1e6 / p.objectives.bottleneckMicros).toFixed(1),
          Math.round(p.objectives.wireBytes), ...p.objectives.joules.map((j) => (j * 1000).toFixed(4)),
        ]);
        process.stdout.write(`${formatTable(['', 'plan', 'segments (ops@device, →codec→ where data moves)', 'latency ms', 'inf/s', 'wire B', ...names.map((n) => `${n} mJ`)], rows)}\n`);
        process.stdout.write(`* chosen for ${objective}. ${front.length} plans on the front, searched in ${searchMs.toFixed(1)} ms.\n`);
        const summary = (p: CandidatePlan) => `${(p.objectives.latencyMicros / 1000).toFixed(3)} ms, ${p.objectives.joules.map((j, i) => `${names[i]} ${(j * 1000).toFixed(4)} mJ`).join(' ')}`;
        process.stdout.write(`chosen: ${summary(chosen)}\n`);
        process.stdout.write(`vs best single device: ${single ? `${names[single.segments[0]!.device]} ${summary(single)}` : 'no device holds the whole model'}\n`);
        if (devices.length > 1) process.stdout.write(`vs full offload to ${names[names.length - 1]}: ${offload ? summary(offload) : 'it cannot hold the whole model'}\n`);
        devices.forEach((d, i) => process.stdout.write(`${d.name} (${d.board.id}): latency ${costs[i]!.source}, energy ${costs[i]!.energy}\n`));
        process.stdout.write(heldBack.ops === 0
          ? `cost model fitted on ${costModel.board}: too few profiled ops to hold any back, its error is not measured\n`
          : `cost model fitted on ${costModel.board}: on held-back ops, median error ${heldBack.medianAbsPercent.toFixed(1)}%, mean ${heldBack.meanAbsPercent.toFixed(1)}% (${heldBack.ops} ops)\n`);
        // Profiles are named by their files (a profile's own `model` is the file's base name, often model.tflite).
        const fittedFiles = opts.profile.filter((_, i) => profiles[i]!.board.id === costModel.board);
        for (const [i, e] of heldBackProfiles.entries()) process.stdout.write(`  ${fittedFiles[i] ?? e.model} held back, predicted from the other profiles: median op error ${e.medianAbsPercent.toFixed(1)}%, whole model ${e.totalPercent >= 0 ? '+' : ''}${e.totalPercent.toFixed(1)}%\n`);
      }
      if (opts.svg) {
        const title = `${path.basename(path.dirname(path.resolve(model)))}: ${names.join(' → ')}`;
        await writeFileOrFail(opts.svg, frontChart(front, chosen, title));
        if (!opts.json) process.stdout.write(`wrote ${opts.svg}\n`);
      }
      if (opts.output) {
        const cuts = chosen.segments.slice(1).map((s) => s.begin);
        const int4Segments = new Set(chosen.segments.flatMap((s, i) => (s.precision === 'int4' ? [i] : [])));
        const written = await writePlan(graph, cuts, opts.output, { int4Segments });
        const placement = {
          model: path.basename(model), objective,
          segments: chosen.segments.map((s, i) => ({ index: i, ops: [s.begin, s.end], device: names[s.device], board: devices[s.device]!.board.id, weights: s.precision, arenaBytes: written.segments[i]!.arenaBytes, weightBytes: written.segments[i]!.weightBytes, costs: costs[s.device]!.source })),
          transfers: chosen.transfers.map((t) => ({ position: t.position, from: names[t.from], to: names[t.to], codec: t.codec, lossless: t.lossless, bytes: t.bytes })),
          predicted: { latencyMs: chosen.objectives.latencyMicros / 1000, throughputPerSecond: 1e6 / chosen.objectives.bottleneckMicros, wireBytes: chosen.objectives.wireBytes, joules: Object.fromEntries(names.map((n, i) => [n, chosen.objectives.joules[i]])), totalJoules: totalJoules(chosen.objectives) },
        };
        await writeFileOrFail(path.join(opts.output, 'placement.json'), `${JSON.stringify(placement, null, 2)}\n`);
        if (!opts.json) process.stdout.write(`wrote ${path.join(opts.output, 'plan.json')} (run it with \`cleave run ${path.join(opts.output, 'plan.json')}\`) and placement.json\n`);
      }
    });
}

/**
 * A progress bar on stderr for a search that turns out to be long: it appears after a second, only
 * on a terminal, and draws from inside the (synchronous) search's progress callback.
 */
export function delayedProgressBar(label: string): { update: (done: number, total: number) => void; stop: () => void } | undefined {
  if (!process.stderr.isTTY) return undefined;
  const { SingleBar, Presets } = require('cli-progress') as typeof import('cli-progress');
  const started = Date.now();
  let bar: InstanceType<typeof SingleBar> | undefined;
  return {
    update: (done, total) => {
      if (!bar) {
        if (Date.now() - started < 1000) return;
        bar = new SingleBar({ format: `${label} [{bar}] {percentage}% | {value}/{total} steps | {duration}s`, stream: process.stderr, synchronousUpdate: true, fps: 10 }, Presets.shades_classic);
        bar.start(total, done);
      }
      bar.update(done);
    },
    stop: () => bar?.stop(),
  };
}

async function writeFileOrFail(file: string, text: string): Promise<void> {
  try {
    await fsp.writeFile(file, text);
  } catch (err) {
    throw new CleaveError('WRITE_FAILED', `${file}: cannot write (${(err as Error).message})`);
  }
}
