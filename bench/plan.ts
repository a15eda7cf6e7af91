// The planner's benchmark (issue 13), JSON on stdout:
// - planning time: each shipped model over three devices (a Cortex-M4 board, a Pi 4, a Jetson Orin
//   Nano) with every option (all cuts, every codec, int8 and int4), and synthetic chains up to 500
//   ops. Targets: under 100 ms per shipped model, under 2 s for the 500-op chain. Times are the
//   median of 5 runs of building the problem and the exact search (1 run for long chains), wall
//   and CPU time;
//   profiling and codec sizes are measured once beforehand (inputs to planning, not part of it).
// - the cost model's error on held-back ops of the profiles measured here, and on each model's
//   profile held back in turn;
// - two settings with a device not at hand, an MCU -> host and a Pi-class -> host: the chosen
//   plan's latency and energy per device beside the best single device and full offloading. The
//   host's costs are measured here; the MCU's and the Pi's are the cost model's predictions scaled
//   by their board descriptors (no MCU profiler exists yet, and a per-op profile under
//   qemu-aarch64 does not time like a Pi), unless `--profile FILE` gives a measured profile of
//   that board and model (then it is used and labelled measured).
//   node dist/bench/plan.js [--profile FILE]... [--chains 50,100,200,500]
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../src/paths';
import { readModelFile } from '../src/model/reader';
import { loadBoardCatalog } from '../hal';
import { costModelFromProfiles, heldBackError, heldBackProfileErrors, samplesOf, type CostModel } from '../src/plan/cost-model';
import { parseDevices, parseLinks, parseLinkSpec } from '../src/plan/devices';
import { profileModel, validateProfile, type Profile } from '../src/plan/profile';
import { buildProblem, deviceCosts, measureWireSizes } from '../src/plan/problem';
import { type CandidatePlan, type PlanningProblem, bestSingleDevice, choosePlan, searchPareto, singleDevicePlan } from '../src/plan/search';
import type { Graph } from '../src/model/graph';
import type { WireOption } from '../src/plan/search';

const DEVICES = ['mcu=nucleo-l4r5zi', 'pi=rpi4', 'orin=jetson-orin-nano'];
const LINKS = ['mcu-pi=serial:115200', 'pi-orin=tcp:20mbit:5ms'];
const CODECS = ['raw', 'lossless', 'ts', 'tabq', 'ts+tabq'] as const;

/** Devices not at hand, each joined to this host. */
const SETTINGS = [
  { name: 'emulated MCU (mps2-an385, Cortex-M3) -> host over serial', devices: ['mcu=mps2-an385', 'host=host-x86_64'], links: ['mcu-host=serial:115200'] },
  { name: 'MCU (nucleo-l4r5zi, Cortex-M4) -> host over serial', devices: ['mcu=nucleo-l4r5zi', 'host=host-x86_64'], links: ['mcu-host=serial:115200'] },
  { name: 'Pi-class (rpi4) -> host over Wi-Fi-like TCP', devices: ['pi=rpi4', 'host=host-x86_64'], links: ['pi-host=tcp:20mbit:5ms'] },
];

/**
 * Median wall time and this process's CPU time (user + system) of `runs` calls. On a shared machine
 * the two differ by the time the process waited for a core; the CPU time is the search's own.
 */
function medianMs<T>(fn: () => T, runs = 5): { ms: number; cpuMs: number; result: T } {
  const times: number[] = [], cpu: number[] = [];
  let result!: T;
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    result = fn();
    const c = process.cpuUsage(c0);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    cpu.push((c.user + c.system) / 1000);
  }
  const median = (v: number[]) => v.sort((a, b) => a - b)[v.length >> 1]!;
  return { ms: median(times), cpuMs: median(cpu), result };
}

/** A chain of `n` ops: cuts everywhere, five wire options per position, costs varying per op and device. */
export function syntheticChain(n: number): PlanningProblem {
  const link = parseLinkSpec('tcp:20mbit:5ms', 'bench');
  const devices = [0, 1, 2].map((d) => ({
    name: `d${d}`,
    fits: () => true,
    opMicros: Array.from({ length: n }, (_, k) => (1 + ((k * 7919 + d * 104729) % 97)) * (3 - d)),
    opJoules: Array.from({ length: n }, (_, k) => (1 + ((k * 31 + d * 17) % 13)) * 1e-6 * (d + 1)),
  }));
  const wire = new Map(Array.from({ length: n }, (_, p): [number, WireOption[]] => [p, CODECS.map((codec, c) => ({ codec, bytes: 1000 + ((p * 613 + c * 211) % 4000), lossless: c < 2 }))]));
  return {
    opCount: n, cuts: Array.from({ length: n - 1 }, (_, i) => i + 1), devices, links: [0, 1].map((a) => ({ a, b: a + 1, ...link })),
    wire, precisions: ['int8', 'int4'],
  };
}

interface ModelInputs {
  name: string;
  file: string;
  graph: Graph;
  profile: Profile;
  costModel: CostModel;
  wire: Map<number, WireOption[]>;
}

