import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compileGraph } from '../../src/compile/program';
import { readModel, readModelFile } from '../../src/model/reader';
import { writeModel } from '../../src/model/writer';
import { requantizeWeightsInt4 } from '../../src/segments/int4';
import { PlanRunner, writePlan } from '../../src/segments/plan';
import { Session } from '../../src/session';
import { cleave } from '../lib/cli';
import { shippedModels } from '../lib/models';
import { convGraph, fullyConnectedGraph, randomBytes } from '../lib/synthetic';

/** Weights already on the int4 grid (each channel reaching +-7) re-quantize losslessly. */
function onInt4Grid(data: Uint8Array, channels: number): void {
  const per = data.length / channels;
  for (let i = 0; i < data.length; i++) data[i] = ((i % 15) - 7) & 0xff;
  for (let c = 0; c < channels; c++) data[c * per] = 7;
}

t.test('lossless int4 weights give exactly the int8 outputs, on every kernel path', async (t) => {
  const graphs = [
    convGraph({ height: 9, width: 7, inChannels: 5, outChannels: 11, kernel: 3 }),
    convGraph({ height: 6, width: 6, inChannels: 12, outChannels: 12, kernel: 3, depthwise: true }),
    fullyConnectedGraph({ batches: 2, inputs: 33, outputs: 9, perChannel: true }),
  ];
  for (const g of graphs) {
    const filter = g.tensors[1]!;
    const channels = filter.shape[g.ops[0]!.opcode === 'DEPTHWISE_CONV_2D' ? 3 : 0]!;
    if (g.ops[0]!.opcode === 'DEPTHWISE_CONV_2D') {
      // channel is the innermost axis here
      for (let i = 0; i < filter.data!.length; i++) filter.data![i] = (((Math.floor(i / channels) + i) % 15) - 7) & 0xff;
      for (let c = 0; c < channels; c++) filter.data![c] = 7;
    } else {
      onInt4Grid(filter.data!, channels);
    }
    const { graph: g4, report } = requantizeWeightsInt4(g);
    t.equal(report.weightBytesAfter, Math.ceil(filter.byteLength / 2), `${g.source}: packed two per byte`);
    const reread = readModel(writeModel(g4), 'int4.tflite');
    t.equal(reread.tensors[1]!.dtype, 'int4', 'the segment .tflite stores INT4');
    const input = randomBytes(g.tensors[0]!.byteLength, 3);
    for (const kernels of ['reference', 'auto'] as const) {
      const a = Session.fromBytes(compileGraph(g).bytes, 'int8', { kernels, threads: 2 });
      const b = Session.fromBytes(compileGraph(reread).bytes, 'int4', { kernels, threads: 2 });
      t.same(Buffer.from(b.runSync(input).outputs[0]!.buffer), Buffer.from(a.runSync(input).outputs[0]!.buffer), `${g.source} (${kernels})`);
      a.dispose();
      b.dispose();
    }
  }
});

t.test('int4 segments of a real model: half the weight bytes, runs end to end', async (t) => {
  const kws = shippedModels().find((m) => m.name === 'mlperf_tiny_kws')!;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-int4-'));
  const plan = await writePlan(readModelFile(kws.file), [4], dir, { int4Segments: new Set([1]) });
  t.equal(plan.segments[1]!.weights, 'int4');
  t.ok(plan.segments[1]!.weightBytes < 0.6 * plan.segments[1]!.int8WeightBytes!, `${plan.segments[1]!.weightBytes} < 0.6 x ${plan.segments[1]!.int8WeightBytes}`);
  const runner = await PlanRunner.load(path.join(dir, 'plan.json'));
  const out = await runner.run(new Uint8Array(fs.readFileSync(path.join(kws.dir, 'real_kws_input0', 't0.bin'))));
  t.equal(out[0]!.length, 12);
  runner.dispose();
  const r = cleave(['split', kws.file, '--at', '4', '--weights', 'int4:1', '-o', path.join(dir, 'cli')]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /int4 segments 1: weights \d+ B -> \d+ B/);
  t.match(r.stdout, /against int8 on 5 golden cases: top-1 agreement [\d.]+%/);
  t.match(cleave(['split', kws.file, '--at', '4', '--weights', 'int4:7', '-o', path.join(dir, 'x')]).stderr, /segment 7 does not exist/);
  t.match(cleave(['split', kws.file, '--at', '4', '--weights', 'int2:1', '-o', path.join(dir, 'x')]).stderr, /--weights must look like int4:SEGMENT/);
});
