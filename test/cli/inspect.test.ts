import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleave } from '../lib/cli';
import { shippedModels } from '../lib/models';
import { binding } from '../../src/native';

const models = shippedModels();
const byName = (n: string) => models.find((m) => m.name === n)!;

for (const m of models) {
  t.test(`cleave inspect ${m.name}`, async (t) => {
    const table = cleave(['inspect', m.file]);
    t.equal(table.status, 0, table.stderr);
    t.match(table.stdout, /MACs\s+[\d,]+/);
    const json = cleave(['inspect', '--json', m.file]);
    t.equal(json.status, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    const graph = JSON.parse(fs.readFileSync(path.join(m.dir, 'graph.json'), 'utf8'));
    t.same(
      report.ops.map((o: { index: number; op: string; version: number; inputIndices: number[]; outputIndices: number[] }) =>
        ({ index: o.index, op: o.op, version: o.version, inputs: o.inputIndices, outputs: o.outputIndices })),
      graph.ops,
    );
  });
}

t.test('inspect --json names the kernel each op runs on here', async (t) => {
  const json = cleave(['inspect', '--json', byName('mlperf_tiny_vww').file]);
  t.equal(json.status, 0, json.stderr);
  const ops: { op: string; kernel: string | null; inputs: { shape: number[] }[] }[] = JSON.parse(json.stdout).ops;
  const features = binding.cpuFeatures();
  const set = features.avx512vnni ? 'avx512-vnni' : features.avx2 ? 'avx2' : features.dotprod ? 'neon-dotprod' : features.neon ? 'neon' : null;
  const of = (op: string) => ops.filter((o) => o.op === op).map((o) => o.kernel);
  if (set === null) {
    t.ok(ops.every((o) => o.kernel === 'reference'), 'no optimized set: every op on the reference kernels');
    return;
  }
  t.ok(of('DEPTHWISE_CONV_2D').every((k) => k === `${set}:depthwise-3x3`), `depthwise: ${[...new Set(of('DEPTHWISE_CONV_2D'))]}`);
  // The pointwise convs (1x1, stride 1) read their input as the matrix: no im2col; on x86 the
  // form of the product follows the set and the depth (vpdpbusd on 512-bit registers everywhere;
  // AVX2's u8s8 for the 8-deep first one, s16 for the deeper many-row layers).
  const pointwise = ops.filter((o) => o.op === 'CONV_2D' && o.inputs[1]!.shape[1] === 1 && o.inputs[1]!.shape[2] === 1);
  const x86Form = (depth: number) => (set === 'avx512-vnni' ? 'gemm-u8s8-512' : depth <= 8 ? 'gemm-u8s8' : 'gemm-s16');
  const form = (depth: number) => (set === 'avx512-vnni' || set === 'avx2' ? x86Form(depth) : 'gemm');
  t.ok(pointwise.length > 0 && pointwise.every((o) => o.kernel === `${set}:${form(o.inputs[1]!.shape[3]!)}`),
    `pointwise: ${[...new Set(pointwise.map((o) => o.kernel))]}`);
  // The first layer (3x3/2, 3->8, 27 products per output): AVX2 keeps each pixel's patch in
  // registers; the avx512-vnni set takes im2col rows for its u8s8 product.
  const first = ops.find((o) => o.op === 'CONV_2D' && o.inputs[1]!.shape[1] === 3)!;
  if (set === 'avx2') t.equal(first.kernel, 'avx2:direct-small');
  if (set === 'avx512-vnni') t.equal(first.kernel, 'avx512-vnni:im2col+gemm-u8s8-512');
  t.ok(of('RESHAPE').every((k) => k === 'reference'), 'ops without an optimized form run the reference');
});

// MobileNetV1 (alpha 0.25, 96x96): MACs = output elements x taps per output, layer by layer.
// conv: OH*OW*Cout*KH*KW*Cin; depthwise: OH*OW*C*KH*KW; fully connected / 1x1 head: Cin*Cout.
const mobilenetBody =
  /* dw 3x3 s1 48x48x8  */ 48 * 48 * 8 * 9 + /* pw 8->16 */ 48 * 48 * 16 * 8 +
  /* dw s2 -> 24x24x16  */ 24 * 24 * 16 * 9 + /* pw 16->32 */ 24 * 24 * 32 * 16 +
  /* dw s1 24x24x32     */ 24 * 24 * 32 * 9 + /* pw 32->32 */ 24 * 24 * 32 * 32 +
  /* dw s2 -> 12x12x32  */ 12 * 12 * 32 * 9 + /* pw 32->64 */ 12 * 12 * 64 * 32 +
  /* dw s1 12x12x64     */ 12 * 12 * 64 * 9 + /* pw 64->64 */ 12 * 12 * 64 * 64 +
  /* dw s2 -> 6x6x64    */ 6 * 6 * 64 * 9 + /* pw 64->128 */ 6 * 6 * 128 * 64 +
  /* 5 x (dw 6x6x128 + pw 128->128) */ 5 * (6 * 6 * 128 * 9 + 6 * 6 * 128 * 128) +
  /* dw s2 -> 3x3x128   */ 3 * 3 * 128 * 9 + /* pw 128->256 */ 3 * 3 * 256 * 128 +
  /* dw s1 3x3x256      */ 3 * 3 * 256 * 9 + /* pw 256->256 */ 3 * 3 * 256 * 256;

const handMacs: Record<string, number> = {
  // first layer: 3x3 s2 conv 3->8 on 96x96x3; head: FC 256->2
  mlperf_tiny_vww: 48 * 48 * 8 * 3 * 3 * 3 + mobilenetBody + 256 * 2,
  // first layer: 3x3 s2 depthwise, multiplier 8 on 96x96x1; head: 1x1 conv 256->2
  tflm_person_detect: 48 * 48 * 8 * 9 + mobilenetBody + 256 * 2,
};

for (const [name, macs] of Object.entries(handMacs)) {
  t.test(`${name} MACs equal the hand computation`, async (t) => {
    const r = cleave(['inspect', '--json', byName(name).file]);
    t.equal(JSON.parse(r.stdout).totals.macs, macs);
  });
}

t.test('a truncated model exits 1 with a message naming the byte offset', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-'));
  const file = path.join(dir, 'cut.tflite');
  fs.writeFileSync(file, fs.readFileSync(byName('mlperf_tiny_kws').file).subarray(0, 4000));
  const r = cleave(['inspect', file]);
  t.equal(r.signal, null);
  t.equal(r.status, 1);
  t.match(r.stderr, new RegExp(`^cleave: ${file.replace(/[.]/g, '\\.')}: .*byte offset \\d+`));
  t.notMatch(r.stderr, /internal error|at .*\.js:/);
});

