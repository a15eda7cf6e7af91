// Energy per inference comes from one meter window around N runs, so the meter's fixed cost of
// starting and stopping is spread over N instead of added to every inference.
import t from 'tap';
import { findBoard, loadBoardCatalog } from '../../hal/boards/catalog';
import { EstimatedEnergyMeter } from '../../hal/energy/estimated';
import type { EnergyMeter } from '../../hal';
import { compileGraph } from '../../src/compile/program';
import { readModelFile } from '../../src/model/reader';
import { Session } from '../../src/session';
import { fixtureContext } from '../lib/board-fixtures';
import { shippedModels } from '../lib/models';

// The meter's own cost, made visible: every reading of its clock takes 50 ms (a /proc read, a
// serial round trip), while inferences take no time on this clock.
function slowClock(): () => number {
  let now = 0;
  return () => (now += 0.05);
}

t.test('measureEnergy meters one window around all the runs and divides', async (t) => {
  const powerModel = findBoard(loadBoardCatalog(), 'host-x86_64').power.model!;
  const meter = new EstimatedEnergyMeter(fixtureContext('host-x86_64'), powerModel, slowClock());
  let starts = 0;
  const counting: EnergyMeter = Object.assign(Object.create(meter) as EnergyMeter, {
    start: () => { starts++; return meter.start(); },
  });
  const s = Session.fromBytes(compileGraph(readModelFile(shippedModels().find((m) => m.name === 'tflm_hello_world')!.file)).bytes, 'hello');
  const runs = 100;
  const w = await s.measureEnergy(Int8Array.of(5), counting, runs);
  t.equal(starts, 1, 'one window');
  t.equal(w.runs, runs);
  t.equal(w.reading.seconds, 0.05, 'the window is the meter\'s one start-to-stop interval');
  t.equal(w.joulesPerInference, w.reading.joules / runs);
  // The meter's fixed cost per window (50 ms at idle power and above) is spread over the runs: a
  // window per run would charge each inference at least powerModel.idleWatts x 50 ms.
  const perRunWindow = powerModel.idleWatts * 0.05;
  t.ok(w.joulesPerInference <= perRunWindow / 50, `${(w.joulesPerInference * 1e3).toFixed(3)} mJ per inference, far below the ${(perRunWindow * 1e3).toFixed(0)} mJ a window per run would report`);
  s.dispose();
});

t.test('a failing run stops the meter and reports the run\'s error', async (t) => {
  const powerModel = findBoard(loadBoardCatalog(), 'host-x86_64').power.model!;
  const meter = new EstimatedEnergyMeter(fixtureContext('host-x86_64'), powerModel, slowClock());
  const s = Session.fromBytes(compileGraph(readModelFile(shippedModels().find((m) => m.name === 'tflm_hello_world')!.file)).bytes, 'hello');
  await t.rejects(s.measureEnergy(Int8Array.of(5), meter, 0), { code: 'BAD_ARGUMENT', message: /runs must be a positive integer, got 0/ });
  s.dispose();
  await t.rejects(s.measureEnergy(Int8Array.of(5), meter, 3), { code: 'DISPOSED' });
  await meter.start(); // the meter was left idle: it starts again
  await meter.stop();
});
