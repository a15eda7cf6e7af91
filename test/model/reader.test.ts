import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readModel, readModelFile } from '../../src/model/reader';
import { ModelError } from '../../src/model/errors';
import { shippedModels } from '../lib/models';

const models = shippedModels();

t.test('the nine shipped models are all there', async (t) => {
  t.equal(models.length, 9, models.map((m) => m.name).join(', '));
});

for (const m of models) {
  t.test(`${m.name}: ops, inputs and outputs equal graph.json`, async (t) => {
    const graph = readModelFile(m.file);
    const expected = JSON.parse(fs.readFileSync(path.join(m.dir, 'graph.json'), 'utf8')) as {
      ops: { index: number; op: string; version: number; inputs: number[]; outputs: number[] }[];
      inputs: number[];
      outputs: number[];
    };
    t.same(
      graph.ops.map((o) => ({ index: o.index, op: o.opcode, version: o.version, inputs: o.inputs, outputs: o.outputs })),
      expected.ops,
    );
    t.same(graph.inputs, expected.inputs);
    t.same(graph.outputs, expected.outputs);
    for (const tensor of graph.tensors) {
      if (tensor.data) t.equal(tensor.data.length, tensor.byteLength, `tensor ${tensor.index} data size`);
    }
  });
}

t.test('decoded options carry what the kernels need', async (t) => {
  const kws = readModelFile(models.find((m) => m.name === 'mlperf_tiny_kws')!.file);
  const conv = kws.ops.find((o) => o.opcode === 'CONV_2D')!;
  t.match(conv.options, { padding: /SAME|VALID/, strideH: Number, strideW: Number, fusedActivationFunction: String });
  const speech = readModelFile(models.find((m) => m.name === 'tflm_micro_speech')!.file);
  const dw = speech.ops.find((o) => o.opcode === 'DEPTHWISE_CONV_2D')!;
  t.equal(dw.options.depthMultiplier, 8);
  t.same(speech.ops[0]!.options.newShape, [-1, 49, 40, 1]);
  const scrambled = readModelFile(models.find((m) => m.name === 'tflm_keyword_scrambled')!.file);
  const svdf = scrambled.ops.find((o) => o.opcode === 'SVDF')!;
  t.same(svdf.options, { rank: 1, fusedActivationFunction: 'RELU', asymmetricQuantizeInputs: false });
  const state = scrambled.tensors[svdf.inputs[4]!]!;
  t.equal(state.isVariable, true);
  t.equal(state.dtype, 'int16');
});

t.test('per-channel quantization is read per axis', async (t) => {
  const vww = readModelFile(models.find((m) => m.name === 'mlperf_tiny_vww')!.file);
  const filter = vww.tensors[vww.ops[0]!.inputs[1]!]!;
  t.equal(filter.quantization!.scale.length, filter.shape[0]);
  t.equal(filter.quantization!.quantizedDimension, 0);
});

function expectModelError(t: Tap.Test, bytes: Uint8Array, code: string, message: RegExp) {
  try {
    readModel(bytes, 'bad.tflite');
    t.fail(`expected ${code}`);
  } catch (err) {
    t.type(err, ModelError);
    t.equal((err as ModelError).code, code);
    t.match((err as Error).message, message);
  }
}

const hello = fs.readFileSync(models.find((m) => m.name === 'tflm_hello_world')!.file);

t.test('not a TFLite file', async (t) => {
  expectModelError(t, Buffer.from('PK\x03\x04 this is a zip file, not a model'), 'NOT_TFLITE', /file identifier is "[^"]*", expected "TFL3"/);
  expectModelError(t, Buffer.alloc(3), 'TRUNCATED', /3 bytes, too short/);
});

t.test('truncated model names the field and byte offset', async (t) => {
  expectModelError(t, hello.subarray(0, 200), 'TRUNCATED', /byte offset \d+/);
  for (const n of [16, 64, 1000, hello.length - 100]) {
    try {
      readModel(hello.subarray(0, n), 'cut.tflite');
      t.fail(`cut at ${n} parsed`);
    } catch (err) {
      t.type(err, ModelError, `cut at ${n}`);
      t.match((err as Error).message, /cut\.tflite: .*(byte offset \d+|bytes)/);
    }
  }
});

t.test('missing file', async (t) => {
  t.throws(() => readModelFile('/nonexistent/model.tflite'), { code: 'FILE_NOT_FOUND', message: /\/nonexistent\/model\.tflite: cannot read model: no such file/ });
});

/** Finds the file position of a subgraph-0 tensor's `buffer` field so tests can corrupt it. */
function patchTensorField(bytes: Uint8Array, tensorIndex: number, vtableSlot: number, value: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const dv = new DataView(out.buffer);
  const table = (pos: number) => pos + dv.getUint32(pos, true);
  const field = (tablePos: number, slot: number) => {
    const vt = tablePos - dv.getInt32(tablePos, true);
    const off = dv.getUint16(vt + 4 + slot * 2, true);
    return off ? tablePos + off : -1;
  };
  const vecElem = (fieldPos: number, i: number) => {
    const vec = table(fieldPos);
    return table(vec + 4 + i * 4);
  };
  const model = table(0);
  const subgraph = vecElem(field(model, 2), 0);
  const tensor = vecElem(field(subgraph, 0), tensorIndex);
  const pos = field(tensor, vtableSlot);
  if (pos < 0) throw new Error('field absent');
  dv.setUint32(pos, value, true);
  return out;
}

t.test('index and size errors name the tensor', async (t) => {
  const graph = readModel(hello);
  const constant = graph.tensors.find((x) => x.data)!;
  // Tensor.buffer is vtable slot 2.
  expectModelError(t, patchTensorField(hello, constant.index, 2, 9999), 'BAD_INDEX', new RegExp(`tensors\\[${constant.index}\\].*buffer 9999.*${graph.bufferCount} buffers`));
  const other = graph.tensors.find((x) => x.data && x.byteLength !== constant.byteLength)!;
  expectModelError(t, patchTensorField(hello, constant.index, 2, other.buffer), 'BAD_BUFFER_SIZE', /needs \d+ bytes but buffer \d+ holds \d+/);
});

t.test('unknown builtin operator is refused with op index', async (t) => {
  // OperatorCode.builtin_code (slot 3, int32) of the first operator code.
  const out = Uint8Array.from(hello);
  const dv = new DataView(out.buffer);
  const table = (pos: number) => pos + dv.getUint32(pos, true);
  const field = (tablePos: number, slot: number) => {
    const vt = tablePos - dv.getInt32(tablePos, true);
    return tablePos + dv.getUint16(vt + 4 + slot * 2, true);
  };
  const model = table(0);
  const codes = table(field(model, 1));
  const code0 = table(codes + 4);
  dv.setInt32(field(code0, 3), 4000, true);
  expectModelError(t, out, 'UNKNOWN_OP', /op \d+ uses unknown builtin operator code 4000/);
});
