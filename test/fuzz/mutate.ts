// Mutations for robustness fuzzing, seeded so a failure is reproduced by its seed. Structure-blind
// ones for any file (bit flips, truncations, interesting values where flatbuffers keep offsets and
// lengths, swapped byte ranges), and Program-aware ones that aim at the fields random bytes rarely
// hit: boundary values in every header, section-table, tensor-record and op-record field, and
// shape edits (dims, byte sizes, offsets) kept consistent enough to reach the deeper checks.
// Every mutant is a fresh copy: the original is never written.
import { HEADER_BYTES, SECTION_ENTRY_BYTES, TENSOR_RECORD_BYTES, readProgramLayout, signProgram } from '../../src/compile/program';

/** Mulberry32: small, fast, good enough to drive mutations reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Mutation = 'bitflip' | 'truncate' | 'offset' | 'swap';
export const MUTATIONS: Mutation[] = ['bitflip', 'truncate', 'offset', 'swap'];
export type ProgramMutation = Mutation | 'field' | 'shape';
export const PROGRAM_MUTATIONS: ProgramMutation[] = [...MUTATIONS, 'field', 'field', 'shape', 'shape'];

/** The values where size arithmetic breaks: zero, one, and both sides of the int32 and uint32 limits. */
export const BOUNDARY_VALUES = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff];
const BYTE_BOUNDARY_VALUES = [0, 1, 0x7f, 0x80, 0xff];

/** A copy, whatever the input is (Buffer#slice would return a view of the same memory). */
const copy = (bytes: Uint8Array, end = bytes.length): Uint8Array => new Uint8Array(bytes.subarray(0, end));

export function mutate(original: Uint8Array, kind: Mutation, rand: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  // Most of a flatbuffer's structure (root table, vtables, vectors of tables) sits outside the big
  // weight buffers; aim half of the mutations at the first and last 4 KiB where it is densest.
  const position = (): number => {
    const n = original.length;
    const r = rand();
    if (r < 0.25) return int(Math.min(n, 4096));
    if (r < 0.5) return Math.max(0, n - 1 - int(Math.min(n, 4096)));
    return int(n);
  };
  switch (kind) {
    case 'truncate':
      return copy(original, int(original.length));
    case 'bitflip': {
      const out = copy(original);
      const flips = 1 + int(8);
      for (let i = 0; i < flips; i++) out[position()] ^= 1 << int(8);
      return out;
    }
    case 'offset': {
      const out = copy(original);
      const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
      const writes = 1 + int(4);
      const interesting = [0, 1, -1, 0x7fffffff, -0x80000000, original.length, original.length - 3, 0xffff, 0x8000];
      for (let i = 0; i < writes; i++) {
        const at = position() & ~3;
        if (at + 4 > out.length) continue;
        const value = rand() < 0.5 ? interesting[int(interesting.length)]! : int(original.length * 2) - original.length / 2;
        if (rand() < 0.3 && at + 2 <= out.length) view.setInt16(at, value, true);
        else view.setInt32(at, value | 0, true);
      }
      return out;
    }
    case 'swap': {
      const out = copy(original);
      const len = 1 + int(16);
      const a = position();
      const b = position();
      if (a + len <= out.length && b + len <= out.length) {
        const tmp = out.slice(a, a + len);
        out.copyWithin(a, b, b + len);
        out.set(tmp, b);
      }
      return out;
    }
  }
}

const ELEMENT_BYTES: Record<number, bigint> = { 1: 1n, 2: 1n, 3: 2n, 4: 4n, 5: 4n, 6: 8n, 7: 1n };

/** The byte size a tensor record's dims and dtype imply, product wrapped at 64 bits and the result at 32. */
function impliedByteSize(bytes: Uint8Array, record: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = 1n;
  for (let d = 0; d < bytes[record + 1]!; d++) count = BigInt.asUintN(64, count * BigInt(view.getUint32(record + 4 + 4 * d, true)));
  const size = bytes[record] === 8 ? (count + 1n) / 2n : count * (ELEMENT_BYTES[bytes[record]!] ?? 1n);
  return Number(BigInt.asUintN(32, size));
}

/** Where a valid Program keeps its fields: byte offsets of u32 words and of u8 fields. */
interface ProgramFields {
  headerWords: number[];
  tensorRecords: number[];
  opWords: number[];
}

const fieldsCache = new WeakMap<Uint8Array, ProgramFields>();

