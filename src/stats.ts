// Latency statistics shared by `cleave run`, remote pipeline runs and the benchmarks.

/** The value at fraction `p` (0..1) of ascending `sorted` (non-empty), rounding the index down. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!;
}
