// Graph -> Program: the flat, versioned, checksummed binary the native interpreter runs
// (layout in docs/program-format.md). Also reads a Program's header and tables back for the
// JS side (tensor names, shapes, quantization) without trusting it: the native loader validates.
import { CleaveError } from '../errors';
import { type Graph, isConstant } from '../model/graph';
import { activationLifetimes } from '../model/analysis';
import { crc32 } from './crc32';
import { type LoweredOp, CompileError, lowerOp } from './lower';
import { PROGRAM_DTYPES, type ProgramDType } from './opcodes';
import { ARENA_ALIGNMENT, type BufferRequest, planArena } from './arena-planner';

export const PROGRAM_MAGIC = 'CLVP';
/** Written: header CRC, section table, per-section CRCs. Version 1 (one whole-file CRC) is still read. */
export const PROGRAM_VERSION_MAJOR = 2;
export const PROGRAM_VERSION_MINOR = 0;
export const HEADER_BYTES = 64;
export const TENSOR_RECORD_BYTES = 48;
export const SECTION_ENTRY_BYTES = 16;
const CONST_ALIGNMENT = 16;

/** Section kinds of a version-2 Program, in the order the writer lays them out. */
export const SECTION_KIND = { names: 1, constants: 2, tensors: 3, ops: 4, io: 5 } as const;
export type SectionName = keyof typeof SECTION_KIND;
const SECTION_NAMES = Object.keys(SECTION_KIND) as SectionName[];

export const TENSOR_KIND = { activation: 0, constant: 1, variable: 2, scratch: 3 } as const;
export type TensorKind = keyof typeof TENSOR_KIND;

export interface ProgramTensor {
  id: number;
  /** Index in the source model's subgraph, or -1 for scratch buffers. */
  sourceIndex: number;
  name: string;
  dtype: ProgramDType;
  shape: number[];
  kind: TensorKind;
  /** Arena offset (activation, variable, scratch) or constant-blob offset (constant). */
  offset: number;
  byteLength: number;
  scale: number;
  zeroPoint: number;
}

export interface CompiledProgram {
  bytes: Uint8Array;
  arenaBytes: number;
  /** The largest sum of simultaneously live buffers: the arena can be no smaller. */
  arenaLowerBound: number;
  tensors: ProgramTensor[];
  inputs: number[];
  outputs: number[];
}

class Writer {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number) { this.reserve(1); this.view.setUint8(this.length, v); this.length += 1; }
  u16(v: number) { this.reserve(2); this.view.setUint16(this.length, v, true); this.length += 2; }
  u32(v: number) { this.reserve(4); this.view.setUint32(this.length, v >>> 0, true); this.length += 4; }
  i32(v: number) { this.reserve(4); this.view.setInt32(this.length, v | 0, true); this.length += 4; }
  f32(v: number) { this.reserve(4); this.view.setFloat32(this.length, v, true); this.length += 4; }
  bytes(b: Uint8Array) { this.reserve(b.length); this.buf.set(b, this.length); this.length += b.length; }
  align(n: number) { while (this.length % n) this.u8(0); }
  patchU32(at: number, v: number) { this.view.setUint32(at, v >>> 0, true); }
  result(): Uint8Array { return this.buf.slice(0, this.length); }
}

