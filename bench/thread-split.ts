// node dist/bench/thread-split.js [--rounds N] [--runs N] [--json FILE]: where splitting work
// across two threads starts to pay. A sweep of single layers shaped like the models' layers
// (convolutions as matrix products, direct convolutions, depthwise convolutions, batch-1 fully
// connected layers), then vww, person_detect and ic whole, each timed at 1 and 2 threads in
// interleaved rounds (a machine that gets busier affects both alike), interpreter time of
// Session.runSync. Reports the minimum (the steadiest figure on a shared machine: other processes
// only ever add time) and the median of each, and the load average. Layers under the runtime's
// cut-over run on one thread at any thread count; to see the whole curve, build with
// kMinParallelWork in native/interp/optimized_ops.cc at 0 (docs/benchmarks.md, "Threads at
// small-model sizes").
import * as fs from 'node:fs';
import * as os from 'node:os';
import { compileGraph } from '../src/compile/program';
import { Session } from '../src/session';
import { percentile } from '../src/stats';
import { type ConvSpec, convGraph, fullyConnectedGraph, randomBytes } from '../test/lib/synthetic';
import * as path from 'node:path';
import { packageRoot } from '../src/paths';
import { summarize } from '../src/model/analysis';
import { readModel } from '../src/model/reader';

const sweep: ConvSpec[] = [
  ...[6, 9, 12, 16, 24].map((hw): ConvSpec => ({ height: hw, width: hw, inChannels: 64, outChannels: 64, kernel: 1 })),
  { height: 6, width: 6, inChannels: 128, outChannels: 128, kernel: 1 },
  { height: 3, width: 3, inChannels: 256, outChannels: 256, kernel: 1 },
  { height: 48, width: 48, inChannels: 8, outChannels: 16, kernel: 1 },
  ...[8, 16, 32].map((hw): ConvSpec => ({ height: hw, width: hw, inChannels: 16, outChannels: 16, kernel: 3, padding: 'SAME' })),
  { height: 96, width: 96, inChannels: 3, outChannels: 8, kernel: 3, stride: 2, padding: 'SAME' },
  ...([[6, 128], [12, 64], [24, 16], [24, 32], [48, 8], [48, 16]] as const).map(
    ([hw, c]): ConvSpec => ({ height: hw, width: hw, inChannels: c, outChannels: c, kernel: 3, padding: 'SAME', depthwise: true })),
];

// Fully connected layers of batch 1 (split by output channels): inputs x outputs.
const fcSweep: [number, number][] = [[256, 256], [512, 512], [1024, 512], [1024, 1024]];

interface Layer { layer: string; macs: number; program: Uint8Array; inputBytes: number }

function convLayer(s: ConvSpec): Layer {
  const kind = s.depthwise ? 'dw' : 'conv';
  const stride = s.stride ?? 1;
  const oh = s.padding === 'SAME' ? Math.ceil(s.height / stride) : s.height - s.kernel + 1;
  const ow = s.padding === 'SAME' ? Math.ceil(s.width / stride) : s.width - s.kernel + 1;
  return {
    layer: `${kind} ${s.kernel}x${s.kernel}${s.stride ? `/${s.stride}` : ''} ${s.inChannels}->${s.outChannels} ${s.height}x${s.width}`,
    macs: oh * ow * s.outChannels * s.kernel * s.kernel * (s.depthwise ? 1 : s.inChannels),
    program: compileGraph(convGraph({ seed: 3, symmetricWeights: true, ...s })).bytes,
    inputBytes: s.height * s.width * s.inChannels,
  };
}

