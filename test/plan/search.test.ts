// The planner's search is exact: on every shipped model, for a grid of device chains, links, memory
// limits and latency limits, its Pareto front equals the one found by enumerating every plan
// (every cut set, device assignment, precision and codec) and filtering it. Costs here are fixed
// functions of each op's MACs and bytes per device, so the test needs no profiling; the wire sizes
// are the codecs' real sizes on each model's inputs.
import t from 'tap';
import { readModelFile } from '../../src/model/reader';
import { opMacs } from '../../src/model/analysis';
import { opBytes } from '../../src/plan/profile';
import { type Device, parseDevices, parseLinks } from '../../src/plan/devices';
import { buildProblem, measureWireSizes, type DeviceCosts } from '../../src/plan/problem';
import {
  type CandidatePlan, type Objectives, type PlanningProblem, type Step, emptyObjectives, extend, paretoInsert, prefixSums, searchPareto,
} from '../../src/plan/search';
import { loadBoardCatalog } from '../../hal';
import { shippedModels } from '../lib/models';
import type { Graph } from '../../src/model/graph';

/** Every plan, by brute force: all cut subsets with at most one segment per device. */
function enumerateFront(problem: PlanningProblem): Objectives[] {
  const n = problem.opCount, m = problem.devices.length;
  const prefix = prefixSums(problem);
  const front: { objectives: Objectives }[] = [];
  const limit = problem.maxLatencyMicros ?? Infinity;
  const walk = (begin: number, fromDevice: number, started: boolean, o: Objectives) => {
    for (const end of [...problem.cuts.filter((c) => c > begin), n]) {
      for (let d = started ? fromDevice + 1 : 0; d < m; d++) {
        for (const precision of problem.precisions) {
          if (!problem.devices[d]!.fits(begin, end, precision)) continue;
          const segment = { begin, end, device: d, precision };
          const steps: Step[] = d === fromDevice
            ? [{ segment }]
            : (problem.wire.get(begin) ?? []).map((w) => ({ segment, transfer: { position: begin, from: fromDevice, to: d, codec: w.codec, lossless: w.lossless, bytes: w.bytes } }));
          for (const step of steps) {
            const next = extend(problem, o, step, prefix);
            if (end === n) {
              if (next.latencyMicros <= limit) paretoInsert(front, { objectives: next });
            } else walk(end, d, true, next);
          }
        }
      }
    }
  };
  walk(0, 0, false, emptyObjectives(m));
  return front.map((f) => f.objectives);
}

const key = (o: Objectives) => JSON.stringify([o.latencyMicros, o.bottleneckMicros, o.wireBytes, o.joules]);

/** Synthetic per-op costs: each device a different mix of per-MAC, per-byte and fixed costs. */
function syntheticCosts(graph: Graph, devices: Device[]): DeviceCosts[] {
  return devices.map((d, i) => {
    const micros = graph.ops.map((op, k) => (1 + i) * 0.5 + opMacs(graph, op) / (10 ** (i + 1)) + opBytes(graph, k) / (1000 * (i + 1)));
    return { micros, joules: micros.map((us, k) => us * 1e-6 * (3 - i) + (k % 3) * 1e-7), source: 'predicted', energy: 'estimated' };
  });
}

const catalog = loadBoardCatalog();
const GRID: { devices: string[]; links: string[]; maxLatencyMs?: number }[] = [
  { devices: ['mcu=nucleo-l4r5zi', 'pi=rpi4', 'host=host-x86_64'], links: ['mcu-pi=serial:115200', 'pi-host=tcp:20mbit:5ms'] },
  { devices: ['mcu=mps2-an385:mem=96k', 'pi=rpi5:mem=200k', 'host=host-x86_64:mem=1M'], links: ['mcu-pi=tcp:1mbit:2ms:50nJ/B', 'pi-host=tcp:100mbit:1ms'] },
  { devices: ['a=rpi4', 'b=jetson-nano'], links: ['a-b=tcp:5mbit:20ms'], maxLatencyMs: 30 },
];

for (const model of shippedModels()) {
  t.test(`${model.name}: the search's front equals brute-force enumeration`, async (t) => {
    const graph = readModelFile(model.file);
    const wire = measureWireSizes(graph, model.file, ['raw', 'lossless', 'ts', 'tabq', 'ts+tabq'], 1);
    for (const g of GRID) {
      const devices = parseDevices(g.devices, catalog);
      const { problem } = buildProblem({
        graph, devices, links: parseLinks(g.links, devices), costs: syntheticCosts(graph, devices), wire,
        precisions: ['int8', 'int4'], maxLatencyMicros: g.maxLatencyMs === undefined ? undefined : g.maxLatencyMs * 1000,
      });
      const front: CandidatePlan[] = searchPareto(problem);
      const expected = enumerateFront(problem).map(key).sort();
      t.same(front.map((p) => key(p.objectives)).sort(), expected, `${g.devices.join(' ')}: ${expected.length} plans on the front`);
      // Each plan's stated objectives are what its own steps add up to.
      const prefix = prefixSums(problem);
      for (const p of front) {
        let o = emptyObjectives(devices.length);
        for (const s of p.segments) {
          const transfer = p.transfers.find((x) => x.position === s.begin && x.to === s.device);
          o = extend(problem, o, transfer ? { segment: s, transfer } : { segment: s }, prefix);
        }
        t.equal(key(o), key(p.objectives));
      }
    }
  });
}
