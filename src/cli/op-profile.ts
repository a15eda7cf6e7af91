// `cleave run --profile`: the per-op table of TFLite's benchmark_model (op, kernel, time, share),
// with each op's MACs and the rate it ran at. Times are each op's mean over the profiled runs, so
// their sum is the mean interpreter time less what runs between ops.
import type { OpProfile } from '../session';
import { formatTable } from './table';

export interface OpProfileRow {
  op: number;
  name: string;
  kernel: string;
  meanUs: number;
  /** Share of the mean run time, 0..1. */
  share: number;
  /** Null where the MACs are unknown (a Program, which keeps no op shapes to count them from). */
  macs: number | null;
  gmacPerSecond: number | null;
}

/** One row per op from `runs` profiled runs (non-empty, all of one model), in execution order. */
export function opProfileRows(runs: readonly OpProfile[][], meanRunUs: number, macs: readonly number[] | null): OpProfileRow[] {
  return runs[0]!.map((first, k) => {
    const meanUs = runs.reduce((s, r) => s + r[k]!.micros, 0) / runs.length;
    const opMacs = macs?.[first.op] ?? null;
    return {
      op: first.op,
      name: first.name,
      kernel: first.kernel,
      meanUs,
      share: meanRunUs > 0 ? meanUs / meanRunUs : 0,
      macs: opMacs,
      gmacPerSecond: opMacs === null || meanUs <= 0 ? null : opMacs / meanUs / 1e3,
    };
  });
}

export function formatOpProfile(rows: readonly OpProfileRow[], meanRunUs: number): string {
  const table = formatTable(
    ['#', 'op', 'kernel', 'time µs', 'share', 'MACs', 'GMAC/s'],
    rows.map((r) => [r.op, r.name, r.kernel, r.meanUs.toFixed(1), `${(100 * r.share).toFixed(1)}%`, r.macs ?? '-', r.gmacPerSecond === null ? '-' : r.gmacPerSecond.toFixed(2)]),
  );
  const opsUs = rows.reduce((s, r) => s + r.meanUs, 0);
  return `${table}\nops total ${opsUs.toFixed(1)} µs of ${meanRunUs.toFixed(1)} µs per run (${(100 * opsUs / Math.max(meanRunUs, 1e-9)).toFixed(1)}%; the rest is between ops)`;
}