/** Compiles a Graph into a Program. Throws CompileError naming the op for anything unsupported. */
export function compileGraph(graph: Graph): CompiledProgram {
  const lowered: LoweredOp[] = graph.ops.map((op) => lowerOp(graph, op));

  // Program tensors: every graph tensor an op or the subgraph touches, then per-op scratch buffers.
  const used = new Set<number>([...graph.inputs, ...graph.outputs]);
  for (const l of lowered) for (const t of [...l.inputs, ...l.outputs]) if (t >= 0) used.add(t);
  const idOf = new Map<number, number>();
  const tensors: ProgramTensor[] = [];
  for (const index of [...used].sort((a, b) => a - b)) {
    const t = graph.tensors[index]!;
    if (!(t.dtype in PROGRAM_DTYPES)) {
      throw new CompileError(graph, null, `tensor ${index} "${t.name}" has dtype ${t.dtype}, which Programs do not support`, 'UNSUPPORTED_DTYPE');
    }
    if (t.shape.length > 4) throw new CompileError(graph, null, `tensor ${index} "${t.name}" has rank ${t.shape.length}; Programs support up to 4`);
    idOf.set(index, tensors.length);
    tensors.push({
      id: tensors.length,
      sourceIndex: index,
      name: t.name,
      dtype: t.dtype as ProgramDType,
      shape: t.shape,
      kind: isConstant(t) ? 'constant' : t.isVariable ? 'variable' : 'activation',
      offset: 0,
      byteLength: t.byteLength,
      scale: t.quantization?.scale.length === 1 ? t.quantization.scale[0]! : 0,
      zeroPoint: t.quantization?.zeroPoint.length === 1 ? t.quantization.zeroPoint[0]! : 0,
    });
  }

  // Arena requests: activation lifetimes from the graph, scratch buffers for their one op.
  const requests: BufferRequest[] = [];
  const lastOp = Math.max(graph.ops.length - 1, 0);
  for (const l of activationLifetimes(graph)) {
    const id = idOf.get(l.tensor);
    if (id !== undefined) requests.push({ id, bytes: l.bytes, first: l.first, last: l.last });
  }
  for (const t of tensors) {
    if (t.kind === 'activation' && !requests.some((r) => r.id === t.id)) requests.push({ id: t.id, bytes: t.byteLength, first: 0, last: lastOp });
  }
  const opRecords = lowered.map((l, k) => {
    const scratchIds = l.scratch.map((bytes, s) => {
      const id = tensors.length;
      tensors.push({ id, sourceIndex: -1, name: `scratch:${l.sourceIndex}:${s}`, dtype: 'int32', shape: [bytes / 4], kind: 'scratch', offset: 0, byteLength: bytes, scale: 0, zeroPoint: 0 });
      requests.push({ id, bytes, first: k, last: k });
      return id;
    });
    return {
      ...l,
      inputs: [...l.inputs.map((t) => (t >= 0 ? idOf.get(t)! : -1)), ...scratchIds],
      outputs: l.outputs.map((t) => idOf.get(t)!),
    };
  });
  const plan = planArena(requests);
  for (const t of tensors) if (t.kind !== 'constant') t.offset = plan.offsets.get(t.id) ?? 0;

  const w = new Writer();
  for (let i = 0; i < HEADER_BYTES + SECTION_NAMES.length * SECTION_ENTRY_BYTES; i++) w.u8(0);

  // Names.
  const namesOffset = w.length;
  const nameAt = new Map<number, [number, number]>();
  const encoder = new TextEncoder();
  for (const t of tensors) {
    const b = encoder.encode(t.name);
    nameAt.set(t.id, [w.length - namesOffset, b.length]);
    w.bytes(b);
  }
  const namesSize = w.length - namesOffset;
  w.align(CONST_ALIGNMENT);

  // Constant blob: tensor data, then op arrays (multipliers, shifts), each aligned for the kernels.
  const constOffset = w.length;
  for (const t of tensors) {
    if (t.kind !== 'constant') continue;
    w.align(CONST_ALIGNMENT);
    t.offset = w.length - constOffset;
    w.bytes(graph.tensors[t.sourceIndex]!.data!);
  }
  const paramWords = opRecords.map((op) =>
    op.params.map((p) => {
      if (typeof p === 'number') return p;
      w.align(CONST_ALIGNMENT);
      const at = w.length - constOffset;
      for (const v of p.values) w.i32(v);
      return at;
    }));
  w.align(CONST_ALIGNMENT);
  const constSize = w.length - constOffset;

  // Tensor table.
  const tensorTableOffset = w.length;
  for (const t of tensors) {
    w.u8(PROGRAM_DTYPES[t.dtype]);
    w.u8(t.shape.length);
    w.u8(TENSOR_KIND[t.kind]);
    w.u8(0);
    for (let d = 0; d < 4; d++) w.i32(t.shape[d] ?? 0);
    w.u32(t.offset);
    w.u32(t.byteLength);
    w.f32(t.scale);
    w.i32(t.zeroPoint);
    w.i32(t.sourceIndex);
    const [nameOffset, nameLength] = nameAt.get(t.id)!;
    w.u32(nameOffset);
    w.u32(nameLength);
  }

  // Op table: records back to back, each sized in its header.
  const opTableOffset = w.length;
  opRecords.forEach((op, k) => {
    const words = paramWords[k]!;
    const size = 20 + 4 * (op.inputs.length + op.outputs.length + words.length);
    w.u16(op.opcode);
    w.u16(0);
    w.u32(size);
    w.i32(op.sourceIndex);
    w.u16(op.inputs.length);
    w.u16(op.outputs.length);
    w.u16(words.length);
    w.u16(0);
    for (const t of op.inputs) w.i32(t);
    for (const t of op.outputs) w.i32(t);
    for (const v of words) w.i32(v);
  });

  // Subgraph inputs and outputs.
  const ioOffset = w.length;
  const inputs = graph.inputs.map((t) => idOf.get(t)!);
  const outputs = graph.outputs.map((t) => idOf.get(t)!);
  w.u32(inputs.length);
  w.u32(outputs.length);
  for (const t of [...inputs, ...outputs]) w.u32(t);
  const ioSize = w.length - ioOffset;
  w.align(ARENA_ALIGNMENT);

  const sections: Record<SectionName, [number, number]> = {
    names: [namesOffset, namesSize],
    constants: [constOffset, constSize],
    tensors: [tensorTableOffset, opTableOffset - tensorTableOffset],
    ops: [opTableOffset, ioOffset - opTableOffset],
    io: [ioOffset, ioSize],
  };
  const bytes = w.result();
  const view = new DataView(bytes.buffer);
  bytes.set(encoder.encode(PROGRAM_MAGIC), 0);
  view.setUint16(4, PROGRAM_VERSION_MAJOR, true);
  view.setUint16(6, PROGRAM_VERSION_MINOR, true);
  for (const [at, v] of [[8, bytes.length], [12, SECTION_NAMES.length], [16, plan.arenaBytes], [20, tensors.length], [28, opRecords.length]]) {
    view.setUint32(at!, v!, true);
  }
  SECTION_NAMES.forEach((name, i) => {
    const at = HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    view.setUint32(at, SECTION_KIND[name], true);
    view.setUint32(at + 4, sections[name][0], true);
    view.setUint32(at + 8, sections[name][1], true);
  });
  signProgram(bytes);
  return { bytes, arenaBytes: plan.arenaBytes, arenaLowerBound: plan.lowerBound, tensors, inputs, outputs };
}

