// A minimal ONNX writer: just enough protobuf to build the benchmark's peer models for
// onnxruntime-node in memory (no .onnx files, no protobuf dependency). Field numbers are those of
// onnx/onnx.proto (IR version 7, opset 13): ModelProto, GraphProto, NodeProto, AttributeProto,
// TensorProto, ValueInfoProto, TypeProto, TensorShapeProto. Nodes in the `com.microsoft` domain
// (onnxruntime's contrib ops: QGemm, QLinearAdd, QLinearAveragePool) import that domain's opset 1.

/** Protobuf wire-format writer (proto3 encoding; fields are written in the order they are given). */
export class ProtoWriter {
  private chunks: Uint8Array[] = [];
  private length = 0;

  private push(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.length += bytes.length;
    return this;
  }

  private varint(value: number | bigint): this {
    // int64 fields: negative values take ten bytes (two's complement), as protobuf specifies.
    let v = BigInt.asUintN(64, BigInt(value));
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      out.push(byte);
    } while (v !== 0n);
    return this.push(Uint8Array.from(out));
  }

  private key(field: number, wireType: 0 | 1 | 2 | 5): this {
    return this.varint((field << 3) | wireType);
  }

  int(field: number, value: number | bigint): this {
    return this.key(field, 0).varint(value);
  }

  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    return this.key(field, 5).push(b);
  }

  bytes(field: number, value: Uint8Array): this {
    return this.key(field, 2).varint(value.length).push(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  message(field: number, build: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    build(w);
    return this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.length;
    }
    return out;
  }
}

/** TensorProto.DataType values used here. */
export const OnnxType = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7 } as const;
export type OnnxTypeName = keyof typeof OnnxType;

export interface OnnxInitializer {
  name: string;
  type: OnnxTypeName;
  dims: number[];
  /** Little-endian element bytes (raw_data). */
  data: Uint8Array;
}

export type OnnxAttribute = { name: string; int: number } | { name: string; ints: number[] } | { name: string; float: number };

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes?: OnnxAttribute[];
  domain?: string;
}

export interface OnnxValue {
  name: string;
  type: OnnxTypeName;
  dims: number[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxInitializer[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
  opset?: number;
}

function valueInfo(w: ProtoWriter, v: OnnxValue): void {
  w.string(1, v.name); // ValueInfoProto.name
  w.message(2, (type) => // ValueInfoProto.type: TypeProto
    type.message(1, (tensor) => { // TypeProto.tensor_type
      tensor.int(1, OnnxType[v.type]); // elem_type
      tensor.message(2, (shape) => { // shape: TensorShapeProto
        for (const d of v.dims) shape.message(1, (dim) => dim.int(1, d)); // dim { dim_value }
      });
    }));
}

function attribute(w: ProtoWriter, a: OnnxAttribute): void {
  w.string(1, a.name); // AttributeProto.name
  if ('int' in a) w.int(3, a.int).int(20, 2); // i, type = INT
  else if ('float' in a) w.float(2, a.float).int(20, 1); // f, type = FLOAT
  else {
    for (const v of a.ints) w.int(8, v); // ints (unpacked; parsers accept both forms)
    w.int(20, 7); // type = INTS
  }
}

/** Serializes a ModelProto with one graph. */
export function encodeModel(g: OnnxGraph): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, 7); // ir_version (IR 7 goes with opset 13)
  w.string(2, 'cleave-bench'); // producer_name
  w.message(7, (graph) => { // graph: GraphProto
    g.nodes.forEach((n, index) => {
      graph.message(1, (node) => { // node: NodeProto
        for (const i of n.inputs) node.string(1, i);
        for (const o of n.outputs) node.string(2, o);
        node.string(3, `${n.opType}_${index}`); // name (unique in the graph)
        node.string(4, n.opType); // op_type
        for (const a of n.attributes ?? []) node.message(5, (attr) => attribute(attr, a));
        if (n.domain) node.string(7, n.domain);
      });
    });
    graph.string(2, g.name);
    for (const t of g.initializers) {
      graph.message(5, (tensor) => { // initializer: TensorProto
        for (const d of t.dims) tensor.int(1, d); // dims
        tensor.int(2, OnnxType[t.type]); // data_type
        tensor.string(8, t.name); // name
        tensor.bytes(9, t.data); // raw_data
      });
    }
    for (const v of g.inputs) graph.message(11, (vi) => valueInfo(vi, v));
    for (const v of g.outputs) graph.message(12, (vi) => valueInfo(vi, v));
  });
  w.message(8, (opset) => opset.string(1, '').int(2, g.opset ?? 13)); // opset_import: default domain
  const domains = new Set(g.nodes.map((n) => n.domain).filter((d): d is string => !!d));
  for (const d of domains) w.message(8, (opset) => opset.string(1, d).int(2, 1));
  return w.finish();
}

// Initializer helpers: raw little-endian bytes of typed values.
export function floats(name: string, values: number[], dims: number[] = [values.length]): OnnxInitializer {
  return { name, type: 'float', dims, data: new Uint8Array(Float32Array.from(values).buffer) };
}
export function scalarFloat(name: string, value: number): OnnxInitializer {
  return floats(name, [value], []);
}
export function scalarUint8(name: string, value: number): OnnxInitializer {
  return { name, type: 'uint8', dims: [], data: Uint8Array.of(value) };
}
export function uint8s(name: string, values: Uint8Array, dims: number[]): OnnxInitializer {
  return { name, type: 'uint8', dims, data: values };
}
export function int8s(name: string, values: Int8Array, dims: number[]): OnnxInitializer {
  return { name, type: 'int8', dims, data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}
export function int64s(name: string, values: number[], dims: number[] = [values.length]): OnnxInitializer {
  return { name, type: 'int64', dims, data: new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer) };
}
export function int32s(name: string, values: Int32Array, dims: number[]): OnnxInitializer {
  return { name, type: 'int32', dims, data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) };
}
