import t from 'tap';
import { Session, load } from '../../src/session';
import { compileGraph } from '../../src/compile/program';
import { readModelFile } from '../../src/model/reader';
import { shippedModels } from '../lib/models';
import { convGraph } from '../lib/synthetic';

const models = shippedModels();
const byName = (n: string) => models.find((m) => m.name === n)!;

t.test('every shipped model compiles with an arena at most 10% above the live lower bound', async (t) => {
  for (const m of models) {
    const { arenaBytes, arenaLowerBound } = compileGraph(readModelFile(m.file));
    t.ok(arenaBytes >= arenaLowerBound, `${m.name}: arena ${arenaBytes} >= lower bound ${arenaLowerBound}`);
    t.ok(arenaBytes <= 1.1 * arenaLowerBound, `${m.name}: arena ${arenaBytes} <= 1.1 x ${arenaLowerBound}`);
  }
});

t.test('session describes inputs and outputs', async (t) => {
  const s = await load(byName('mlperf_tiny_kws').file);
  t.same(s.inputs.map((i) => ({ shape: i.shape, dtype: i.dtype, zp: i.zeroPoint })), [{ shape: [1, 49, 10, 1], dtype: 'int8', zp: 83 }]);
  t.equal(s.inputs[0]!.scale, Math.fround(0.5847029089927673));
  t.equal(s.outputs[0]!.shape.join('x'), '1x12');
  t.ok(s.arenaBytes > 0);
  s.dispose();
});

t.test('extra models run deterministically; SVDF state persists until reset', async (t) => {
  for (const name of ['mlperf_tiny_sww', 'tflm_micro_speech', 'tflm_keyword_scrambled']) {
    const s = await load(byName(name).file);
    const input = new Uint8Array(s.inputs[0]!.byteLength).map((_, i) => (i * 37 + 11) & 255);
    const a = Buffer.from((await s.run(input))[0]!.buffer);
    s.resetState();
    const b = Buffer.from((await s.run(input))[0]!.buffer);
    t.same(a, b, `${name}: same input from the same state gives the same output`);
    s.dispose();
  }
  // keyword_scrambled's SVDF memory changes what a second identical input produces.
  const s = await load(byName('tflm_keyword_scrambled').file);
  const input = new Int16Array(96).map((_, i) => (i * 523) % 4000 - 2000);
  const dumps1 = (await s.runDetailed(input, { dump: true })).dumps!;
  const dumps2 = (await s.runDetailed(input, { dump: true })).dumps!;
  t.notSame(Buffer.from(dumps1.get(4)!), Buffer.from(dumps2.get(4)!), 'state tensor t4 advanced between runs');
  s.dispose();
});

t.test('wrong input size or dtype names expected and actual', async (t) => {
  const s = await load(byName('mlperf_tiny_kws').file);
  t.throws(() => s.runSync(new Int8Array(10)), { code: 'BAD_INPUT', message: /input 0 \(".*"\) expects int8 \[1,49,10,1\] = 490 bytes, got 10 bytes/ });
  await t.rejects(s.run(new Int16Array(245)), { code: 'BAD_INPUT', message: /expects int8 \[1,49,10,1\], got Int16Array/ });
  t.throws(() => s.runSync([new Int8Array(490), new Int8Array(490)]), { message: /expected 1 input\(s\), got 2/ });
  t.same(s.runSync(new Int8Array(490)).outputs.length, 1, 'still usable after bad calls');
  s.dispose();
  t.throws(() => s.runSync(new Int8Array(490)), { code: 'DISPOSED', message: /session is disposed/ });
  t.throws(() => s.arenaBytes, { code: 'DISPOSED' });
});

t.test('unsupported op is refused at load with op name and index', async (t) => {
  const g = convGraph({ height: 4, width: 4, inChannels: 2, outChannels: 2, kernel: 1 });
  g.ops[0]!.opcode = 'TANH';
  t.throws(() => compileGraph(g), { code: 'UNSUPPORTED_OP', message: /op 0 \(TANH\): op TANH is not supported/ });
});

t.test('missing files', async (t) => {
  await t.rejects(load('/no/such/model.tflite'), { code: 'FILE_NOT_FOUND', message: /\/no\/such\/model\.tflite: cannot read model: no such file/ });
});

t.test('Node timers keep firing while a long run is in progress', async (t) => {
  // ~0.46 GMAC through the scalar reference: hundreds of milliseconds on these machines.
  const s = Session.fromBytes(compileGraph(convGraph({ height: 56, width: 56, inChannels: 128, outChannels: 128, kernel: 3 })).bytes, 'conv', { kernels: 'reference' });
  const input = new Int8Array(56 * 56 * 128).map((_, i) => (i * 31) % 255 - 127);
  let ticks = 0;
  const timer = setInterval(() => { ticks++; }, 2);
  const started = Date.now();
  await s.run(input);
  const asyncMs = Date.now() - started;
  const asyncTicks = ticks;
  // The synchronous variant blocks the loop for the same work: no tick can happen inside it.
  ticks = 0;
  s.runSync(input);
  const syncTicks = ticks;
  clearInterval(timer);
  t.ok(asyncMs > 50, `the run took ${asyncMs} ms, long enough to observe`);
  t.ok(asyncTicks >= 5, `${asyncTicks} timer ticks fired during the asynchronous run`);
  t.equal(syncTicks, 0, 'runSync blocks, so the measurement can tell the difference');
  s.dispose();
});

t.test('runs queue: concurrent calls all complete, in order', async (t) => {
  const s = await load(byName('tflm_hello_world').file);
  const inputs = [-100, 0, 50, 100].map((v) => Int8Array.of(v));
  const serial = inputs.map((x) => Array.from(s.runSync(x).outputs[0] as Int8Array));
  const concurrent = await Promise.all(inputs.map((x) => s.run(x)));
  t.same(concurrent.map((o) => Array.from(o[0] as Int8Array)), serial);
  s.dispose();
});

t.test('bad input never crashes: a disposed-during-run session still resolves', async (t) => {
  const s = await load(byName('mlperf_tiny_vww').file);
  const p = s.run(new Int8Array(96 * 96 * 3));
  s.dispose();
  const [out] = await p;
  t.equal(out!.length, 2);
});

