// A session's calls take effect in the order they were made, inputs are taken when run() is called,
// and recurrent state moves in and out through the same order.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import t from 'tap';
import { Model, Session, type TensorData } from '../../src/session';
import { compileGraph, readProgramLayout, signProgram } from '../../src/compile/program';
import { readModelFile } from '../../src/model/reader';
import { shippedModels } from '../lib/models';

const models = shippedModels();
const file = (name: string) => models.find((m) => m.name === name)!.file;
const bytesOf = (o: TensorData[]) => Buffer.from(o[0]!.buffer, o[0]!.byteOffset, o[0]!.byteLength).toString('hex');
// keyword_scrambled: an SVDF model whose memory changes what the same input produces next.
const stateful = () => Model.fromBytes(compileGraph(readModelFile(file('tflm_keyword_scrambled'))).bytes, 'keyword_scrambled');
const speech = () => new Int16Array(96).map((_, i) => (i * 523) % 4000 - 2000);

t.test('run(x); resetState(); run(x): the reset lands between the runs, not before the first', async (t) => {
  const program = compileGraph(readModelFile(file('tflm_keyword_scrambled'))).bytes;
  const x = speech();
  // t4 is the SVDF memory; a dump holds it as it is after the run.
  const memory = (d: { dumps?: Map<number, Uint8Array> }) => Buffer.from(d.dumps!.get(4)!).toString('hex');
  const reference = Session.fromBytes(program, 'ks');
  const fresh = memory(reference.runSync(x, { dump: true }));
  const second = memory(reference.runSync(x, { dump: true }));
  t.not(second, fresh, 'precondition: the memory advances, so a misplaced reset shows');
  for (const inlineRunMicros of [0, 1e6]) {
    const s = Session.fromBytes(program, 'ks', { inlineRunMicros });
    s.runSync(x); // the session now knows its runs are short (with 0, it never runs them inline)
    await s.resetState();
    const a = s.runDetailed(x, { dump: true });
    const b = s.runDetailed(x, { dump: true });
    const reset = s.resetState();
    const c = s.runDetailed(x, { dump: true });
    t.same([memory(await a), memory(await b), memory(await c)], [fresh, second, fresh], `inlineRunMicros ${inlineRunMicros}`);
    await reset;
    s.dispose();
  }
  reference.dispose();
});

t.test('resetState() during a run queues behind it instead of throwing', async (t) => {
  const s = Session.fromBytes(compileGraph(readModelFile(file('mlperf_tiny_vww'))).bytes, 'vww', { kernels: 'reference', threads: 1 });
  const run = s.run(new Int8Array(96 * 96 * 3));
  await new Promise((r) => setTimeout(r, 5)); // the run is executing on the worker thread now
  const reset = s.resetState(); // before: a plain Error "session is busy", with no code
  t.equal((await run)[0]!.length, 2);
  await reset;
  s.dispose();
});

t.test('runSync while calls are queued throws BUSY; once they settle it runs', async (t) => {
  const s = Session.fromBytes(compileGraph(readModelFile(file('tflm_hello_world'))).bytes, 'hello');
  const x = Int8Array.of(10);
  const pending = s.run(x);
  t.throws(() => s.runSync(x), { name: 'CleaveError', code: 'BUSY', message: /hello: runSync\(\) while 1 queued call\(s\) have not finished/ });
  const expected = bytesOf(await pending);
  t.equal(bytesOf(s.runSync(x).outputs), expected);
  s.dispose();
});

t.test('run() takes its inputs when called: refilling the array afterwards changes nothing', async (t) => {
  for (const inlineRunMicros of [0, 1e6]) {
    const s = Session.fromBytes(compileGraph(readModelFile(file('tflm_hello_world'))).bytes, 'hello', { inlineRunMicros });
    const want = [-100, 0, 50, 100].map((v) => bytesOf(s.runSync(Int8Array.of(v)).outputs));
    const x = new Int8Array(1);
    const got: Promise<TensorData[]>[] = [];
    for (const v of [-100, 0, 50, 100]) {
      x[0] = v;
      got.push(s.run(x));
    }
    x[0] = 127;
    t.same((await Promise.all(got)).map(bytesOf), want, `inlineRunMicros ${inlineRunMicros}`);
    s.dispose();
  }
});