/**
 * (Re)computes a Program's checksums in place: version 2's section CRCs (for each table entry that
 * lies inside the bytes), section-table CRC and header CRC; version 1's whole-file CRC. The
 * writer's last step, and how tests and the fuzzer make damaged Programs that reach validation.
 */
export function signProgram(bytes: Uint8Array): Uint8Array {
  if (bytes.length < HEADER_BYTES) return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(4, true) !== 2) {
    view.setUint32(12, crc32(bytes.subarray(16)), true);
    return bytes;
  }
  const count = Math.min(view.getUint32(12, true), Math.floor((bytes.length - HEADER_BYTES) / SECTION_ENTRY_BYTES));
  for (let i = 0; i < count; i++) {
    const at = HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    const offset = view.getUint32(at + 4, true), size = view.getUint32(at + 8, true);
    if (offset + size <= bytes.length) view.setUint32(at + 12, crc32(bytes.subarray(offset, offset + size)), true);
  }
  view.setUint32(24, crc32(bytes.subarray(HEADER_BYTES, HEADER_BYTES + count * SECTION_ENTRY_BYTES)), true);
  view.setUint32(60, crc32(bytes.subarray(0, 60)), true);
  return bytes;
}

export function isProgram(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && String.fromCharCode(...bytes.subarray(0, 4)) === PROGRAM_MAGIC;
}

