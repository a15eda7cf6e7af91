// The benchmark's ONNX peers of the shipped models (bench/tflite-onnx.ts) compute what the models
// compute: run in onnxruntime-node on the golden inputs, the logits (the tensor a final SOFTMAX
// reads, or the output) stay within a few quantization steps of TFLite Micro's golden values, and
// classifiers pick the same class. The int8 peer is held to that on every case; the fp32 peer on the
// inputs from the models' own distributions, not on the edge_all_* cases (constant ±127 inputs that
// saturate int8 activations layer after layer, where float legitimately goes elsewhere). A wrong transpose, padding or activation breaks these by tens of
// steps. Skips without onnxruntime-node unless CLEAVE_REQUIRE_TOOLS=1.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readModel } from '../../src/model/reader';
import { binding } from '../../src/native';
import { loadOrt, ortSession, type OrtModule } from '../../bench/ort';
import { exactWeightType, logitsGraph, peerInput, peerOutputReal, PEER_VARIANTS, tfliteToOnnx, type PeerVariant } from '../../bench/tflite-onnx';
import type { Graph } from '../../src/model/graph';
import { goldenCases, shippedModels } from '../lib/models';
import { compileGraph } from '../../src/compile/program';
import { CleaveError } from '../../src/errors';
import { Session } from '../../src/session';
import { convCase } from '../../bench/micro';

const requireTools = process.env.CLEAVE_REQUIRE_TOOLS === '1';
const CLASSIFIERS = new Set(['mlperf_tiny_kws', 'mlperf_tiny_ic', 'mlperf_tiny_vww', 'tflm_person_detect']);
/** Largest logit difference from the goldens, in quantization steps of the logits tensor. */
const TOLERANCE_STEPS: Record<PeerVariant, number> = { int8: 8, fp32: 10 };
const isEdgeCase = (c: string): boolean => c.startsWith('edge_all_');

async function runPeer(ort: OrtModule, graph: Graph, variant: PeerVariant, inputs: Int8Array[]): Promise<Float32Array[]> {
  const peer = tfliteToOnnx(graph, variant, exactWeightType(binding.cpuFeatures()));
  const session = await ortSession(ort, peer.bytes, 1);
  try {
    const outputs: Float32Array[] = [];
    for (const x of inputs) {
      const feeds = { input: new ort.Tensor(variant === 'int8' ? 'uint8' : 'float32', peerInput(graph, variant, x), peer.input.dims) };
      outputs.push(peerOutputReal(graph, variant, (await session.run(feeds)).output!.data as Uint8Array | Float32Array));
    }
    return outputs;
  } finally {
    await session.release();
  }
}

function golden(dir: string, caseName: string, tensor: number): Int8Array {
  return new Int8Array(fs.readFileSync(path.join(dir, caseName, `t${tensor}.bin`)));
}

const argmax = (a: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
};

const { ort, error } = loadOrt(true);

t.test('a model with an op the converter cannot map is refused, naming the op', async (t) => {
  const model = shippedModels().find((m) => m.name === 'tflm_keyword_scrambled')!;
  const graph = readModel(fs.readFileSync(model.file), model.file);
  for (const variant of PEER_VARIANTS) {
    const err = (() => {
      try {
        tfliteToOnnx(graph, variant);
        return null;
      } catch (e) {
        return e;
      }
    })();
    t.ok(err instanceof CleaveError && err.code === 'UNSUPPORTED_OP', `${variant}: UNSUPPORTED_OP`);
    t.match((err as Error).message, /tflm_keyword_scrambled\/model\.tflite: op 0 \(QUANTIZE\): ONNX peer/);
  }
});
if (!ort && !requireTools) {
  t.skip(`ONNX peers: ${error}; set CLEAVE_REQUIRE_TOOLS=1 to make this a failure`);
} else {
  t.test('onnxruntime-node loads', async (t) => t.equal(error, null));

  // No shipped model needs a Clip in the int8 peer (their RELU/RELU6 ranges are their output types'
  // ranges), so one convolution whose output zero point (5) and scale (about 0.13) make each fused
  // activation narrower than int8 checks those bounds against cleave's reference kernels.
  t.test('fused activations narrower than the output type match the reference kernels', { skip: ort ? false : 'no onnxruntime-node' }, async (t) => {
    const base = convCase(6, 7, 4, 8, 3, 11);
    for (const fused of ['RELU', 'RELU6', 'RELU_N1_TO_1']) {
      const graph: Graph = { ...base.graph, ops: [{ ...base.graph.ops[0]!, options: { ...base.graph.ops[0]!.options, fusedActivationFunction: fused } }] };
      const reference = Session.fromBytes(compileGraph(graph).bytes, fused, { threads: 1, kernels: 'reference' });
      const want = reference.runSync(base.input).outputs[0] as Int8Array;
      reference.dispose();
      const q = graph.tensors[graph.outputs[0]!]!.quantization!;
      const [lo, hi] = [Math.min(...want), Math.max(...want)];
      t.ok(lo > -128 && hi < 127, `${fused}: the reference output lies in [${lo}, ${hi}], inside int8`);
      for (const variant of PEER_VARIANTS) {
        const [got] = await runPeer(ort!, graph, variant, [base.input]);
        let worst = 0;
        want.forEach((v, i) => { worst = Math.max(worst, Math.abs((v - q.zeroPoint[0]!) * q.scale[0]! - got![i]!) / q.scale[0]!); });
        t.ok(worst <= 1, `${fused} ${variant}: within 1 step of the reference kernels (${worst.toFixed(2)})`);
      }
    }
  });
  for (const model of shippedModels().filter((m) => m.hasGoldens)) {
    t.test(model.name, { skip: ort ? false : 'no onnxruntime-node' }, async (t) => {
      const graph = readModel(fs.readFileSync(model.file), model.file);
      const logits = logitsGraph(graph);
      const logitsTensor = logits.outputs[0]!;
      const q = graph.tensors[logitsTensor]!.quantization!;
      const cases = goldenCases(model);
      const inputs = cases.map((c) => golden(model.dir, c, graph.inputs[0]!));
      for (const variant of PEER_VARIANTS) {
        const got = await runPeer(ort!, logits, variant, inputs);
        const outputs = logits === graph ? got : await runPeer(ort!, graph, variant, inputs);
        cases.forEach((c, k) => {
          if (variant === 'fp32' && isEdgeCase(c)) return;
          const want = golden(model.dir, c, logitsTensor);
          let worst = 0;
          want.forEach((v, i) => { worst = Math.max(worst, Math.abs((v - q.zeroPoint[0]!) * q.scale[0]! - got[k]![i]!) / q.scale[0]!); });
          t.ok(worst <= TOLERANCE_STEPS[variant], `${variant} ${c}: logits within ${TOLERANCE_STEPS[variant]} steps of the golden (${worst.toFixed(2)})`);
          if (!CLASSIFIERS.has(model.name)) return;
          const wantOut = golden(model.dir, c, graph.outputs[0]!);
          const sorted = [...want].sort((a, b) => b - a);
          // A near tie in the golden logits may flip on a rounding step: only clear winners count.
          if (sorted[0]! - sorted[1]! > 2 * TOLERANCE_STEPS[variant]) t.equal(argmax(outputs[k]!), argmax(wantOut), `${variant} ${c}: same class`);
        });
      }
    });
  }
}
