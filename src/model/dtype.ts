// Element types cleave reads from .tflite files, with their sizes.
import { TensorType } from './generated/schema_generated';

export type DType =
  | 'float32' | 'float16' | 'float64' | 'int32' | 'uint8' | 'int64' | 'bool' | 'int16' | 'int8'
  | 'uint32' | 'uint16' | 'uint64' | 'int4';

const BY_TFLITE_TYPE: Partial<Record<TensorType, DType>> = {
  [TensorType.FLOAT32]: 'float32',
  [TensorType.FLOAT16]: 'float16',
  [TensorType.FLOAT64]: 'float64',
  [TensorType.INT32]: 'int32',
  [TensorType.UINT8]: 'uint8',
  [TensorType.INT64]: 'int64',
  [TensorType.BOOL]: 'bool',
  [TensorType.INT16]: 'int16',
  [TensorType.INT8]: 'int8',
  [TensorType.UINT32]: 'uint32',
  [TensorType.UINT16]: 'uint16',
  [TensorType.UINT64]: 'uint64',
  [TensorType.INT4]: 'int4',
};

/** The DType of a TFLite TensorType, or undefined for types cleave does not handle (strings, resources...). */
export function dtypeFromTflite(t: number): DType | undefined {
  return BY_TFLITE_TYPE[t as TensorType];
}

export function tfliteTypeOf(d: DType): TensorType {
  for (const [k, v] of Object.entries(BY_TFLITE_TYPE)) if (v === d) return Number(k) as TensorType;
  throw new Error(`no TFLite type for ${d}`);
}

/** Bytes taken by `count` elements (int4 packs two per byte, rounding up). */
export function byteSize(d: DType, count: number): number {
  switch (d) {
    case 'int4': return Math.ceil(count / 2);
    case 'int8': case 'uint8': case 'bool': return count;
    case 'int16': case 'uint16': case 'float16': return count * 2;
    case 'int32': case 'uint32': case 'float32': return count * 4;
    case 'int64': case 'uint64': case 'float64': return count * 8;
  }
}
