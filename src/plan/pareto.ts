// The Pareto filter the search runs on each state's candidates: of a set of objective vectors (all
// minimized), keep one per distinct vector that no other vector is no worse than in every
// objective. Vectors sit in one Float64Array, `stride` numbers each; only the first `dims` count.
//
// Sorted lexicographically, a vector can only be dominated (or equalled) by one before it, and a
// kept vector is never dominated later, so one pass suffices: keep a vector unless an earlier kept
// one is no worse in every objective. The first objective is implied by the order; the question
// "is there a kept vector no worse in the others" is an orthant-emptiness query, answered by a k-d
// tree over the kept vectors whose nodes carry their subtree's least value in each objective (a
// subtree none of whose least values exceeds the query's is the only kind worth entering). With
// six objectives the fronts run to thousands of plans, where a scan of every kept vector per
// candidate was what made long chains slow.

/** Compares two vectors lexicographically over the first `dims` objectives; equal ones by id. */
function lexCompare(values: Float64Array, stride: number, dims: number, a: number, b: number): number {
  const pa = a * stride, pb = b * stride;
  for (let k = 0; k < dims; k++) {
    const d = values[pa + k]! - values[pb + k]!;
    if (d !== 0) return d;
  }
  return a - b;
}

/**
 * The ids (indexes of vectors in `values`) of the Pareto set of `ids`, in lexicographic order of
 * their vectors; of equal vectors the lowest id is kept.
 */
export function paretoFilter(values: Float64Array, stride: number, dims: number, ids: number[]): number[] {
  if (ids.length <= 1) return ids.slice();
  const sorted = ids.slice().sort((a, b) => lexCompare(values, stride, dims, a, b));
  const tree = new DominanceTree(values, stride, dims, sorted.length);
  const kept: number[] = [];
  for (const id of sorted) {
    if (tree.anyNoWorse(id)) continue;
    tree.insert(id);
    kept.push(id);
  }
  return kept;
}

/** A k-d tree over objectives 1..dims-1 of the vectors inserted so far (objective 0 is the sort key). */
class DominanceTree {
  /** Each node's vector (objectives 1..dims-1), in node order: contiguous for the cache. */
  private readonly points: Float64Array;
  private readonly least: Float64Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly split: Int32Array;
  private readonly stack: Int32Array;
  private readonly k: number;
  private size = 0;
  private lastHit = -1;

  constructor(private readonly values: Float64Array, private readonly stride: number, dims: number, capacity: number) {
    this.k = dims - 1;
    this.points = new Float64Array(capacity * this.k);
    this.least = new Float64Array(capacity * this.k);
    this.left = new Int32Array(capacity).fill(-1);
    this.right = new Int32Array(capacity).fill(-1);
    this.split = new Int32Array(capacity);
    this.stack = new Int32Array(capacity);
  }

  /** Is some inserted vector no worse than vector `id` in objectives 1..dims-1? */
  anyNoWorse(id: number): boolean {
    if (this.size === 0) return false;
    const { values, least, points, k } = this;
    const q = id * this.stride + 1;
    // The node that answered last time first: a dominated candidate is usually dominated by it again.
    if (this.lastHit >= 0 && this.noWorse(this.lastHit, values, q)) return true;
    let top = 0;
    this.stack[top++] = 0;
    while (top > 0) {
      const node = this.stack[--top]!;
      let reachable = true;
      for (let j = 0; j < k; j++) {
        if (least[node * k + j]! > values[q + j]!) {
          reachable = false;
          break;
        }
      }
      if (!reachable) continue;
      if (this.noWorse(node, values, q)) {
        this.lastHit = node;
        return true;
      }
      const s = this.split[node]!;
      if (this.left[node]! >= 0) this.stack[top++] = this.left[node]!;
      // The right subtree holds values >= the node's in its split objective.
      if (this.right[node]! >= 0 && points[node * k + s]! <= values[q + s]!) this.stack[top++] = this.right[node]!;
    }
    return false;
  }

  private noWorse(node: number, values: Float64Array, q: number): boolean {
    const { points, k } = this;
    for (let j = 0; j < k; j++) if (points[node * k + j]! > values[q + j]!) return false;
    return true;
  }

  insert(id: number): void {
    const { values, least, points, k } = this;
    const node = this.size++;
    const q = id * this.stride + 1;
    for (let j = 0; j < k; j++) least[node * k + j] = points[node * k + j] = values[q + j]!;
    if (node === 0) return;
    let at = 0;
    for (;;) {
      for (let j = 0; j < k; j++) if (values[q + j]! < least[at * k + j]!) least[at * k + j] = values[q + j]!;
      const s = this.split[at]!;
      const goLeft = values[q + s]! < points[at * k + s]!;
      const next = goLeft ? this.left[at]! : this.right[at]!;
      if (next < 0) {
        (goLeft ? this.left : this.right)[at] = node;
        this.split[node] = (s + 1) % k;
        return;
      }
      at = next;
    }
  }
}
