// The Pareto filter the search runs on each state's candidates: of a set of objective vectors (all
// minimized), keep one per distinct vector that no other vector is no worse than in every
// objective. Vectors sit in one Float64Array, `stride` numbers each; only the first `dims` count.
//
// Sorted lexicographically (in any order of the objectives), a vector can only be dominated (or
// equalled) by one before it, and a kept vector is never dominated later, so one pass suffices:
// keep a vector unless an earlier kept one is no worse in every objective. The leading objective
// is implied by the order; the question
// "is there a kept vector no worse in the others" is an orthant-emptiness query, answered by a k-d
// tree over the kept vectors whose nodes carry their subtree's least value in each objective (a
// subtree none of whose least values exceeds the query's is the only kind worth entering). With
// six objectives the fronts run to thousands of plans, where a scan of every kept vector per
// candidate was what made long chains slow.

/** Objective `first`, then the others in order: the order the filter sorts by. */
function objectiveOrder(dims: number, first: number): Int32Array {
  return Int32Array.from([first, ...Array.from({ length: dims }, (_, k) => k).filter((k) => k !== first)]);
}

/** Compares two vectors lexicographically in `order`; equal ones by id. */
function lexCompare(values: Float64Array, stride: number, order: Int32Array, a: number, b: number): number {
  const pa = a * stride, pb = b * stride;
  for (let j = 0; j < order.length; j++) {
    const d = values[pa + order[j]!]! - values[pb + order[j]!]!;
    if (d !== 0) return d;
  }
  return a - b;
}

/**
 * The ids (indexes of vectors in `values`) of the Pareto set of `ids`, in lexicographic order of
 * their vectors with objective `first` leading; of equal vectors the lowest id is kept. Every
 * `first` gives the same set; the search leads with the one that splits its candidates best.
 */
export function paretoFilter(values: Float64Array, stride: number, dims: number, ids: number[], first = 0): number[] {
  if (ids.length <= 1) return ids.slice();
  const order = objectiveOrder(dims, first);
  const sorted = ids.slice().sort((a, b) => lexCompare(values, stride, order, a, b));
  const tree = new DominanceTree(values, stride, order.subarray(1), sorted.length);
  const kept: number[] = [];
  for (const id of sorted) {
    if (tree.anyNoWorse(id)) continue;
    tree.insert(id);
    kept.push(id);
  }
  return kept;
}

/** A k-d tree over some objectives (`dims`: their offsets in a vector) of the vectors inserted so far. */
class DominanceTree {
  /** Each node's values of the tree's objectives, in node order: contiguous for the cache. */
  private readonly points: Float64Array;
  private readonly least: Float64Array;
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  /** Index into `dims` of each node's split objective. */
  private readonly split: Int32Array;
  private readonly stack: Int32Array;
  private readonly k: number;
  private size = 0;
  private lastHit = -1;

  constructor(private readonly values: Float64Array, private readonly stride: number, private readonly dims: Int32Array, capacity: number) {
    this.k = dims.length;
    this.points = new Float64Array(capacity * this.k);
    this.least = new Float64Array(capacity * this.k);
    this.left = new Int32Array(capacity).fill(-1);
    this.right = new Int32Array(capacity).fill(-1);
    this.split = new Int32Array(capacity);
    this.stack = new Int32Array(capacity);
  }

  /** Is some inserted vector no worse than vector `id` in the tree's objectives? */
  anyNoWorse(id: number): boolean {
    if (this.size === 0) return false;
    const { values, least, points, k, dims } = this;
    const q = id * this.stride;
    // The node that answered last time first: a dominated candidate is usually dominated by it again.
    if (this.lastHit >= 0 && this.noWorse(this.lastHit, q)) return true;
    let top = 0;
    this.stack[top++] = 0;
    while (top > 0) {
      const node = this.stack[--top]!;
      let reachable = true;
      for (let j = 0; j < k; j++) {
        if (least[node * k + j]! > values[q + dims[j]!]!) {
          reachable = false;
          break;
        }
      }
      if (!reachable) continue;
      if (this.noWorse(node, q)) {
        this.lastHit = node;
        return true;
      }
      const s = this.split[node]!;
      if (this.left[node]! >= 0) this.stack[top++] = this.left[node]!;
      // The right subtree holds values >= the node's in its split objective.
      if (this.right[node]! >= 0 && points[node * k + s]! <= values[q + dims[s]!]!) this.stack[top++] = this.right[node]!;
    }
    return false;
  }

  private noWorse(node: number, q: number): boolean {
    const { values, points, k, dims } = this;
    for (let j = 0; j < k; j++) if (points[node * k + j]! > values[q + dims[j]!]!) return false;
    return true;
  }

  insert(id: number): void {
    const { values, least, points, k, dims } = this;
    const node = this.size++;
    const q = id * this.stride;
    for (let j = 0; j < k; j++) least[node * k + j] = points[node * k + j] = values[q + dims[j]!]!;
    if (node === 0) return;
    let at = 0;
    for (;;) {
      for (let j = 0; j < k; j++) if (points[node * k + j]! < least[at * k + j]!) least[at * k + j] = points[node * k + j]!;
      const s = this.split[at]!;
      const goLeft = points[node * k + s]! < points[at * k + s]!;
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