t.test('a missing model and a missing argument', async (t) => {
  const r = cleave(['inspect', '/no/such/model.tflite']);
  t.equal(r.status, 1);
  t.match(r.stderr, /\/no\/such\/model\.tflite: cannot read model: no such file/);
  const u = cleave(['inspect']);
  t.not(u.status, 0);
  t.match(u.stderr, /missing required argument 'model'/);
});

t.test('inspect reads a .cprog: header, sections, inputs, outputs, ops with kernels, and what only the .tflite has', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-inspect-cprog-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const kws = shippedModels().find((m) => m.name === 'mlperf_tiny_kws')!;
  const program = path.join(dir, 'kws.cprog');
  t.equal(cleave(['compile', kws.file, '-o', program]).status, 0);
  const r = cleave(['inspect', '--json', program]);
  t.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const model = JSON.parse(cleave(['inspect', '--json', kws.file]).stdout);
  t.equal(j.format, 'cleave-program');
  t.equal(j.version, 2);
  t.equal(j.bytes, fs.statSync(program).size);
  t.equal(j.arenaBytes, model.arena.bytes);
  t.same(j.ops.map((o: { op: string }) => o.op), model.ops.map((o: { op: string }) => o.op), 'the same ops in the same order');
  t.same(j.inputs.map((i: { index: number; shape: number[] }) => [i.index, i.shape]), model.inputs.map((i: { index: number; shape: number[] }) => [i.index, i.shape]));
  t.match(j.notInProgram, ['op versions and options', 'MACs and weight bytes per op', 'valid cuts']);
  const text = cleave(['inspect', program]);
  t.match(text.stdout, /kws\.cprog: cleave Program \(format 2\), [\d,]+ bytes, 13 ops/);
  t.match(text.stdout, /not kept in a Program: .*: see the \.tflite it was compiled from/);
});
