// A damaged Program is rejected with a clear error, never run: checksums catch accidents, and the
// native loader's validation catches Programs whose checksums were recomputed over bad contents.
// Programs the compiler writes are format 2; format-1 fixtures (test/fixtures/programs, written by
// the format-1 compiler) keep the version-1 reader honest.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Session } from '../../src/session';
import { compileGraph, readProgramLayout, readProgramTables, signProgram, TENSOR_RECORD_BYTES } from '../../src/compile/program';
import { readModelFile } from '../../src/model/reader';
import { quantizedTensor, singleOpGraph } from '../../src/model/builder';
import { MUTATIONS, PROGRAM_MUTATIONS, mutate, mutateProgram, prng } from '../fuzz/mutate';
import { formatCounts, fuzzProgramMutant, kernelsFor, newCounts, settle } from '../fuzz/stages';
import { shippedModels } from '../lib/models';

const repoRoot = path.resolve(__dirname, '..', '..');
const fixtures = path.join(repoRoot, 'test', 'fixtures', 'programs');
const models = shippedModels();
const program = (name: string) => compileGraph(readModelFile(models.find((m) => m.name === name)!.file)).bytes;
const fixture = (file: string) => new Uint8Array(fs.readFileSync(path.join(fixtures, file)));

/** One MAX_POOL_2D, 2x2 stride 2 over [1,8,8,4]: the op the element-count overflow crashed. */
function maxPoolProgram(): Uint8Array {
  const tensors = [quantizedTensor(0, [1, 8, 8, 4], 'int8', [0.5], [0], null), quantizedTensor(1, [1, 4, 4, 4], 'int8', [0.5], [0], null)];
  return compileGraph(singleOpGraph('max_pool', tensors, {
    index: 0, opcode: 'MAX_POOL_2D', version: 1, inputs: [0], outputs: [1], intermediates: [], optionsType: 'Pool2DOptions',
    options: { padding: 'VALID', strideH: 2, strideW: 2, filterHeight: 2, filterWidth: 2, fusedActivationFunction: 'NONE' },
  })).bytes;
}

// Both formats of each Program the edits below start from.
const formats = [
  { version: 2, maxPool: maxPoolProgram, helloWorld: () => program('tflm_hello_world') },
  { version: 1, maxPool: () => fixture('max_pool_2d.v1.cprog'), helloWorld: () => fixture('tflm_hello_world.v1.cprog') },
];

interface TensorEdit { dims?: number[]; byteSize?: number }

/** Rewrites tensor records and header words of a copy, then re-signs it as a writer would. */
function edited(original: Uint8Array, edit: { tensors?: Record<number, TensorEdit>; header?: Record<number, number> }): Uint8Array {
  const bytes = new Uint8Array(original);
  const view = new DataView(bytes.buffer);
  const { sections } = readProgramLayout(bytes, 'original');
  for (const [id, e] of Object.entries(edit.tensors ?? {})) {
    const at = sections.tensors.offset + Number(id) * TENSOR_RECORD_BYTES;
    if (e.dims) {
      bytes[at + 1] = e.dims.length;
      e.dims.forEach((d, k) => view.setInt32(at + 4 + 4 * k, d, true));
    }
    if (e.byteSize !== undefined) view.setUint32(at + 24, e.byteSize, true);
  }
  for (const [at, v] of Object.entries(edit.header ?? {})) view.setUint32(Number(at), v, true);
  return signProgram(bytes);
}

/** Byte offsets of the op records, in order. */
function opRecords(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { sections, opCount } = readProgramLayout(bytes, 'ops');
  const at = [sections.ops.offset];
  for (let i = 1; i < opCount; i++) at.push(at[i - 1]! + view.getUint32(at[i - 1]! + 4, true));
  return at;
}

/**
 * Loads and runs a Program in a child process (built sources in dist/), so a crash is observed
 * rather than suffered: returns the child's exit status and signal and what it reported.
 */
