// cleave's in-memory form of a .tflite model: plain objects, constant data as views into the file.
import type { DType } from './dtype';

export interface Quantization {
  scale: number[];        // float32 values, as stored
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface Tensor {
  index: number;
  name: string;
  shape: number[];
  dtype: DType;
  quantization: Quantization | null;
  isVariable: boolean;
  /** Index into the model's buffers; 0 is the empty sentinel buffer. */
  buffer: number;
  /** Constant contents (a view into the model bytes, not a copy), or null for activations. */
  data: Uint8Array | null;
  /** product(shape) * element size */
  byteLength: number;
}

export type OpOptions = Record<string, number | boolean | string | number[]>;

export interface Op {
  index: number;
  /** Builtin operator name from the schema (e.g. CONV_2D), or CUSTOM:<code> for custom ops. */
  opcode: string;
  version: number;
  /** Tensor indices; -1 marks an omitted optional input. */
  inputs: number[];
  outputs: number[];
  intermediates: number[];
  /** The schema's BuiltinOptions table name (e.g. "Conv2DOptions"), or "NONE". */
  optionsType: string;
  /** Decoded builtin options (field names as in the schema, camelCase); empty when the op has none. */
  options: OpOptions;
}

export interface SignatureDef {
  key: string;
  subgraphIndex: number;
  inputs: { name: string; tensorIndex: number }[];
  outputs: { name: string; tensorIndex: number }[];
}

export interface Metadata {
  name: string;
  buffer: number;
  data: Uint8Array | null;
}

export interface Graph {
  /** Where the model came from (file path or "<buffer>"), used in error messages. */
  source: string;
  schemaVersion: number;
  description: string;
  subgraphName: string;
  tensors: Tensor[];
  ops: Op[];
  inputs: number[];
  outputs: number[];
  metadata: Metadata[];
  signatureDefs: SignatureDef[];
  /** Number of buffers in the model (including the empty sentinel). */
  bufferCount: number;
}

export function isConstant(t: Tensor): boolean {
  return t.data !== null;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
