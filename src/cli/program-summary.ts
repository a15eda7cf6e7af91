// What `inspect` and `cuts` can say about a compiled Program (.cprog): its header, sections,
// inputs and outputs, and each op with the kernel that runs it here (from one profiled run on
// zeros). A Program keeps no op versions, options or shapes in a form cleave reads back, so MACs,
// weight bytes per op and cuts come from the .tflite it was compiled from.
import { readProgramLayout, readProgramTables, type ProgramTensor } from '../compile/program';
import { Session } from '../session';
import { formatNumber, formatTable } from './table';

export interface ProgramSummary {
  program: string;
  format: 'cleave-program';
  version: number;
  bytes: number;
  arenaBytes: number;
  tensorCount: number;
  sections: Record<string, number>;
  inputs: ProgramTensorReport[];
  outputs: ProgramTensorReport[];
  ops: { index: number; op: string; kernel: string }[];
  /** What only the source .tflite can show. */
  notInProgram: string[];
}

export interface ProgramTensorReport {
  index: number;
  name: string;
  dtype: string;
  shape: number[];
  scale: number;
  zeroPoint: number;
  bytes: number;
}

const NOT_IN_PROGRAM = ['op versions and options', 'MACs and weight bytes per op', 'valid cuts'];

function tensorReport(t: ProgramTensor): ProgramTensorReport {
  return { index: t.sourceIndex, name: t.name, dtype: t.dtype, shape: t.shape, scale: t.scale, zeroPoint: t.zeroPoint, bytes: t.byteLength };
}

export function summarizeProgram(bytes: Uint8Array, source: string): ProgramSummary {
  const layout = readProgramLayout(bytes, source);
  const tables = readProgramTables(bytes, source);
  const session = Session.fromBytes(bytes, source, { threads: 1 });
  try {
    const zeros = session.inputs.map((s) => new Uint8Array(s.byteLength));
    const profile = session.runSync(zeros, { profile: true }).profile ?? [];
    return {
      program: source,
      format: 'cleave-program',
      version: layout.version,
      bytes: bytes.length,
      arenaBytes: layout.arenaBytes,
      tensorCount: layout.tensorCount,
      sections: Object.fromEntries(Object.entries(layout.sections).map(([name, s]) => [name, s.size])),
      inputs: tables.inputs.map((id) => tensorReport(tables.tensors[id]!)),
      outputs: tables.outputs.map((id) => tensorReport(tables.tensors[id]!)),
      ops: profile.map((p) => ({ index: p.op, op: p.name, kernel: p.kernel })),
      notInProgram: NOT_IN_PROGRAM,
    };
  } finally {
    session.dispose();
  }
}

function tensorCell(t: ProgramTensorReport): string {
  return `t${t.index} ${t.dtype}[${t.shape.join('x')}] s=${t.scale.toPrecision(4)} zp=${t.zeroPoint}`;
}

export function renderProgramSummary(s: ProgramSummary): string {
  return [
    `${s.program}: cleave Program (format ${s.version}), ${formatNumber(s.bytes)} bytes, ${s.ops.length} ops, ${s.tensorCount} tensors, arena ${formatNumber(s.arenaBytes)} B`,
    `sections: ${Object.entries(s.sections).map(([n, b]) => `${n} ${formatNumber(b)} B`).join(', ')}`,
    `inputs:  ${s.inputs.map(tensorCell).join(', ')}`,
    `outputs: ${s.outputs.map(tensorCell).join(', ')}`,
    '',
    formatTable(['#', 'op', 'kernel here'], s.ops.map((o) => [o.index, o.op, o.kernel])),
    '',
    `not kept in a Program: ${s.notInProgram.join(', ')}: see the .tflite it was compiled from`,
  ].join('\n');
}