/** A Program refused before the native loader sees it, with the codes the native loader uses. */
export class ProgramError extends CleaveError {
  constructor(source: string, message: string, code: 'PROGRAM_INVALID' | 'PROGRAM_VERSION' | 'PROGRAM_CHECKSUM' = 'PROGRAM_INVALID') {
    super(code, `${source}: ${message}`);
    this.name = 'ProgramError';
  }
}

const DTYPE_BY_CODE = Object.fromEntries(Object.entries(PROGRAM_DTYPES).map(([k, v]) => [v, k])) as Record<number, ProgramDType>;
const KIND_BY_CODE = Object.fromEntries(Object.entries(TENSOR_KIND).map(([k, v]) => [v, k])) as Record<number, TensorKind>;

export interface ProgramLayout {
  version: number;
  arenaBytes: number;
  tensorCount: number;
  opCount: number;
  /** Byte ranges; version 1 gives no sizes, so its tensor, op and I/O tables run to the end. */
  sections: Record<SectionName, { offset: number; size: number }>;
}

/**
 * Finds a Program's sections, version 1 or 2, after checking its magic, version, size and
 * checksums (every section's, in version 2). The native loader validates the contents.
 */
export function readProgramLayout(bytes: Uint8Array, source: string): ProgramLayout {
  const fail = (m: string): never => { throw new ProgramError(source, m); };
  if (bytes.length < HEADER_BYTES) fail(`${bytes.length} bytes is too short for a Program header (${HEADER_BYTES})`);
  if (!isProgram(bytes)) fail('not a cleave Program (magic is not "CLVP")');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number) => view.getUint32(at, true);
  const hex = (v: number) => `0x${v.toString(16)}`;
  const version = view.getUint16(4, true);
  if (version !== 1 && version !== 2) throw new ProgramError(source, `Program format version ${version}.${view.getUint16(6, true)} is not supported (this cleave reads 1.x and ${PROGRAM_VERSION_MAJOR}.x)`, 'PROGRAM_VERSION');
  if (u32(8) !== bytes.length) fail(`header says ${u32(8)} bytes but the Program has ${bytes.length} (truncated or padded)`);
  const checksum = (where: string, stored: number, data: Uint8Array) => {
    const actual = crc32(data);
    if (stored !== actual) throw new ProgramError(source, `checksum mismatch${where}: header ${hex(stored)}, contents ${hex(actual)} (damaged Program)`, 'PROGRAM_CHECKSUM');
  };
  const layout = { version, arenaBytes: u32(16), tensorCount: u32(20), opCount: u32(28) };
  if (version === 1) {
    checksum('', u32(12), bytes.subarray(16));
    const toEnd = (offset: number) => ({ offset, size: Math.max(0, bytes.length - offset) });
    return {
      ...layout,
      sections: { names: { offset: u32(48), size: u32(52) }, constants: { offset: u32(40), size: u32(44) }, tensors: toEnd(u32(24)), ops: toEnd(u32(32)), io: toEnd(u32(36)) },
    };
  }
  checksum(' in the header', u32(60), bytes.subarray(0, 60));
  const count = u32(12);
  const tableEnd = HEADER_BYTES + count * SECTION_ENTRY_BYTES;
  if (count < 1 || tableEnd > bytes.length) fail(`section table of ${count} entries does not fit the Program`);
  checksum(' in the section table', u32(24), bytes.subarray(HEADER_BYTES, tableEnd));
  const sections: Partial<ProgramLayout['sections']> = {};
  for (let i = 0; i < count; i++) {
    const at = HEADER_BYTES + i * SECTION_ENTRY_BYTES;
    const kind = u32(at), offset = u32(at + 4), size = u32(at + 8);
    if (offset + size > bytes.length) fail(`section ${i} [${offset}, +${size}) runs past the end`);
    checksum(` in section ${i} at byte offset ${offset}`, u32(at + 12), bytes.subarray(offset, offset + size));
    const name = SECTION_NAMES.find((n) => SECTION_KIND[n] === kind);
    if (name) sections[name] = { offset, size };
  }
  const missing = SECTION_NAMES.filter((n) => !sections[n]);
  if (missing.length) fail(`the section table has no ${missing.join(', ')} section`);
  return { ...layout, sections: sections as ProgramLayout['sections'] };
}