function loadAndRunInChild(bytes: Uint8Array): { status: number | null; signal: string | null; report: { code?: string; message?: string; ran?: boolean } } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-program-'));
  try {
    const file = path.join(dir, 'edited.cprog');
    fs.writeFileSync(file, bytes);
    const child = `
      const { Session } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'src', 'session.js'))});
      const { CleaveError } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'src', 'errors.js'))});
      try {
        const s = Session.fromBytes(require('fs').readFileSync(process.argv[1]), 'edited.cprog', { threads: 1, kernels: 'reference' });
        s.runSync(s.inputs.map((x) => new Uint8Array(x.byteLength)));
        console.log(JSON.stringify({ ran: true }));
      } catch (e) {
        if (!(e instanceof CleaveError)) throw e;
        console.log(JSON.stringify({ code: e.code, message: e.message }));
      }`;
    const r = spawnSync(process.execPath, ['-e', child, file], { encoding: 'utf8', timeout: 60_000 });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    return { status: r.status, signal: r.signal, report: last.startsWith('{') ? JSON.parse(last) : { message: r.stderr } };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

t.test('damaged Programs are refused with what is wrong', async (t) => {
  const good = program('mlperf_tiny_kws');
  const flipped = good.slice();
  flipped[good.length - 100] ^= 0x10;
  t.throws(() => Session.fromBytes(flipped, 'kws.cprog'), { code: 'PROGRAM_CHECKSUM', message: /kws\.cprog: checksum mismatch in section \d+ at byte offset \d+: header 0x[0-9a-f]+, contents 0x[0-9a-f]+ \(damaged Program\)/ });
  const v1 = fixture('mlperf_tiny_kws.v1.cprog');
  v1[v1.length - 100] ^= 0x10;
  t.throws(() => Session.fromBytes(v1, 'v1.cprog'), { code: 'PROGRAM_CHECKSUM', message: /v1\.cprog: checksum mismatch: header 0x[0-9a-f]+, contents 0x[0-9a-f]+ \(damaged Program\)/ });
  t.throws(() => Session.fromBytes(good.subarray(0, good.length - 16), 'cut.cprog'), { message: /cut\.cprog: header says \d+ bytes but the Program has \d+ \(truncated or padded\)/ });
  const version = good.slice();
  version[4] = 9;
  t.throws(() => Session.fromBytes(version, 'v9.cprog'), { message: /format version 9\.0 is not supported \(this cleave reads 1\.x and 2\.x\)/ });
  t.throws(() => Session.fromBytes(good.subarray(0, 20), 'tiny.cprog'), { message: /tiny\.cprog: .*too short/ });
  const renamed = good.slice();
  renamed[0] = 0x58;
  t.throws(() => Session.fromBytes(renamed, 'x.cprog'), { code: 'NOT_A_MODEL', message: /x\.cprog: neither a cleave Program \(magic "CLVP"\) nor a TFLite model/ });

  // A tensor moved outside the arena, checksums recomputed: only the native validation can tell.
  for (const f of formats) {
    const moved = f.helloWorld();
    const { sections, tensorCount, arenaBytes } = readProgramLayout(moved, 'moved');
    const firstActivation = Array.from({ length: tensorCount }, (_, i) => sections.tensors.offset + TENSOR_RECORD_BYTES * i).find((at) => moved[at + 2] === 0)!;
    new DataView(moved.buffer).setUint32(firstActivation + 20, arenaBytes, true);
    t.throws(() => Session.fromBytes(signProgram(moved), 'moved.cprog'), { code: 'PROGRAM_INVALID', message: /moved\.cprog: invalid Program: tensor \d+ \[\d+, \+\d+\) lies outside the \d+-byte arena/ }, `format ${f.version}`);
  }
});

t.test('format 1 Programs still load and compute what format 2 computes', async (t) => {
  for (const name of ['tflm_hello_world', 'mlperf_tiny_kws']) {
    const v1 = Session.fromBytes(fixture(`${name}.v1.cprog`), `${name}.v1.cprog`, { threads: 1 });
    const v2 = Session.fromBytes(program(name), `${name}.cprog`, { threads: 1 });
    t.equal(readProgramLayout(fixture(`${name}.v1.cprog`), name).version, 1);
    t.equal(readProgramLayout(program(name), name).version, 2);
    const rand = prng(3);
    const inputs = v1.inputs.map((x) => Uint8Array.from({ length: x.byteLength }, () => Math.floor(rand() * 256)));
    t.same(v1.runSync(inputs).outputs, v2.runSync(inputs).outputs, name);
    t.same(readProgramTables(fixture(`${name}.v1.cprog`), name).tensors.map((x) => x.name), readProgramTables(program(name), name).tensors.map((x) => x.name));
    v1.dispose();
    v2.dispose();
  }
});

// Before: the element count of [1, 2^24, 2^24, 2^16] wrapped to 0 in int64, matched a byte size of
// 0, and MAX_POOL_2D ran over it (exit 139).
t.test('a shape whose element count overflows is refused, naming the tensor; the process survives', async (t) => {
  for (const f of formats) {
    for (const dims of [[1, 1 << 24, 1 << 24, 1 << 16], [0, 1 << 24, 1 << 24, 1 << 24]]) {
      const bytes = edited(f.maxPool(), { tensors: { 0: { dims, byteSize: 0 }, 1: { dims, byteSize: 0 } } });
      const r = loadAndRunInChild(bytes);
      t.equal(r.signal, null, `format ${f.version} [${dims}]: no signal`);
      t.equal(r.status, 0, `format ${f.version} [${dims}]: child exits 0`);
      t.match(r.report, { code: 'PROGRAM_INVALID', message: /edited\.cprog: invalid Program: tensor 0: shape spans more than 2147483647 elements by dimension 2/ }, `format ${f.version} [${dims}]`);
    }
  }
});

// Before: 0xFFFFFFFF wrapped to 0 when rounded up to 16 (a 16-byte arena, then SIGSEGV);
// 0x80000000 allocated and zeroed 2 GiB; a larger arena than the tensors need was accepted.
t.test('an arena that is not the extent of its tensors is refused', async (t) => {
  for (const f of formats) {
    const original = f.maxPool();
    const arena = readProgramLayout(original, 'max_pool').arenaBytes;
    for (const bad of [0xffffffff, 0x80000000, 0x7ffffff0]) {
      const r = loadAndRunInChild(edited(original, { header: { 16: bad } }));
      t.equal(r.signal, null, `format ${f.version} arena ${bad}: no signal`);
      t.equal(r.status, 0, `format ${f.version} arena ${bad}: child exits 0`);
      t.match(r.report, { code: 'PROGRAM_INVALID', message: bad === 0x7ffffff0 ? /arena is 2147483632 bytes but its tensors end at byte \d+ \(expected \d+\)/ : new RegExp(`arena of ${bad} bytes is not a multiple of 16 up to 2147483632`) }, `format ${f.version} arena ${bad}`);
    }
    t.throws(() => Session.fromBytes(edited(original, { header: { 16: arena + 16 } }), 'big.cprog'), { code: 'PROGRAM_INVALID', message: new RegExp(`big\\.cprog: invalid Program: arena is ${arena + 16} bytes but its tensors end at byte ${arena} \\(expected ${arena}\\)`) });
    t.throws(() => Session.fromBytes(edited(original, { header: { 16: arena - 16 } }), 'small.cprog'), { code: 'PROGRAM_INVALID', message: /small\.cprog: invalid Program: tensor 1 \[\d+, \+64\) lies outside the \d+-byte arena/ });
  }
});

t.test('reserved words must be 0; a Program must write its outputs', async (t) => {
  for (const f of formats) {
    const where = `format ${f.version}`;
    const original = f.helloWorld();
    const refused = (bytes: Uint8Array, message: RegExp, what: string) => t.throws(() => Session.fromBytes(signProgram(bytes), 'edited.cprog'), { code: 'PROGRAM_INVALID', message }, `${where}: ${what}`);
    const header = new Uint8Array(original);
    header[56] = 1;
    refused(header, /reserved header byte at offset 56 is 1, not 0/, 'header word 56');
    const record = new Uint8Array(original);
    const tensorTable = readProgramLayout(original, 'x').sections.tensors.offset;
    record[tensorTable + TENSOR_RECORD_BYTES + 3] = 2;
    refused(record, new RegExp(`tensor 1 \\(byte offset ${tensorTable + TENSOR_RECORD_BYTES + 3}\\): reserved byte is 2, not 0`), 'tensor record byte 3');
    for (const word of [2, 18]) {
      const op = new Uint8Array(original);
      const at = opRecords(op)[1]!;
      op[at + word] = 1;
      refused(op, new RegExp(`op 1 \\(FULLY_CONNECTED\\) record at byte offset ${at}: reserved words are not 0`), `op record u16 at ${word}`);
    }
    refused(edited(original, { header: { 28: 0 } }), /Program has \d+ tensors and 0 ops: nothing would write its outputs/, 'op count 0');
    // The last op writes the (same-shaped) graph input instead of the graph output.
    const rerouted = new Uint8Array(original);
    const view = new DataView(rerouted.buffer);
    const { inputs, outputs } = readProgramTables(original, 'x');
    const last = opRecords(rerouted).pop()!;
    const outputSlot = last + 20 + 4 * view.getUint16(last + 12, true);
    t.equal(view.getInt32(outputSlot, true), outputs[0], `${where}: the last op writes the graph output`);
    view.setInt32(outputSlot, inputs[0]!, true);
    refused(rerouted, new RegExp(`subgraph output 0 \\(tensor ${outputs[0]}\\) is written by no op`), 'output never written');
  }
});

// Every mutation kind, including boundary values in every header, section-table, tensor-record
// and op-record field and shape edits with consistent byte sizes: each mutant is refused with a
// CleaveError or loads and runs; a crash ends the test process.
for (const source of ['tflm_hello_world', 'mlperf_tiny_kws', 'mlperf_tiny_ic', 'tflm_hello_world.v1.cprog']) {
  t.test(`${source}: 1000 checksum-valid mutants are refused or run safely`, async (t) => {
    const original = source.endsWith('.cprog') ? fixture(source) : program(source);
    const rand = prng(7);
    const counts = newCounts();
    for (let i = 0; i < 1000; i++) {
      const kind = PROGRAM_MUTATIONS[i % PROGRAM_MUTATIONS.length]!;
      if (i % 50 === 0) await settle();
      fuzzProgramMutant(mutateProgram(original, kind, rand), `${source} mutant ${i} (${kind})`, counts, { kernels: kernelsFor(i, PROGRAM_MUTATIONS.length) });
    }
    t.same(counts.untyped, []);
    t.ok(counts.mutants - counts.passed.load > 300, `mutants refused: ${formatCounts(counts, ['load', 'run'])}`);
    t.ok(counts.passed.run > 50, `mutants that ran: ${formatCounts(counts, ['load', 'run'])}`);
  });
}

// Before: mutate() used slice(), which on a Node Buffer is a view, so mutations piled up in the
// original and almost no model mutant parsed.
t.test('mutants are copies: the original never changes', async (t) => {
  const model = fs.readFileSync(models.find((m) => m.name === 'tflm_hello_world')!.file);
  const programBytes = Buffer.from(program('tflm_hello_world'));
  const before = [Buffer.from(model), Buffer.from(programBytes)];
  const rand = prng(11);
  for (let i = 0; i < 200; i++) {
    mutate(model, MUTATIONS[i % MUTATIONS.length]!, rand);
    mutateProgram(programBytes, PROGRAM_MUTATIONS[i % PROGRAM_MUTATIONS.length]!, rand);
  }
  t.ok(model.equals(before[0]!), 'model unchanged');
  t.ok(programBytes.equals(before[1]!), 'Program unchanged');
});
