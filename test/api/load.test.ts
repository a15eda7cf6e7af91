// load() is as wide as `cleave run`: a path, a Buffer, a Uint8Array, an ArrayBuffer, a Program (path
// or bytes) or a plan.json, each giving a runner with the same `run` surface. Misuse gives a typed
// CleaveError naming what is wrong, never a raw TypeError.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as cleave from '../../src/index';
import { cleave as cli } from '../lib/cli';
import { shippedModels } from '../lib/models';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-api-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const kws = shippedModels().find((m) => m.name === 'mlperf_tiny_kws')!;
const caseDir = path.join(kws.dir, 'real_kws_input0');
const input = new Uint8Array(fs.readFileSync(path.join(caseDir, 't0.bin')));
const golden = new Uint8Array(fs.readFileSync(path.join(caseDir, 't34.bin')));

async function outputOf(runner: { run(i: cleave.TensorData[]): Promise<cleave.TensorData[]>; dispose(): void }): Promise<Uint8Array> {
  const [out] = await runner.run([input]);
  runner.dispose();
  return new Uint8Array(out!.buffer, out!.byteOffset, out!.byteLength);
}

t.test('every source form gives the golden output', async (t) => {
  const bytes = fs.readFileSync(kws.file);
  const program = path.join(tmp, 'kws.cprog');
  t.equal(cli(['compile', kws.file, '-o', program]).status, 0);
  const plan = path.join(tmp, 'plan');
  t.equal(cli(['split', kws.file, '--at', '5', '-o', plan]).status, 0);
  const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const sources: [string, cleave.ModelSource][] = [
    ['a path', kws.file],
    ['a Buffer', bytes],
    ['a Uint8Array', new Uint8Array(bytes)],
    ['an ArrayBuffer', arrayBuffer],
    ['a Program path', program],
    ['Program bytes', fs.readFileSync(program)],
  ];
  for (const [what, source] of sources) t.same(await outputOf(await cleave.load(source)), golden, what);
  const runner = await cleave.load(path.join(plan, 'plan.json') as `${string}.json`);
  t.type(runner, cleave.PlanRunner, 'a plan.json gives a PlanRunner');
  t.same(runner.inputs.map((s) => s.shape), [[1, 49, 10, 1]]);
  t.same(await outputOf(runner), golden, 'a plan.json');
});

t.test('misuse is a typed CleaveError naming what is wrong', async (t) => {
  const refuses = async (what: string, p: () => Promise<unknown>, code: string, message: RegExp) => {
    const err = await p().then(() => null, (e: unknown) => e);
    t.type(err, cleave.CleaveError, `${what}: a CleaveError`);
    t.equal((err as cleave.CleaveError).code, code, what);
    t.match((err as Error).message, message, what);
  };
  await refuses('an unknown option', () => cleave.load(kws.file, { thread: 2 } as never), 'BAD_ARGUMENT', /^load: unknown option "thread" \(valid: threads, kernels, inlineRunMicros\)$/);
  await refuses('options not an object', () => cleave.load(kws.file, 'fast' as never), 'BAD_ARGUMENT', /^load: options must be an object, got string$/);
  await refuses('a number', () => cleave.load(42 as never), 'BAD_ARGUMENT', /^load: source must be a path, a Buffer, a Uint8Array or an ArrayBuffer, got number$/);
  await refuses('null', () => cleave.load(null as never), 'BAD_ARGUMENT', /got null$/);
  await refuses('a plain object', () => cleave.load({ path: kws.file } as never), 'BAD_ARGUMENT', /got Object$/);
  await refuses('an Int8Array of a model', () => cleave.loadModel(new Int16Array(4) as never), 'BAD_ARGUMENT', /got Int16Array$/);
  await refuses('an empty path', () => cleave.load(''), 'BAD_ARGUMENT', /the path is empty/);
  await refuses('a missing file', () => cleave.load(path.join(tmp, 'none.tflite')), 'FILE_NOT_FOUND', /none\.tflite: cannot read model: no such file or directory$/);
  await refuses('an unknown kernel set', () => cleave.load(kws.file, { kernels: 'fastest' as never }), 'BAD_ARGUMENT', /kernel set "fastest" does not exist; valid: auto, reference/);
  const session = await cleave.load(kws.file);
  await refuses('run with a string', () => session.run('abc' as never), 'BAD_INPUT', /must be a typed array/);
  await refuses('run with nothing', () => session.run(undefined as never), 'BAD_INPUT', /must be a typed array/);
  session.dispose();
});

t.test('the package entry exports codecs, plans, boards, energy meters and real-unit helpers', async (t) => {
  for (const name of ['encode', 'decode', 'CODECS', 'writePlan', 'readPlan', 'PlanRunner', 'listCuts', 'loadBoardCatalog', 'findBoard', 'detectBoard',
    'detectCurrentBoard', 'openEnergyMeter', 'openPowerMeter', 'openBestEnergyMeter', 'surveyMeters', 'quantize', 'dequantize', 'parseNpy', 'formatNpy',
    'decodeImage', 'imageToTensor', 'KERNEL_SETS', 'availableKernelSets']) {
    t.ok((cleave as Record<string, unknown>)[name] !== undefined, name);
  }
  t.ok(cleave.loadBoardCatalog().length > 0, 'the packaged board catalog loads');
});

t.test('quantize rounds halves away from zero and clamps, as TFLite QUANTIZE', async (t) => {
  const spec = { index: 0, name: 'x', shape: [6], dtype: 'int8' as const, scale: 0.5, zeroPoint: -1, byteLength: 6 };
  t.same(Array.from(cleave.quantize([0.25, -0.25, 0.75, -0.75, 1000, -1000], spec, 'test')), [0, -2, 1, -3, 127, -128]);
  t.same(Array.from(cleave.dequantize(Int8Array.from([-1, 1]), spec)), [0, 1]);
});
