// Offline arena planner: places every activation, variable and scratch buffer at an offset in one
// arena so that buffers whose lifetimes overlap never share bytes. Greedy by size (largest first, each
// at the lowest offset that fits), as TFLite Micro's GreedyMemoryPlanner does.

export interface BufferRequest {
  id: number;
  bytes: number;
  /** First and last op index (inclusive) during which the buffer holds a value. */
  first: number;
  last: number;
}

export interface ArenaPlan {
  offsets: Map<number, number>;
  arenaBytes: number;
  /** Largest sum of simultaneously live bytes: no plan can use less. */
  lowerBound: number;
}

export const ARENA_ALIGNMENT = 16;

const align = (n: number) => Math.ceil(n / ARENA_ALIGNMENT) * ARENA_ALIGNMENT;

type Order = (a: BufferRequest, b: BufferRequest) => number;

/**
 * First-fit placement is sensitive to the order buffers are placed in, and no single order wins on
 * every graph, so several classic orders are tried and the smallest arena is kept.
 */
const ORDERS: Order[] = [
  (a, b) => b.bytes - a.bytes || a.first - b.first || a.id - b.id,
  (a, b) => a.first - b.first || b.bytes - a.bytes || a.id - b.id,
  (a, b) => (b.last - b.first) - (a.last - a.first) || b.bytes - a.bytes || a.id - b.id,
  (a, b) => b.bytes * (b.last - b.first + 1) - a.bytes * (a.last - a.first + 1) || a.id - b.id,
];

export function planArena(requests: readonly BufferRequest[]): ArenaPlan {
  let best: { offsets: Map<number, number>; arenaBytes: number } | null = null;
  for (const order of ORDERS) {
    const plan = firstFit([...requests].sort(order));
    if (!best || plan.arenaBytes < best.arenaBytes) best = plan;
  }
  return { ...best!, lowerBound: liveLowerBound(requests) };
}

function firstFit(order: readonly BufferRequest[]): { offsets: Map<number, number>; arenaBytes: number } {
  const placed: { offset: number; end: number; r: BufferRequest }[] = [];
  const offsets = new Map<number, number>();
  let arenaBytes = 0;
  for (const r of order) {
    const conflicts = placed
      .filter((p) => p.r.first <= r.last && r.first <= p.r.last)
      .sort((a, b) => a.offset - b.offset);
    let offset = 0;
    for (const c of conflicts) {
      if (offset + r.bytes <= c.offset) break;
      offset = Math.max(offset, align(c.end));
    }
    placed.push({ offset, end: offset + r.bytes, r });
    offsets.set(r.id, offset);
    arenaBytes = Math.max(arenaBytes, align(offset + r.bytes));
  }
  return { offsets, arenaBytes };
}

export function liveLowerBound(requests: readonly BufferRequest[]): number {
  const lastOp = requests.reduce((m, r) => Math.max(m, r.last), 0);
  let best = 0;
  for (let k = 0; k <= lastOp; k++) {
    let sum = 0;
    for (const r of requests) if (r.first <= k && k <= r.last) sum += r.bytes;
    best = Math.max(best, sum);
  }
  return best;
}
