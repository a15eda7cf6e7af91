// Reads a .tflite flatbuffer into a Graph. Every offset, index and size is checked before use, so a
// damaged file ends in a ModelError naming the field and byte offset, never a crash, hang or an
// allocation sized by an unchecked field.
import { readFileSync } from 'node:fs';
import * as schema from './generated/schema_generated';
import { CheckedByteBuffer, OutOfBounds } from './checked-buffer';
import { byteSize, dtypeFromTflite } from './dtype';
import { ModelError } from './errors';
import type { Graph, Metadata, Op, Quantization, SignatureDef, Tensor } from './graph';
import { decodeBuiltinOptions } from './options';

const MAX_RANK = 8;

/** Whether the bytes carry TFLite's file identifier ("TFL3" at byte 4). */
export function isTflite(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && String.fromCharCode(...bytes.subarray(4, 8)) === 'TFL3';
}

/** Reads and validates a .tflite file from disk. */
export function readModelFile(path: string): Graph {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const what = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    throw new ModelError('FILE_NOT_FOUND', `cannot read model: ${what}`, path);
  }
  return readModel(bytes, path);
}

/** Reads and validates a .tflite model held in memory. `source` names it in errors. */
export function readModel(bytes: Uint8Array, source = '<buffer>'): Graph {
  return new ModelReader(bytes, source).read();
}

class ModelReader {
  private readonly bb: CheckedByteBuffer;
  /** The field being read, for error messages (e.g. "subgraphs[0].tensors[12].shape"). */
  private where = 'header';

  constructor(
    private readonly bytes: Uint8Array,
    private readonly source: string,
  ) {
    this.bb = new CheckedByteBuffer(bytes);
  }

  read(): Graph {
    try {
      return this.readChecked();
    } catch (err) {
      if (err instanceof ModelError) throw err;
      if (err instanceof OutOfBounds) {
        throw new ModelError(
          this.bytes.length < 8 || err.offset + err.size > this.bytes.length ? 'TRUNCATED' : 'OUT_OF_RANGE',
          `${this.where}: ${err.message}`, this.source, err.offset);
      }
      if (err instanceof RangeError || err instanceof TypeError) {
        throw new ModelError('BAD_MODEL', `${this.where}: malformed flatbuffer (${err.message})`, this.source);
      }
      throw err;
    }
  }

  private fail(code: ConstructorParameters<typeof ModelError>[0], message: string, offset?: number): never {
    throw new ModelError(code, `${this.where}: ${message}`, this.source, offset);
  }

  private readChecked(): Graph {
    if (this.bytes.length < 8) this.fail('TRUNCATED', `file is ${this.bytes.length} bytes, too short for a TFLite header`);
    if (!isTflite(this.bytes)) {
      const ident = String.fromCharCode(...this.bytes.subarray(4, 8));
      this.fail('NOT_TFLITE', `not a TFLite model: file identifier is ${JSON.stringify(ident)}, expected "TFL3"`, 4);
    }
    const model = schema.Model.getRootAsModel(this.bb);
    this.where = 'model.version';
    const schemaVersion = model.version();

    this.where = 'model.subgraphs';
    const subgraphCount = this.vectorLength(() => model.subgraphsLength(), 4);
    if (subgraphCount === 0) this.fail('BAD_MODEL', 'model has no subgraph');
    if (subgraphCount > 1) {
      this.fail('MULTIPLE_SUBGRAPHS', `model has ${subgraphCount} subgraphs; cleave runs single-subgraph models only`);
    }
    const subgraph = model.subgraphs(0)!;

    this.where = 'model.operator_codes';
    const opcodeCount = this.vectorLength(() => model.operatorCodesLength(), 4);
    const opcodes: { name: string; version: number }[] = [];
    for (let i = 0; i < opcodeCount; i++) {
      this.where = `model.operator_codes[${i}]`;
      opcodes.push(this.readOpcode(model.operatorCodes(i)!));
    }

    this.where = 'model.buffers';
    const bufferCount = this.vectorLength(() => model.buffersLength(), 4);

    this.where = 'subgraphs[0].tensors';
    const tensorCount = this.vectorLength(() => subgraph.tensorsLength(), 4);
    const tensors: Tensor[] = [];
    for (let i = 0; i < tensorCount; i++) {
      this.where = `subgraphs[0].tensors[${i}]`;
      tensors.push(this.readTensor(i, subgraph.tensors(i)!, model, bufferCount));
    }

    this.where = 'subgraphs[0].operators';
    const opCount = this.vectorLength(() => subgraph.operatorsLength(), 4);
    const ops: Op[] = [];
    for (let i = 0; i < opCount; i++) {
      this.where = `subgraphs[0].operators[${i}]`;
      ops.push(this.readOp(i, subgraph.operators(i)!, opcodes, tensorCount));
    }

    this.where = 'subgraphs[0].inputs';
    const inputs = this.indexVector(subgraph.inputsLength(), (i) => subgraph.inputs(i)!, tensorCount, 'tensor');
    this.where = 'subgraphs[0].outputs';
    const outputs = this.indexVector(subgraph.outputsLength(), (i) => subgraph.outputs(i)!, tensorCount, 'tensor');
    for (const t of [...inputs, ...outputs]) {
      if (t < 0) this.fail('BAD_INDEX', `tensor index ${t} is negative`);
    }

    return {
      source: this.source,
      schemaVersion,
      description: this.str(() => model.description()),
      subgraphName: this.str(() => subgraph.name()),
      tensors,
      ops,
      inputs,
      outputs,
      metadata: this.readMetadata(model, bufferCount),
      signatureDefs: this.readSignatureDefs(model, tensorCount),
      bufferCount,
    };
  }

