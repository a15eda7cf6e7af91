// What handing an op's tasks to the thread pool costs (native/bench/pool_handoff.cc, the runtime's
// pool code on a 2-thread pool of its own): an empty parallel-for; two tasks of 5 µs each, whose time
// beyond 5 µs is the hand-off when the worker takes its task (reported with the share of tasks the
// worker ran: on a loaded machine the caller often runs both); and the same after 2 ms idle, when the
// worker has parked and each call pays its wake-up. Minimum and median of the calls, µs.
import type { BenchBinding } from './native';
import { percentile } from '../src/stats';
import { round } from './timing';

export interface HandoffCase {
  /** Calls measured. */
  calls: number;
  minUs: number;
  medianUs: number;
  /** Share of the tasks the worker ran (the caller ran the rest). */
  workerShare: number;
}

export interface ThreadHandoff {
  threads: number;
  taskUs: number;
  /** Back to back, empty tasks. */
  empty: HandoffCase;
  /** Back to back, two tasks of taskUs: ideal taskUs when both threads work. */
  split: HandoffCase;
  /** After 2 ms idle (worker parked), two tasks of taskUs. */
  parked: HandoffCase;
  /** split.medianUs - taskUs: the median hand-off of a split op. */
  splitOverheadMedianUs: number;
}

const TASK_US = 5;
const IDLE_US = 2000;

function measure(binding: BenchBinding, calls: number, idleUs: number, taskUs: number): HandoffCase {
  const r = binding.measurePoolHandoff(2, calls, idleUs, taskUs);
  const sorted = [...r.micros].sort((a, b) => a - b);
  return { calls, minUs: round(sorted[0]!, 3), medianUs: round(percentile(sorted, 0.5), 3), workerShare: round(r.tasksOnWorkers / r.tasks, 3) };
}

export function measureThreadHandoff(binding: BenchBinding, quick: boolean): ThreadHandoff {
  const empty = measure(binding, quick ? 2000 : 20000, 0, 0);
  const split = measure(binding, quick ? 1000 : 10000, 0, TASK_US);
  const parked = measure(binding, quick ? 50 : 500, IDLE_US, TASK_US);
  return { threads: 2, taskUs: TASK_US, empty, split, parked, splitOverheadMedianUs: round(split.medianUs - TASK_US, 3) };
}

export function describeThreadHandoff(h: ThreadHandoff): string[] {
  const line = (name: string, c: HandoffCase) =>
    `${name.padEnd(44)} min ${c.minUs.toFixed(2).padStart(7)} µs  median ${c.medianUs.toFixed(2).padStart(7)} µs  worker ran ${(c.workerShare * 100).toFixed(0)}% of tasks`;
  return [
    line('empty parallel-for, back to back', h.empty),
    line(`2 tasks of ${h.taskUs} µs, back to back (ideal ${h.taskUs} µs)`, h.split),
    line(`2 tasks of ${h.taskUs} µs after ${IDLE_US / 1000} ms idle (worker parked)`, h.parked),
  ];
}
