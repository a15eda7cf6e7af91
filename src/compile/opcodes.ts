// Op codes of the Program format (docs/program-format.md). Numbers are part of the format: never
// renumber, only append.
export const PROGRAM_OPCODES = {
  CONV_2D: 1,
  DEPTHWISE_CONV_2D: 2,
  FULLY_CONNECTED: 3,
  ADD: 4,
  AVERAGE_POOL_2D: 5,
  MAX_POOL_2D: 6,
  RESHAPE: 7,
  SOFTMAX: 8,
  QUANTIZE: 9,
  DEQUANTIZE: 10,
  PAD: 11,
  CONCATENATION: 12,
  MEAN: 13,
  SVDF: 14,
} as const;

export type SupportedOp = keyof typeof PROGRAM_OPCODES;

export function isSupportedOp(name: string): name is SupportedOp {
  return Object.prototype.hasOwnProperty.call(PROGRAM_OPCODES, name);
}

/** Element type codes of the Program's tensor table (int4: constant weights only, packed two per byte). */
export const PROGRAM_DTYPES = { int8: 1, uint8: 2, int16: 3, int32: 4, float32: 5, int64: 6, bool: 7, int4: 8 } as const;
export type ProgramDType = keyof typeof PROGRAM_DTYPES;
