// Latency statistics shared by `cleave run`, remote pipeline runs and the benchmarks.

/** The value at fraction `p` (0..1) of ascending `sorted` (non-empty), rounding the index down. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!;
}

export interface LatencySummary {
  count: number;
  mean: number;
  /** Sample standard deviation (n - 1); 0 for one sample. */
  stddev: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
}

/** The figures TFLite's benchmark_model reports for `samples` (non-empty), in their unit. */
export function latencySummary(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  const variance = sorted.length > 1 ? sorted.reduce((s, v) => s + (v - mean) ** 2, 0) / (sorted.length - 1) : 0;
  return {
    count: sorted.length, mean, stddev: Math.sqrt(variance), min: sorted[0]!, max: sorted[sorted.length - 1]!,
    p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99),
  };
}
