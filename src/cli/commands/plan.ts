// `cleave plan MODEL --device NAME=BOARD[:mem=SIZE]... --link A-B=SPEC... [--objective ...]
// [--max-latency MS] [--svg FILE] [-o DIR]`: the Pareto front of every way to cut the model and place
// its segments on the device chain, the chosen plan marked, optionally its chart and its files.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { CODECS, type CodecName } from '../../codec';
import { CleaveError } from '../../errors';
import { startDelayedProgress } from '../progress';
import { readModelFile } from '../../model/reader';
import { loadBoardCatalog } from '../../../hal';
import { parseDevices, parseLinks } from '../../plan/devices';
import type { Profile } from '../../plan/profile';
import type { ModelPlan } from '../../plan/plan-model';
import type { Objective, Precision } from '../../plan/search';

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
      const { planModel, formatPlanReport, planJson, writeChosenPlan, writeFileOrFail } = require('../../plan/plan-model') as typeof import('../../plan/plan-model');
      const { frontChart } = require('../../plan/chart') as typeof import('../../plan/chart');

      const profiles = opts.profile.length ? await readProfiles(opts.profile) : undefined;
      const progress = startDelayedProgress('searching plans', { json: opts.json });
      let planned: ModelPlan;
      try {
        planned = await planModel({ graph, modelPath: model, devices, links, profiles, profileFiles: opts.profile, codecs, precisions, objective, maxLatencyMs: maxLatency, onProgress: progress.update });
      } finally {
        progress.stop();
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(planJson(planned), null, 2)}\n`);
      else process.stdout.write(formatPlanReport(planned));
      if (opts.svg) {
        const title = `${path.basename(path.dirname(path.resolve(model)))}: ${devices.map((d) => d.name).join(' → ')}`;
        await writeFileOrFail(opts.svg, frontChart(planned.front, planned.chosen, title));
        if (!opts.json) process.stdout.write(`wrote ${opts.svg}\n`);
      }
      if (opts.output) {
        const planPath = await writeChosenPlan(planned, graph, opts.output);
        if (!opts.json) process.stdout.write(`wrote ${planPath} (run it with \`cleave run ${planPath}\`) and placement.json\n`);
      }
    });
}