t.test('state out and in: a second session continues where the first left off', async (t) => {
  const model = stateful();
  const x = speech();
  const a = model.createSession();
  t.equal(a.stateBytes, 10240);
  const zero = await a.exportState();
  t.equal(zero.length, 10240);
  t.ok(zero.every((v) => v === 0), 'a fresh session has zero state');
  a.run(x);
  const afterOne = a.exportState(); // ordered: the state after the run above
  const next = bytesOf(await a.run(x));
  const b = model.createSession();
  await b.importState(await afterOne);
  t.equal(bytesOf(await b.run(x)), next, 'imported state gives the run the first session made from it');
  t.same(Buffer.from(await b.exportState()), Buffer.from(await a.exportState()));
  await t.rejects(b.importState(new Uint8Array(10)), { name: 'CleaveError', code: 'BAD_INPUT', message: /keyword_scrambled: state has 10 bytes, this model's recurrent state is 10240/ });
  a.dispose();
  b.dispose();
});

t.test('native errors arrive as CleaveError with the native code', async (t) => {
  const good = compileGraph(readModelFile(file('mlperf_tiny_kws'))).bytes;
  const moved = good.slice();
  const { sections, tensorCount, arenaBytes } = readProgramLayout(moved, 'kws');
  const activation = Array.from({ length: tensorCount }, (_, i) => sections.tensors.offset + 48 * i).find((at) => moved[at + 2] === 0)!;
  new DataView(moved.buffer).setUint32(activation + 20, arenaBytes, true);
  signProgram(moved);
  t.throws(() => Session.fromBytes(moved, 'moved.cprog'), { name: 'CleaveError', code: 'PROGRAM_INVALID', message: /moved\.cprog: invalid Program: tensor \d+/ });
  const absent = process.arch === 'x64' ? 'neon' : 'avx2';
  t.throws(() => Session.fromBytes(good, 'kws', { kernels: absent }), { name: 'CleaveError', code: 'BAD_ARGUMENT', message: new RegExp(`^kernel set "${absent}" is not available on this CPU \\((?:x64|arm64)\\); available here: auto, reference`) });
});

t.test('an arena size of 0xFFFFFFFF does not wrap to a tiny buffer', async (t) => {
  const good = compileGraph(readModelFile(file('mlperf_tiny_kws'))).bytes;
  const input = new Int8Array(490).map((_, i) => (i * 7) % 200 - 100);
  const want = bytesOf(Session.fromBytes(good, 'kws').runSync(input).outputs);
  const child = spawnSync(process.execPath, [...process.execArgv, path.join(__dirname, 'fixtures', 'huge-arena.ts'), Buffer.from(good).toString('base64')], { encoding: 'utf8' });
  t.equal(child.signal, null, `no crash (stderr: ${child.stderr.slice(0, 500)})`);
  t.equal(child.status, 0);
  // Refusing it at load is as good as running it right: tensors inside the arena, same bytes.
  t.match(child.stdout.trim(), new RegExp(`^(refused (PROGRAM_INVALID|OUT_OF_MEMORY)|ran ${want})$`));
});

t.test('short runs on the calling thread still settle from the event loop: a run loop lets timers in', async (t) => {
  const s = Session.fromBytes(compileGraph(readModelFile(file('tflm_hello_world'))).bytes, 'hello');
  const x = Int8Array.of(1);
  s.runSync(x); // known short: later runs execute inline
  let ticks = 0;
  const timer = setInterval(() => { ticks++; }, 1);
  // An immediate that re-arms itself counts the turns of the event loop, whatever the clock says.
  let turns = 0;
  let counting = true;
  const turn = () => {
    turns++;
    if (counting) setImmediate(turn);
  };
  setImmediate(turn);
  let settledSynchronously = false;
  let runs = 0;
  // Runs back to back until ten ticks have fired: how long that takes is the machine's business
  // (a loaded one fires timers late), so the loop is bounded by a generous ten seconds only.
  const until = performance.now() + 10_000;
  while (ticks < 10 && performance.now() < until) {
    let settled = false;
    const p = s.run(x).then(() => { settled = true; });
    settledSynchronously ||= settled;
    await p;
    runs++;
  }
  counting = false;
  clearInterval(timer);
  t.notOk(settledSynchronously, 'no promise settles before run() returns');
  t.ok(ticks >= 10, `${ticks} timer ticks during ${runs} back-to-back runs`);
  // Each settlement takes a turn of its own (a dispatcher that settles up to 1000 per turn shows
  // one turn per thousand runs, on any machine).
  t.ok(turns >= runs / 4, `${turns} turns of the event loop in ${runs} runs`);
  s.dispose();
});
