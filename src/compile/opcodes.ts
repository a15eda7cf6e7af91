// Op codes of the Program format, from the one op table (scripts/op-params/table.js). Numbers are
// part of the format: never renumber, only append.
import { PROGRAM_OPCODES } from './op-params.generated';

export { PROGRAM_OPCODES };
export type SupportedOp = keyof typeof PROGRAM_OPCODES;

export function isSupportedOp(name: string): name is SupportedOp {
  return Object.prototype.hasOwnProperty.call(PROGRAM_OPCODES, name);
}

/** Element type codes of the Program's tensor table (int4: constant weights only, packed two per byte). */
export const PROGRAM_DTYPES = { int8: 1, uint8: 2, int16: 3, int32: 4, float32: 5, int64: 6, bool: 7, int4: 8 } as const;
export type ProgramDType = keyof typeof PROGRAM_DTYPES;
