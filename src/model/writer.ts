// Graph -> .tflite: a standalone, valid TFLite flatbuffer (schema v3, identifier "TFL3") holding
// only what the graph uses. Builtin options are re-encoded from their decoded form through the
// generated schema classes, so any option table the reader decodes can be written back.
import { Builder } from 'flatbuffers';
import * as schema from './generated/schema_generated';
import { tfliteTypeOf } from './dtype';
import type { Graph, Op } from './graph';
import { ENUM_FIELDS } from './options';

type Static = Record<string, (...args: unknown[]) => unknown>;

const capitalize = (s: string) => s[0]!.toUpperCase() + s.slice(1);

function encodeOptions(b: Builder, op: Op): number {
  if (op.optionsType === 'NONE') return 0;
  const cls = (schema as unknown as Record<string, Static>)[op.optionsType];
  if (!cls) throw new Error(`op ${op.index} (${op.opcode}): unknown options table ${op.optionsType}`);
  // Vectors must be built before the table starts.
  const vectors = new Map<string, number>();
  for (const [field, value] of Object.entries(op.options)) {
    if (Array.isArray(value)) {
      const create = cls[`create${capitalize(field)}Vector`];
      if (create) vectors.set(field, create(b, value) as number);
    }
  }
  cls[`start${op.optionsType}`]!(b);
  for (const [field, value] of Object.entries(op.options)) {
    const add = cls[`add${capitalize(field)}`];
    if (!add) continue;
    if (Array.isArray(value)) {
      const v = vectors.get(field);
      if (v !== undefined) add(b, v);
    } else if (typeof value === 'string') {
      const numeric = ENUM_FIELDS[field]?.[value];
      if (typeof numeric === 'number') add(b, numeric);
    } else {
      add(b, value);
    }
  }
  return cls[`end${op.optionsType}`]!(b) as number;
}

function builtinCode(name: string): number {
  const code = (schema.BuiltinOperator as unknown as Record<string, number>)[name];
  if (code === undefined) throw new Error(`cannot write op ${name}: not a builtin operator`);
  return code;
}

/** Serializes a single-subgraph Graph. Tensor `buffer` fields are renumbered: 0 is the empty buffer. */
export function writeModel(graph: Graph): Uint8Array {
  const b = new Builder(1024 + graph.tensors.reduce((s, t) => s + (t.data?.length ?? 0), 0));

  // Buffers: the empty sentinel, then one per constant tensor (16-byte aligned data).
  const bufferOffsets: number[] = [schema.Buffer.createBuffer(b, 0, 0n, 0n)];
  const tensorBuffer = new Map<number, number>();
  for (const t of graph.tensors) {
    if (!t.data) continue;
    b.startVector(1, t.data.length, 16);
    for (let i = t.data.length - 1; i >= 0; i--) b.addInt8(t.data[i]!);
    const data = b.endVector();
    tensorBuffer.set(t.index, bufferOffsets.length);
    bufferOffsets.push(schema.Buffer.createBuffer(b, data, 0n, 0n));
  }

  const tensors = graph.tensors.map((t) => {
    const name = b.createString(t.name);
    const shape = schema.Tensor.createShapeVector(b, t.shape);
    let quantization = 0;
    if (t.quantization) {
      const scale = schema.QuantizationParameters.createScaleVector(b, t.quantization.scale);
      const zeroPoint = schema.QuantizationParameters.createZeroPointVector(b, t.quantization.zeroPoint.map(BigInt));
      schema.QuantizationParameters.startQuantizationParameters(b);
      schema.QuantizationParameters.addScale(b, scale);
      schema.QuantizationParameters.addZeroPoint(b, zeroPoint);
      schema.QuantizationParameters.addQuantizedDimension(b, t.quantization.quantizedDimension);
      quantization = schema.QuantizationParameters.endQuantizationParameters(b);
    }
    schema.Tensor.startTensor(b);
    schema.Tensor.addShape(b, shape);
    schema.Tensor.addType(b, tfliteTypeOf(t.dtype));
    schema.Tensor.addBuffer(b, tensorBuffer.get(t.index) ?? 0);
    schema.Tensor.addName(b, name);
    if (quantization) schema.Tensor.addQuantization(b, quantization);
    if (t.isVariable) schema.Tensor.addIsVariable(b, true);
    return schema.Tensor.endTensor(b);
  });

  const codes: { name: string; version: number }[] = [];
  const codeIndex = (op: Op) => {
    let i = codes.findIndex((c) => c.name === op.opcode && c.version === op.version);
    if (i < 0) i = codes.push({ name: op.opcode, version: op.version }) - 1;
    return i;
  };
  const operators = graph.ops.map((op) => {
    const index = codeIndex(op);
    const inputs = schema.Operator.createInputsVector(b, op.inputs);
    const outputs = schema.Operator.createOutputsVector(b, op.outputs);
    const intermediates = op.intermediates.length ? schema.Operator.createIntermediatesVector(b, op.intermediates) : 0;
    const options = encodeOptions(b, op);
    schema.Operator.startOperator(b);
    schema.Operator.addOpcodeIndex(b, index);
    schema.Operator.addInputs(b, inputs);
    schema.Operator.addOutputs(b, outputs);
    if (intermediates) schema.Operator.addIntermediates(b, intermediates);
    if (options) {
      schema.Operator.addBuiltinOptionsType(b, (schema.BuiltinOptions as unknown as Record<string, number>)[op.optionsType]!);
      schema.Operator.addBuiltinOptions(b, options);
    }
    return schema.Operator.endOperator(b);
  });
  const opcodeOffsets = codes.map((c) => {
    const code = builtinCode(c.name);
    // Files keep codes below 127 in the deprecated int8 field too, for older readers.
    return schema.OperatorCode.createOperatorCode(b, Math.min(code, 127), 0, c.version, code);
  });

  const subgraph = schema.SubGraph.createSubGraph(
    b,
    schema.SubGraph.createTensorsVector(b, tensors),
    schema.SubGraph.createInputsVector(b, graph.inputs),
    schema.SubGraph.createOutputsVector(b, graph.outputs),
    schema.SubGraph.createOperatorsVector(b, operators),
    b.createString(graph.subgraphName || 'main'),
    0,
  );
  const description = b.createString(graph.description || 'cleave segment');
  const model = schema.Model.createModel(
    b, 3,
    schema.Model.createOperatorCodesVector(b, opcodeOffsets),
    schema.Model.createSubgraphsVector(b, [subgraph]),
    description,
    schema.Model.createBuffersVector(b, bufferOffsets),
    0, 0, 0, 0, 0,
  );
  b.finish(model, 'TFL3');
  return b.asUint8Array().slice();
}