  /** A vector length, refused when the vector could not fit in the file. */
  private vectorLength(get: () => number, elementSize: number): number {
    const n = get();
    if (n < 0 || n * elementSize > this.bytes.length) {
      this.fail('OUT_OF_RANGE', `vector length ${n} exceeds what a ${this.bytes.length}-byte file can hold`);
    }
    return n;
  }

  private indexVector(length: number, get: (i: number) => number, bound: number, what: string): number[] {
    const n = this.vectorLength(() => length, 4);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = get(i);
      if (v >= bound || v < -1) this.fail('BAD_INDEX', `${what} index ${v} at position ${i} is out of range (0..${bound - 1})`);
      out.push(v);
    }
    return out;
  }

  private str(get: () => string | null): string {
    return get() ?? '';
  }

  private readOpcode(code: schema.OperatorCode): { name: string; version: number } {
    // Since schema v3a the enum moved to `builtin_code`; old files keep it in the deprecated int8.
    const builtin = Math.max(code.deprecatedBuiltinCode(), code.builtinCode());
    const version = code.version();
    if (builtin === schema.BuiltinOperator.CUSTOM) {
      return { name: `CUSTOM:${this.str(() => code.customCode())}`, version };
    }
    const name = schema.BuiltinOperator[builtin];
    if (name === undefined) return { name: `UNKNOWN_BUILTIN_${builtin}`, version };
    return { name, version };
  }

  private readTensor(index: number, t: schema.Tensor, model: schema.Model, bufferCount: number): Tensor {
    const name = this.str(() => t.name());
    const rank = t.shapeLength();
    if (rank < 0 || rank > MAX_RANK) this.fail('BAD_SHAPE', `tensor "${name}" has rank ${rank} (at most ${MAX_RANK} supported)`);
    const shape: number[] = [];
    let count = 1;
    for (let i = 0; i < rank; i++) {
      const d = t.shape(i)!;
      if (d < 0) this.fail('BAD_SHAPE', `tensor "${name}" has dynamic or negative dimension ${d} at axis ${i}`);
      shape.push(d);
      count *= d;
    }
    const rawType = t.type();
    const dtype = dtypeFromTflite(rawType);
    if (!dtype) {
      this.fail('UNSUPPORTED_DTYPE', `tensor "${name}" has type ${schema.TensorType[rawType] ?? rawType}, which cleave does not support`);
    }
    const byteLength = byteSize(dtype, count);
    if (byteLength > this.bytes.length * 64 + (1 << 30) || !Number.isSafeInteger(byteLength)) {
      this.fail('BAD_SHAPE', `tensor "${name}" shape [${shape}] is implausibly large (${byteLength} bytes)`);
    }
    const buffer = t.buffer();
    if (buffer >= bufferCount) this.fail('BAD_INDEX', `tensor "${name}" refers to buffer ${buffer}, but the model has ${bufferCount} buffers`);
    const data = buffer === 0 ? null : this.readBufferData(model, buffer, `tensor "${name}"`);
    if (data && data.length !== byteLength) {
      this.fail('BAD_BUFFER_SIZE', `tensor "${name}" (${dtype} [${shape}]) needs ${byteLength} bytes but buffer ${buffer} holds ${data.length}`);
    }
    return {
      index, name, shape, dtype, byteLength,
      quantization: this.readQuantization(t.quantization(), name, shape),
      isVariable: t.isVariable(),
      buffer,
      data,
    };
  }

  /** A buffer's bytes as a view: inline data, or the offset/size form used by files over 2 GiB. */
  private readBufferData(model: schema.Model, index: number, owner: string): Uint8Array | null {
    const buf = model.buffers(index)!;
    const offset = Number(buf.offset());
    const size = Number(buf.size());
    if (offset > 1) {
      if (offset + size > this.bytes.length) {
        this.fail('OUT_OF_RANGE', `${owner}: buffer ${index} lies at [${offset}, ${offset + size}) outside the ${this.bytes.length}-byte file`, offset);
      }
      return this.bytes.subarray(offset, offset + size);
    }
    const length = buf.dataLength();
    if (length === 0) return null;
    // Locate the vector once, then view it without copying.
    const fieldOffset = this.bb.__offset(buf.bb_pos, 4);
    const start = this.bb.__vector(buf.bb_pos + fieldOffset);
    this.bb.checkVector(start, length, 1);
    return this.bytes.subarray(start, start + length);
  }

  private readQuantization(q: schema.QuantizationParameters | null, name: string, shape: number[]): Quantization | null {
    if (!q) return null;
    const n = this.vectorLength(() => q.scaleLength(), 4);
    const nz = this.vectorLength(() => q.zeroPointLength(), 8);
    if (n === 0) return null;
    if (nz !== 0 && nz !== n) this.fail('BAD_MODEL', `tensor "${name}" has ${n} scales but ${nz} zero points`);
    let dim = q.quantizedDimension();
    // Some converters leave a stale quantized_dimension on 1-D bias tensors; the only axis is meant.
    if (n > 1 && shape.length === 1 && shape[0] === n) dim = 0;
    if (n > 1 && (dim < 0 || dim >= shape.length || shape[dim] !== n)) {
      this.fail('BAD_MODEL', `tensor "${name}" has ${n} per-axis scales on dimension ${dim} of shape [${shape}]`);
    }
    const scale: number[] = [];
    const zeroPoint: number[] = [];
    for (let i = 0; i < n; i++) {
      scale.push(q.scale(i)!);
      zeroPoint.push(nz ? Number(q.zeroPoint(i)!) : 0);
    }
    return { scale, zeroPoint, quantizedDimension: dim };
  }

  private readOp(index: number, op: schema.Operator, opcodes: { name: string; version: number }[], tensorCount: number): Op {
    const codeIndex = op.opcodeIndex();
    if (codeIndex >= opcodes.length) this.fail('BAD_INDEX', `opcode index ${codeIndex} is out of range (model has ${opcodes.length} operator codes)`);
    const { name, version } = opcodes[codeIndex]!;
    if (name.startsWith('UNKNOWN_BUILTIN_')) {
      this.fail('UNKNOWN_OP', `op ${index} uses unknown builtin operator code ${name.slice(16)}`);
    }
    const inputs = this.indexVector(op.inputsLength(), (i) => op.inputs(i)!, tensorCount, 'input tensor');
    const outputs = this.indexVector(op.outputsLength(), (i) => op.outputs(i)!, tensorCount, 'output tensor');
    const intermediates = this.indexVector(op.intermediatesLength(), (i) => op.intermediates(i)!, tensorCount, 'intermediate tensor');
    if (outputs.some((o) => o < 0)) this.fail('BAD_INDEX', `op ${index} (${name}) has an omitted output`);
    this.where = `subgraphs[0].operators[${index}].builtin_options`;
    const optionsType = schema.BuiltinOptions[op.builtinOptionsType()] ?? 'NONE';
    return { index, opcode: name, version, inputs, outputs, intermediates, optionsType, options: decodeBuiltinOptions(op, this.bb) };
  }

  private readMetadata(model: schema.Model, bufferCount: number): Metadata[] {
    this.where = 'model.metadata';
    const n = this.vectorLength(() => model.metadataLength(), 4);
    const out: Metadata[] = [];
    for (let i = 0; i < n; i++) {
      this.where = `model.metadata[${i}]`;
      const m = model.metadata(i)!;
      const buffer = m.buffer();
      if (buffer >= bufferCount) this.fail('BAD_INDEX', `metadata refers to buffer ${buffer}, but the model has ${bufferCount} buffers`);
      out.push({ name: this.str(() => m.name()), buffer, data: this.readBufferData(model, buffer, `metadata[${i}]`) });
    }
    return out;
  }

  private readSignatureDefs(model: schema.Model, tensorCount: number): SignatureDef[] {
    this.where = 'model.signature_defs';
    const n = this.vectorLength(() => model.signatureDefsLength(), 4);
    const out: SignatureDef[] = [];
    for (let i = 0; i < n; i++) {
      this.where = `model.signature_defs[${i}]`;
      const s = model.signatureDefs(i)!;
      const maps = (len: number, get: (j: number) => schema.TensorMap) => {
        const m = this.vectorLength(() => len, 4);
        const list: { name: string; tensorIndex: number }[] = [];
        for (let j = 0; j < m; j++) {
          const tm = get(j);
          const tensorIndex = tm.tensorIndex();
          if (tensorIndex >= tensorCount) this.fail('BAD_INDEX', `signature tensor index ${tensorIndex} is out of range`);
          list.push({ name: this.str(() => tm.name()), tensorIndex });
        }
        return list;
      };
      out.push({
        key: this.str(() => s.signatureKey()),
        subgraphIndex: s.subgraphIndex(),
        inputs: maps(s.inputsLength(), (j) => s.inputs(j)!),
        outputs: maps(s.outputsLength(), (j) => s.outputs(j)!),
      });
    }
    return out;
  }
}
