// Per-call overhead seen from JS, both runtimes in one process: cleave's `await run()` (as users get
// it, and forced onto the session's worker thread) and `runSync()` on hello_world (a 3-op model whose
// inference takes a few µs), against onnxruntime-node's `await run()` on a one-byte Identity model.
// Rounds alternate between the calls so a machine that gets busier affects all of them alike.
import { Model } from '../src/session';
import { ortOverhead, type OrtModule } from './ort';
import { quantile, timeAsync, timeSync, round, type Budget } from './timing';

export interface CallOverhead {
  model: string;
  /** `await session.run()` with default options (short runs execute on the calling thread), µs. */
  runUs: number;
  /** `await session.run()` with every run handed to the session's worker thread, µs. */
  runOnWorkerUs: number;
  /** `session.runSync()`, µs. */
  runSyncUs: number;
  /** onnxruntime-node's `await session.run()` on a one-byte Identity model, µs; null without ORT. */
  ortRunUs: number | null;
  /** runUs / ortRunUs and runOnWorkerUs / ortRunUs (issue 9's target: at most 0.75). */
  runToOrt: number | null;
  runOnWorkerToOrt: number | null;
}

const ROUNDS = 3;

/** Best (lowest) per-round median of each call; hello_world's Program bytes come from the caller. */
export async function measureCallOverhead(program: Uint8Array, ort: OrtModule | null, budget: Budget): Promise<CallOverhead> {
  const model = Model.fromBytes(program, 'tflm_hello_world', { threads: 1 });
  const onWorker = Model.fromBytes(program, 'tflm_hello_world', { threads: 1, inlineRunMicros: 0 });
  const session = model.createSession();
  const workerSession = onWorker.createSession();
  const x = Int8Array.of(64);
  const best = { run: Infinity, worker: Infinity, sync: Infinity, ort: Infinity };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      best.run = Math.min(best.run, quantile((await timeAsync(() => session.run(x), budget)).wall, 0.5));
      best.worker = Math.min(best.worker, quantile((await timeAsync(() => workerSession.run(x), budget)).wall, 0.5));
      best.sync = Math.min(best.sync, quantile(timeSync(() => session.runSync(x).micros, budget).wall, 0.5));
      if (ort) best.ort = Math.min(best.ort, await ortOverhead(ort, budget));
    }
  } finally {
    session.dispose();
    workerSession.dispose();
  }
  const ortRunUs = ort ? round(best.ort) : null;
  return {
    model: 'tflm_hello_world',
    runUs: round(best.run),
    runOnWorkerUs: round(best.worker),
    runSyncUs: round(best.sync),
    ortRunUs,
    runToOrt: ortRunUs ? round(best.run / ortRunUs, 3) : null,
    runOnWorkerToOrt: ortRunUs ? round(best.worker / ortRunUs, 3) : null,
  };
}