function programFields(original: Uint8Array): ProgramFields {
  const cached = fieldsCache.get(original);
  if (cached) return cached;
  const layout = readProgramLayout(original, 'fuzz original');
  const view = new DataView(original.buffer, original.byteOffset, original.byteLength);
  const headerEnd = layout.version === 2 ? HEADER_BYTES + view.getUint32(12, true) * SECTION_ENTRY_BYTES : HEADER_BYTES;
  const words = (from: number, to: number) => Array.from({ length: (to - from) / 4 }, (_, i) => from + 4 * i);
  const tensorRecords = Array.from({ length: layout.tensorCount }, (_, i) => layout.sections.tensors.offset + i * TENSOR_RECORD_BYTES);
  const opWords: number[] = [];
  for (let i = 0, at = layout.sections.ops.offset; i < layout.opCount; i++) {
    const size = view.getUint32(at + 4, true);
    opWords.push(...words(at, at + size));
    at += size;
  }
  const fields = { headerWords: words(4, headerEnd), tensorRecords, opWords };
  fieldsCache.set(original, fields);
  return fields;
}

/**
 * A mutant of a valid Program (version 1 or 2), checksums re-signed so that it reaches the loader's
 * validation rather than stopping at the CRC.
 */
export function mutateProgram(original: Uint8Array, kind: ProgramMutation, rand: () => number): Uint8Array {
  if (kind !== 'field' && kind !== 'shape') return signProgram(mutate(original, kind, rand));
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)]!;
  const fields = programFields(original);
  const out = copy(original);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (kind === 'field') {
    // One field set to a boundary value: a header or section-table word, any byte or word of a
    // tensor record, or a word of an op record (opcode, sizes, counts, tensor ids, params).
    const r = rand();
    if (r < 0.35 || fields.tensorRecords.length === 0) view.setUint32(pick(fields.headerWords), pick(BOUNDARY_VALUES), true);
    else if (r < 0.7) {
      const record = pick(fields.tensorRecords);
      const field = int(4 + 11);
      if (field < 4) out[record + field] = pick(BYTE_BOUNDARY_VALUES);
      else view.setUint32(record + 4 * (field - 3), pick(BOUNDARY_VALUES), true);
    } else if (fields.opWords.length) view.setUint32(pick(fields.opWords), pick(BOUNDARY_VALUES), true);
    return signProgram(out);
  }
  // Shape edits. Dims change on one tensor, or the same dims of every tensor of that rank take
  // large values at once (so ops still see consistent shapes whose element counts overflow); each
  // edited tensor usually gets the byte size its dims imply (wrapping at 32 bits as a careless
  // writer would), and half the time the arena is resized to the new extent, so the mutant gets
  // past the size checks to the op and arena validation. Or one byte size or offset changes.
  const chosen = pick(fields.tensorRecords);
  const rank = out[chosen + 1]!;
  const r = rand();
  if (r < 0.6 && rank > 0 && rank <= 4) {
    const all = rand() < 0.5;
    const axes = Array.from({ length: rank }, (_, d) => d).filter(() => rand() < 0.5);
    if (axes.length === 0 || !all) axes.splice(0, axes.length, int(rank));
    const values = axes.map((d) => all
      ? pick([0, 1 << 8, 1 << 16, 1 << 24, (1 << 24) + 1])
      : pick([0, 1, 2, view.getInt32(chosen + 4 + 4 * d, true) * 2, 1 << 24, 0x7fffffff, int(64)]));
    const sized = rand() < 0.8;
    for (const record of fields.tensorRecords) {
      if (record !== chosen && (!all || out[record + 1] !== rank)) continue;
      axes.forEach((d, k) => view.setInt32(record + 4 + 4 * d, values[k]! | 0, true));
      if (sized) view.setUint32(record + 24, impliedByteSize(out, record), true);
    }
  } else if (r < 0.8) {
    const size = view.getUint32(chosen + 24, true);
    view.setUint32(chosen + 24, pick([...BOUNDARY_VALUES, size + 1, size - 1]) >>> 0, true);
  } else {
    const offset = view.getUint32(chosen + 20, true);
    view.setUint32(chosen + 20, pick([...BOUNDARY_VALUES, offset + 16, offset - 16, offset + 1]) >>> 0, true);
  }
  if (rand() < 0.5) {
    let extent = 0;
    for (const at of fields.tensorRecords) {
      if (out[at + 2] !== 1) extent = Math.max(extent, view.getUint32(at + 20, true) + view.getUint32(at + 24, true));
    }
    view.setUint32(16, Math.min(0xffffffff, Math.ceil(extent / 16) * 16), true);
  }
  return signProgram(out);
}