/** A plan's figures; a device whose energy is unknown (no meter, no power model) shows null, not 0. */
function figures(p: CandidatePlan | undefined, names: string[], known: boolean[]) {
  if (!p) return null;
  return {
    plan: p.segments.map((s) => `${s.begin}..${s.end - 1}@${names[s.device]}`).join(' ') + (p.transfers.length ? ` (${p.transfers.map((t) => t.codec).join(', ')})` : ''),
    latencyMs: Number((p.objectives.latencyMicros / 1000).toFixed(3)),
    mJ: Object.fromEntries(names.map((n, i) => [n, known[i] ? Number((p.objectives.joules[i]! * 1000).toFixed(4)) : null])),
  };
}

/** One setting for one model: the latency-chosen plan beside the best single device and full offloading. */
function compareSetting(setting: (typeof SETTINGS)[number], m: ModelInputs, given: Profile[]) {
  const catalog = loadBoardCatalog();
  const devices = parseDevices(setting.devices, catalog);
  const links = parseLinks(setting.links, devices);
  const costs = devices.map((d) => deviceCosts(m.graph, d, [m.profile, ...given], m.costModel));
  // Lossless codecs and int8 only: the plans compared are the ones that give the model's own output.
  const wire = new Map([...m.wire].map(([p, options]) => [p, options.filter((o) => o.lossless)]));
  const { problem } = buildProblem({ graph: m.graph, devices, links, costs, wire, precisions: ['int8'] });
  const names = devices.map((d) => d.name);
  const known = costs.map((c) => c.energy !== 'none');
  const front = searchPareto(problem);
  const chosen = front.length ? choosePlan(front, 'latency') : undefined;
  return {
    model: m.name,
    costs: Object.fromEntries(devices.map((d, i) => [d.name, { board: d.board.id, latency: costs[i]!.source, energy: costs[i]!.energy }])),
    chosen: figures(chosen, names, known),
    bestSingleDevice: figures(bestSingleDevice(problem, 'latency'), names, known),
    fullOffload: figures(singleDevicePlan(problem, devices.length - 1), names, known),
  };
}

function parseArgs(argv: string[]): { profiles: string[]; chains: number[] } {
  const profiles: string[] = [];
  let chains = [50, 100, 200, 500];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--profile' && argv[i + 1]) profiles.push(argv[++i]!);
    else if (argv[i] === '--chains' && argv[i + 1]) chains = argv[++i]!.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 1);
    else throw new Error(`unknown argument "${argv[i]}" (expected --profile FILE or --chains N,N,...)`);
  }
  return { profiles, chains };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const given = args.profiles.map((f) => validateProfile(f, JSON.parse(fs.readFileSync(f, 'utf8'))));
  const catalog = loadBoardCatalog();
  const devices = parseDevices(DEVICES, catalog);
  const links = parseLinks(LINKS, devices);
  const modelsRoot = path.join(packageRoot, 'models');
  const files = [...fs.readdirSync(modelsRoot).map((n) => path.join(modelsRoot, n, 'model.tflite')), ...fs.readdirSync(path.join(modelsRoot, 'extra')).map((n) => path.join(modelsRoot, 'extra', n, 'model.tflite'))].filter((f) => fs.existsSync(f));
  const inputs: ModelInputs[] = [];
  const planning: Record<string, unknown>[] = [];
  for (const file of files) {
    const graph = readModelFile(file);
    const profile = await profileModel(graph, file, { repeat: 3, energy: false });
    const m: ModelInputs = { name: path.basename(path.dirname(file)), file, graph, profile, costModel: costModelFromProfiles([profile]), wire: measureWireSizes(graph, file, [...CODECS]) };
    inputs.push(m);
    const costs = devices.map((d) => deviceCosts(graph, d, [profile, ...given], m.costModel));
    const { ms, cpuMs, result } = medianMs(() => searchPareto(buildProblem({ graph, devices, links, costs, wire: m.wire, precisions: ['int8', 'int4'] }).problem));
    planning.push({ model: m.name, ops: graph.ops.length, planningMs: Number(ms.toFixed(2)), cpuMs: Number(cpuMs.toFixed(2)), front: result.length, targetMs: 100, met: ms < 100 });
  }
  const chains = args.chains.map((n) => {
    const { ms, cpuMs, result } = medianMs(() => searchPareto(syntheticChain(n)), 1);
    return { ops: n, planningMs: Number(ms.toFixed(1)), cpuMs: Number(cpuMs.toFixed(1)), front: result.length, ...(n === 500 ? { targetMs: 2000, met: ms < 2000, metInCpuTime: cpuMs < 2000 } : {}) };
  });
  const heldBack = heldBackError(samplesOf(inputs.map((m) => m.profile)));
  const settings = SETTINGS.map((s) => ({ setting: s.name, devices: s.devices, links: s.links, models: inputs.map((m) => compareSetting(s, m, given)) }));
  process.stdout.write(`${JSON.stringify({
    planning: { devices: DEVICES, links: LINKS, models: planning, syntheticChains: chains },
    costModelHeldBack: { board: inputs[0]!.profile.board.id, ...heldBack },
    // Each model's profile held back in turn and predicted from the others': a model never profiled.
    costModelHeldBackProfiles: heldBackProfileErrors(inputs.map((m) => m.profile)).map((e, i) => ({ ...e, model: inputs[i]!.name, medianAbsPercent: Number(e.medianAbsPercent.toFixed(1)), totalPercent: Number(e.totalPercent.toFixed(1)) })),
    settings,
  }, null, 2)}\n`);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