const layers: Layer[] = [
  ...sweep.map(convLayer),
  ...fcSweep.map(([inputs, outputs]): Layer => ({
    layer: `fc 1x${inputs}->${outputs}`, macs: inputs * outputs, inputBytes: inputs,
    program: compileGraph(fullyConnectedGraph({ batches: 1, inputs, outputs, perChannel: true, symmetricWeights: true })).bytes,
  })),
  // Whole models (issue 14's target: 2 threads at least 1.5x one on these three).
  ...['mlperf_tiny_vww', 'tflm_person_detect', 'mlperf_tiny_ic'].map((name): Layer => {
    const bytes = fs.readFileSync(path.join(packageRoot, 'models', name, 'model.tflite'));
    const session = Session.fromBytes(bytes, name, { threads: 1 });
    const inputBytes = session.inputs[0]!.byteLength;
    session.dispose();
    return { layer: name, macs: summarize(readModel(bytes, name)).macs, program: bytes, inputBytes };
  }),
];

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const rounds = Number(arg('--rounds', '20'));
const runs = Number(arg('--runs', '50'));
const jsonFile = arg('--json', '');

interface Row { layer: string; macs: number; kernel: string; us1: number[]; us2: number[] }
const rows: Row[] = layers.map((l) => ({ layer: l.layer, macs: l.macs, kernel: '', us1: [], us2: [] }));
const sessions = layers.map((l, i) => {
  const program = l.program;
  const input = randomBytes(l.inputBytes, 9);
  const one = Session.fromBytes(program, rows[i]!.layer, { threads: 1 });
  const two = Session.fromBytes(program, rows[i]!.layer, { threads: 2 });
  if (two.threads !== 2) throw new Error(`${rows[i]!.layer}: asked for 2 threads, the session runs ${two.threads}`);
  const a = Buffer.from(one.runSync(input).outputs[0]!.buffer);
  const b = two.runSync(input, { profile: true });
  if (!a.equals(Buffer.from(b.outputs[0]!.buffer))) throw new Error(`${rows[i]!.layer}: 2 threads differ from 1`);
  rows[i]!.kernel = b.profile![0]!.kernel ?? '';
  return { one, two, input };
});
const load = [os.loadavg()[0]!];
for (let r = 0; r < rounds; r++) {
  sessions.forEach((s, i) => {
    for (const [session, into] of [[s.one, rows[i]!.us1], [s.two, rows[i]!.us2]] as const) {
      for (let k = 0; k < runs; k++) into.push(session.runSync(s.input).micros);
    }
  });
}
load.push(os.loadavg()[0]!);
for (const s of sessions) {
  s.one.dispose();
  s.two.dispose();
}
const summary = rows.map((r) => {
  const one = [...r.us1].sort((x, y) => x - y);
  const two = [...r.us2].sort((x, y) => x - y);
  return {
    layer: r.layer, macs: r.macs, kernel: r.kernel,
    min1Us: one[0]!, min2Us: two[0]!, median1Us: percentile(one, 0.5), median2Us: percentile(two, 0.5),
    speedupMin: Number((one[0]! / two[0]!).toFixed(3)), speedupMedian: Number((percentile(one, 0.5) / percentile(two, 0.5)).toFixed(3)),
  };
});
process.stdout.write(`load average ${load.map((l) => l.toFixed(1)).join(' -> ')} on ${os.cpus().length} cores; ${rounds} rounds x ${runs} runs\n`);
process.stdout.write(`${'layer'.padEnd(26)} ${'MMAC'.padStart(6)} ${'1T min'.padStart(8)} ${'2T min'.padStart(8)} ${'x min'.padStart(6)} ${'1T med'.padStart(8)} ${'2T med'.padStart(8)} ${'x med'.padStart(6)}  kernel\n`);
for (const s of summary) {
  process.stdout.write(`${s.layer.padEnd(26)} ${(s.macs / 1e6).toFixed(3).padStart(6)} ${s.min1Us.toFixed(1).padStart(8)} ${s.min2Us.toFixed(1).padStart(8)} ${s.speedupMin.toFixed(2).padStart(6)} ${s.median1Us.toFixed(1).padStart(8)} ${s.median2Us.toFixed(1).padStart(8)} ${s.speedupMedian.toFixed(2).padStart(6)}  ${s.kernel}\n`);
}
if (jsonFile) fs.writeFileSync(jsonFile, JSON.stringify({ bench: 'thread-split', loadAverage: load, cores: os.cpus().length, rounds, runs, rows: summary }, null, 2));
