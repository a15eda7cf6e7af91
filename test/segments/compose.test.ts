// Segments compose exactly: for every valid cut of every shipped model, and for multi-cut splits,
// running the segments in sequence gives the whole model's output byte for byte. Every segment
// goes through its standalone .tflite (written, then read back) before it is compiled and run.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileGraph } from '../../src/compile/program';
import { readModel, readModelFile } from '../../src/model/reader';
import { writeModel } from '../../src/model/writer';
import { listCuts } from '../../src/segments/cuts';
import { splitGraph } from '../../src/segments/segment';
import { Session, type TensorData } from '../../src/session';
import type { Graph } from '../../src/model/graph';
import { goldenCases, shippedModels } from '../lib/models';
import { randomBytes } from '../lib/synthetic';

function inputsOf(m: ReturnType<typeof shippedModels>[number], graph: Graph): Uint8Array[][] {
  const cases = goldenCases(m).slice(0, 2);
  if (cases.length) return cases.map((c) => graph.inputs.map((i) => new Uint8Array(fs.readFileSync(path.join(m.dir, c, `t${i}.bin`)))));
  return [graph.inputs.map((i, k) => randomBytes(graph.tensors[i]!.byteLength, 11 + k))];
}

function runChain(graph: Graph, cuts: number[], inputs: Uint8Array[]): Buffer[] {
  const values = new Map<number, TensorData>(graph.inputs.map((t, i) => [t, inputs[i]!]));
  for (const seg of splitGraph(graph, cuts, 'seg')) {
    const reread = readModel(writeModel(seg.graph), 'segment.tflite');
    const session = Session.fromBytes(compileGraph(reread).bytes, 'segment', { threads: 1 });
    const outputs = session.runSync(seg.inputs.map((x) => values.get(x)!)).outputs;
    seg.outputs.forEach((x, k) => values.set(x, outputs[k]!));
    session.dispose();
  }
  return graph.outputs.map((x) => Buffer.from(values.get(x)!.buffer as ArrayBuffer, values.get(x)!.byteOffset, values.get(x)!.byteLength));
}

for (const m of shippedModels()) {
  t.test(m.name, async (t) => {
    const graph = readModelFile(m.file);
    const whole = Session.fromBytes(compileGraph(graph).bytes, m.name, { threads: 1 });
    const cases = inputsOf(m, graph);
    const expected = cases.map((inputs) => {
      whole.resetState();
      return whole.runSync(inputs).outputs.map((o) => Buffer.from(o.buffer as ArrayBuffer, o.byteOffset, o.byteLength));
    });
    whole.dispose();
    const cuts = listCuts(graph).map((c) => c.position);
    t.ok(cuts.length >= 1, `${cuts.length} valid cuts`);
    const splits = [...cuts.map((c) => [c]), cuts, cuts.filter((_, i) => i % 3 === 1)].filter((s) => s.length > 0);
    let mismatches = 0;
    for (const split of splits) {
      cases.forEach((inputs, i) => {
        const got = runChain(graph, split, inputs);
        if (!got.every((g, k) => g.equals(expected[i]![k]!))) {
          mismatches++;
          t.fail(`cuts [${split}] case ${i} differ from the whole model`);
        }
      });
    }
    t.equal(mismatches, 0, `${splits.length} splits x ${cases.length} inputs compose exactly`);
  });
}