/** Reads a Program's tensor table and I/O lists (bounds-checked; the native loader checks the rest). */
export function readProgramTables(bytes: Uint8Array, source: string): Pick<CompiledProgram, 'tensors' | 'inputs' | 'outputs' | 'arenaBytes'> {
  const fail = (m: string): never => { throw new ProgramError(source, m); };
  const { tensorCount, arenaBytes, sections } = readProgramLayout(bytes, source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const within = ({ offset, size }: { offset: number; size: number }, at: number, n: number) => at >= offset && at + n <= offset + size && at + n <= bytes.length;
  const tensorTable = sections.tensors.offset, io = sections.io, names = sections.names;
  if (!within(sections.tensors, tensorTable, tensorCount * TENSOR_RECORD_BYTES)) fail(`tensor table (${tensorCount} records at ${tensorTable}) runs past its section`);
  if (!within(names, names.offset, names.size)) fail('name table runs past the end');
  const decoder = new TextDecoder();
  const tensors: ProgramTensor[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const at = tensorTable + i * TENSOR_RECORD_BYTES;
    const rank = view.getUint8(at + 1);
    const dtype = DTYPE_BY_CODE[view.getUint8(at)];
    const kind = KIND_BY_CODE[view.getUint8(at + 2)];
    if (!dtype || !kind || rank > 4) fail(`tensor ${i} record at byte offset ${at} is malformed`);
    const nameOffset = view.getUint32(at + 40, true), nameLength = view.getUint32(at + 44, true);
    if (nameOffset + nameLength > names.size) fail(`tensor ${i} name lies outside the name table`);
    tensors.push({
      id: i,
      dtype: dtype!,
      kind: kind!,
      shape: Array.from({ length: rank }, (_, d) => view.getInt32(at + 4 + 4 * d, true)),
      offset: view.getUint32(at + 20, true),
      byteLength: view.getUint32(at + 24, true),
      scale: view.getFloat32(at + 28, true),
      zeroPoint: view.getInt32(at + 32, true),
      sourceIndex: view.getInt32(at + 36, true),
      name: decoder.decode(bytes.subarray(names.offset + nameOffset, names.offset + nameOffset + nameLength)),
    });
  }
  if (!within(io, io.offset, 8)) fail('input/output table runs past its section');
  const nIn = view.getUint32(io.offset, true), nOut = view.getUint32(io.offset + 4, true);
  if (nIn > tensorCount || nOut > tensorCount || !within(io, io.offset, 8 + 4 * (nIn + nOut))) fail('input/output counts exceed the tensor count or the table');
  const ids = Array.from({ length: nIn + nOut }, (_, i) => view.getUint32(io.offset + 8 + 4 * i, true));
  if (ids.some((id) => id >= tensorCount)) fail('an input or output refers to a tensor that does not exist');
  return { tensors, inputs: ids.slice(0, nIn), outputs: ids.slice(nIn), arenaBytes };
}
