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
export const PROGRAM_VERSION_MAJOR = 1;
export const PROGRAM_VERSION_MINOR = 0;
export const HEADER_BYTES = 64;
export const TENSOR_RECORD_BYTES = 48;
const CONST_ALIGNMENT = 16;

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
  for (let i = 0; i < HEADER_BYTES; i++) w.u8(0);

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
  w.align(ARENA_ALIGNMENT);

  // Header.
  const totalSize = w.length;
  const header: [number, number][] = [
    [8, totalSize], [16, plan.arenaBytes], [20, tensors.length], [24, tensorTableOffset],
    [28, opRecords.length], [32, opTableOffset], [36, ioOffset], [40, constOffset], [44, constSize],
    [48, namesOffset], [52, namesSize],
  ];
  const bytes = w.result();
  const view = new DataView(bytes.buffer);
  bytes.set(encoder.encode(PROGRAM_MAGIC), 0);
  view.setUint16(4, PROGRAM_VERSION_MAJOR, true);
  view.setUint16(6, PROGRAM_VERSION_MINOR, true);
  for (const [at, v] of header) view.setUint32(at, v, true);
  view.setUint32(12, crc32(bytes.subarray(16)), true);
  return { bytes, arenaBytes: plan.arenaBytes, arenaLowerBound: plan.lowerBound, tensors, inputs, outputs };
}

export function isProgram(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && String.fromCharCode(...bytes.subarray(0, 4)) === PROGRAM_MAGIC;
}

export class ProgramError extends CleaveError {
  constructor(source: string, message: string) {
    super('BAD_PROGRAM', `${source}: ${message}`);
    this.name = 'ProgramError';
  }
}

const DTYPE_BY_CODE = Object.fromEntries(Object.entries(PROGRAM_DTYPES).map(([k, v]) => [v, k])) as Record<number, ProgramDType>;
const KIND_BY_CODE = Object.fromEntries(Object.entries(TENSOR_KIND).map(([k, v]) => [v, k])) as Record<number, TensorKind>;

/** Reads a Program's tensor table and I/O lists (bounds-checked; the native loader checks the rest). */
export function readProgramTables(bytes: Uint8Array, source: string): Pick<CompiledProgram, 'tensors' | 'inputs' | 'outputs' | 'arenaBytes'> {
  const fail = (m: string): never => { throw new ProgramError(source, m); };
  if (bytes.length < HEADER_BYTES) fail(`${bytes.length} bytes is too short for a Program header (${HEADER_BYTES})`);
  if (!isProgram(bytes)) fail('not a cleave Program (magic is not "CLVP")');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number) => {
    if (at + 4 > bytes.length) fail(`field at byte offset ${at} is past the end (${bytes.length} bytes)`);
    return view.getUint32(at, true);
  };
  const major = view.getUint16(4, true);
  if (major !== PROGRAM_VERSION_MAJOR) fail(`Program format version ${major}.${view.getUint16(6, true)} is not supported (this cleave reads ${PROGRAM_VERSION_MAJOR}.x)`);
  const total = u32(8);
  if (total !== bytes.length) fail(`header says ${total} bytes but the Program has ${bytes.length} (truncated or padded)`);
  const stored = u32(12);
  const actual = crc32(bytes.subarray(16));
  if (stored !== actual) fail(`checksum mismatch: header 0x${stored.toString(16)}, contents 0x${actual.toString(16)} (damaged Program)`);
  const tensorCount = u32(20), tensorTable = u32(24), ioOffset = u32(36), namesOffset = u32(48), namesSize = u32(52);
  if (tensorTable + tensorCount * TENSOR_RECORD_BYTES > bytes.length) fail(`tensor table (${tensorCount} records at ${tensorTable}) runs past the end`);
  if (namesOffset + namesSize > bytes.length) fail('name table runs past the end');
  const decoder = new TextDecoder();
  const tensors: ProgramTensor[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const at = tensorTable + i * TENSOR_RECORD_BYTES;
    const rank = view.getUint8(at + 1);
    const dtype = DTYPE_BY_CODE[view.getUint8(at)];
    const kind = KIND_BY_CODE[view.getUint8(at + 2)];
    if (!dtype || !kind || rank > 4) fail(`tensor ${i} record at byte offset ${at} is malformed`);
    const nameOffset = view.getUint32(at + 40, true), nameLength = view.getUint32(at + 44, true);
    if (nameOffset + nameLength > namesSize) fail(`tensor ${i} name lies outside the name table`);
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
      name: decoder.decode(bytes.subarray(namesOffset + nameOffset, namesOffset + nameOffset + nameLength)),
    });
  }
  const nIn = u32(ioOffset), nOut = u32(ioOffset + 4);
  if (nIn > tensorCount || nOut > tensorCount) fail('input/output counts exceed the tensor count');
  const ids = Array.from({ length: nIn + nOut }, (_, i) => u32(ioOffset + 8 + 4 * i));
  if (ids.some((id) => id >= tensorCount)) fail('an input or output refers to a tensor that does not exist');
  return { tensors, inputs: ids.slice(0, nIn), outputs: ids.slice(nIn), arenaBytes: u32(16) };
}
