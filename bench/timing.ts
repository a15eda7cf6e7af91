// Timing loops of the benchmark: warm-up, then samples until a budget of iterations and time is met.

/** How long one configuration is timed: warm-up first, then at least minIters and minMs. */
export interface Budget {
  warmupIters: number;
  warmupMs: number;
  minIters: number;
  minMs: number;
  maxIters: number;
}

export interface Samples {
  /** Interpreter time per run (µs), as the native session reports it; empty for ORT. */
  interp: number[];
  /** Wall time of the whole JS call per run (µs). */
  wall: number[];
}

export const nowNs = (): bigint => process.hrtime.bigint();
export const msSince = (t: bigint): number => Number(nowNs() - t) / 1e6;

export function timeSync(run: () => number, b: Budget): Samples {
  const w = nowNs();
  for (let k = 0; k < b.warmupIters || msSince(w) < b.warmupMs; k++) run();
  const s: Samples = { interp: [], wall: [] };
  const t0 = nowNs();
  while (s.wall.length < b.maxIters && (s.wall.length < b.minIters || msSince(t0) < b.minMs)) {
    const a = nowNs();
    const micros = run();
    s.wall.push(Number(nowNs() - a) / 1e3);
    s.interp.push(micros);
  }
  return s;
}

/** As timeSync for an async call; `interp` holds what `run` resolves to where that is a number (a cleave run's micros). */
export async function timeAsync(run: () => Promise<unknown>, b: Budget): Promise<Samples> {
  const w = nowNs();
  for (let k = 0; k < b.warmupIters || msSince(w) < b.warmupMs; k++) await run();
  const s: Samples = { interp: [], wall: [] };
  const t0 = nowNs();
  while (s.wall.length < b.maxIters && (s.wall.length < b.minIters || msSince(t0) < b.minMs)) {
    const a = nowNs();
    const result = await run();
    s.wall.push(Number(nowNs() - a) / 1e3);
    if (typeof result === 'number') s.interp.push(result);
  }
  return s;
}

/** The q-quantile by the nearest-rank method (q = 0.5: median, 0.9: p90). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export const round = (v: number, digits = 2): number => (Number.isFinite(v) ? Number(v.toFixed(digits)) : v);
