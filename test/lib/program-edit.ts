// Edits of compiled Program bytes for tests: change a field, then re-sign the checksums so only the
// native validation (or the run) can tell. Layout in docs/program-format.md.
import { readProgramLayout, signProgram } from '../../src/compile/program';

const OP_HEADER_BYTES = 20;

/** A copy of `program` with parameter word `word` of op `opIndex` set to `value`, re-signed. */
export function withOpParam(program: Uint8Array, opIndex: number, word: number, value: number): Uint8Array {
  const bytes = program.slice();
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = readProgramLayout(bytes, 'edited').sections.ops.offset;
  for (let i = 0; i < opIndex; i++) at += dv.getUint32(at + 4, true);
  const ids = dv.getUint16(at + 12, true) + dv.getUint16(at + 14, true);
  dv.setInt32(at + OP_HEADER_BYTES + 4 * (ids + word), value, true);
  return signProgram(bytes);
}
