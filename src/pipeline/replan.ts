// Re-planning while running (issue 13): a two-segment pipeline (head here, tail on a peer) measures
// its link as it runs and, when the link departs from what the plan assumed for long enough, asks the
// planner (src/plan/search.ts) which of the candidate cuts is best on the link as measured.
//
// What is measured, from what the pipeline already has:
// - round-trip time: pings on the link's connection (tiny frames the server answers at once); the
//   least of the latest 64 (about 6 s at the default period), since queueing behind requests only adds
//   to it: a ping sent while the link was idle gives the path's own round trip (BBR's min-RTT filter);
//   and a request sent to an idle link bounds it too (its wire time less the peer's compute);
// - bandwidth: the bytes of the window's requests and replies over their transfer time. A request's
//   transfer time is its service time (link.ts: from its send, or from the previous reply when it
//   was queued behind one, to its reply) less the peer's compute, less the round trip when it was not
//   queued (a queued request's round trip overlapped the one ahead). So waiting behind earlier
//   requests is not taken for a slow link: when the peer's compute is the bottleneck, replies come
//   one compute apart and the transfer left is about zero; when the link is, replies come one
//   transfer apart. (Of a queued request on a saturated link, the peer's compute is subtracted
//   though it overlapped the next transfer: the bandwidth comes out a little high, by compute over
//   transfer.)
// The planner is given each candidate cut's costs as measured here: every candidate's head and tail
// are timed on this machine at open, and the tail on the peer is scaled by the peer's measured compute
// over this machine's for the active cut.
import { HEADER_BYTES as CODEC_HEADER_BYTES } from '../codec';
import { CleaveError } from '../errors';
import { parseLinkSpec } from '../plan/devices';
import { choosePlan, type PlanningProblem, searchPareto, type WireOption } from '../plan/search';
import { HEADER_BYTES, TRAILER_BYTES } from '../wire/frame';

export interface ReplanOptions {
  /** Other plans of the same model (other cuts), served by the same peer (`cleave serve --candidate`). */
  candidates: string[];
  /** The link the plan assumes ("tcp:20mbit:5ms", one-way delay); absent: measured over the first `samples` requests. */
  link?: string;
  /** A departure is a measured figure this many times above or below the assumed one (default 2). */
  threshold?: number;
  /** ...that lasts this long (default 500 ms) before the planner is asked. */
  sustainMs?: number;
  /** Requests in the sliding window of measurements (default 8). */
  samples?: number;
  /** Changes smaller than this in the round trip or in one request's transfer time are noise (default 1 ms). */
  minChangeMs?: number;
  /** What the planner optimizes: "throughput" (the slowest stage; default, a pipeline streams) or "latency". */
  objective?: 'throughput' | 'latency';
  /** Ping period (default 100 ms). */
  pingMs?: number;
}

export interface LinkFigures {
  bytesPerSecond: number;
  rttMs: number;
}

/** One candidate cut as the planner sees it. */
export interface CandidateCosts {
  cut: number;
  /** The head [0, cut) and the tail [cut, n) timed on this machine, µs. */
  headMicros: number;
  tailMicros: number;
  /** Bytes of one request and its reply on the wire: measured once the cut has run, else its tensors' raw size. */
  requestBytes: number;
  replyBytes: number;
  measuredBytes: boolean;
}

export interface ReplanEvent {
  fromCut: number;
  toCut: number;
  /** False when the planner keeps the cut: the link changed, the best cut did not. */
  switched: boolean;
  measured: LinkFigures;
  assumed: LinkFigures;
  /** Why: which figure departed, by how much, for how long. */
  reason: string;
  /** The planner's figures for the chosen cut on the measured link. */
  predicted: { latencyMs: number; throughputPerSecond: number };
}

/** "re-planned: cut 10 -> 29 (...)": the line `cleave run --replan` prints for an event. */
export function describeReplan(e: ReplanEvent): string {
  const f = (l: LinkFigures) => `${formatRate(l.bytesPerSecond)}, RTT ${l.rttMs.toFixed(2)} ms`;
  const what = e.switched ? `cut ${e.fromCut} -> ${e.toCut}` : `cut ${e.fromCut} kept`;
  return `re-planned: ${what}: measured ${f(e.measured)}; assumed ${f(e.assumed)}; ${e.reason}; ` +
    `predicted ${e.predicted.latencyMs.toFixed(2)} ms, ${e.predicted.throughputPerSecond.toFixed(1)} inferences/s`;
}

function formatRate(bytesPerSecond: number): string {
  const mbit = (bytesPerSecond * 8) / 1e6;
  return mbit >= 1 ? `${mbit.toFixed(1)} Mbit/s` : `${(mbit * 1000).toFixed(0)} kbit/s`;
}

export interface ReplanSettings {
  threshold: number;
  sustainMs: number;
  samples: number;
  minChangeMs: number;
  objective: 'throughput' | 'latency';
  pingMs: number;
  assumed?: LinkFigures;
}

export function replanSettings(o: ReplanOptions): ReplanSettings {
  const threshold = o.threshold ?? 2;
  if (!(threshold > 1)) throw new CleaveError('BAD_ARGUMENT', `replan threshold must be above 1, got ${o.threshold}`);
  const samples = o.samples ?? 8;
  if (!Number.isInteger(samples) || samples < 1) throw new CleaveError('BAD_ARGUMENT', `replan samples must be a positive integer, got ${o.samples}`);
  const objective = o.objective ?? 'throughput';
  if (objective !== 'throughput' && objective !== 'latency') throw new CleaveError('BAD_ARGUMENT', `replan objective must be "throughput" or "latency", got ${JSON.stringify(o.objective)}`);
  let assumed: LinkFigures | undefined;
  if (o.link !== undefined) {
    const link = parseLinkSpec(o.link, 'replan link');
    assumed = { bytesPerSecond: link.bytesPerSecond, rttMs: 2 * link.latencySeconds * 1000 };
  }
  return { threshold, sustainMs: o.sustainMs ?? 500, samples, minChangeMs: o.minChangeMs ?? 1, objective, pingMs: o.pingMs ?? 100, assumed };
}

interface Sample {
  serviceMs: number;
  queued: boolean;
  bytes: number;
  localMs: number;
  remoteMs: number;
}

/** The measured link and compute speeds over a sliding window of requests and pings. */
export class LinkEstimator {
  private samples: Sample[] = [];
  private pings: number[] = [];

  constructor(
    private readonly size: number,
    private readonly pingWindow = 64,
  ) {}

  get count(): number {
    return this.samples.length;
  }

  add(sample: Sample): void {
    this.samples.push(sample);
    if (this.samples.length > this.size) this.samples.shift();
  }

  addPing(rttMs: number): void {
    this.pings.push(rttMs);
    if (this.pings.length > this.pingWindow) this.pings.shift();
  }

  /** Starts afresh (after a switch, the requests carry other bytes). */
  clear(): void {
    this.samples = [];
  }

  /** Null until the window is full (and something bounds the round trip). */
  figures(): LinkFigures | null {
    if (this.samples.length < this.size) return null;
    const idle = this.samples.filter((s) => !s.queued).map((s) => Math.max(s.serviceMs - s.remoteMs, 0));
    const rttMs = Math.min(...this.pings, ...idle);
    if (rttMs === Infinity) return null;
    let bytes = 0;
    let transferMs = 0;
    for (const s of this.samples) {
      bytes += s.bytes;
      transferMs += Math.max(s.serviceMs - s.remoteMs - (s.queued ? 0 : rttMs), 0);
    }
    // A transfer shorter than 10 µs per request is below what these clocks tell apart from zero.
    transferMs = Math.max(transferMs, 0.01 * this.samples.length);
    return { bytesPerSecond: bytes / (transferMs / 1000), rttMs };
  }

  /** Medians of this machine's and the peer's compute for the active cut, ms. */
  compute(): { localMs: number; remoteMs: number } {
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
    return { localMs: median(this.samples.map((s) => s.localMs)), remoteMs: median(this.samples.map((s) => s.remoteMs)) };
  }
}

/** Bytes of a request (or reply) frame carrying tensors of these sizes, uncompressed: frame, tensor list, codec headers. */
export function rawFrameBytes(tensorBytes: number[], reply: boolean): number {
  return HEADER_BYTES + TRAILER_BYTES + (reply ? 8 : 0) + 4 + tensorBytes.reduce((n, b) => n + 4 + CODEC_HEADER_BYTES + b, 0);
}

/**
 * Whether `measured` departs from `assumed` for the transfer of `bytes`: bandwidth or round trip off by
 * `threshold` or more, and by more than `minChangeMs` in time (loopback's microseconds are noise).
 */
export function departure(measured: LinkFigures, assumed: LinkFigures, bytes: number, s: Pick<ReplanSettings, 'threshold' | 'minChangeMs'>): { figure: 'bandwidth' | 'round trip'; text: string } | null {
  const ratio = (a: number, b: number) => Math.max(a / b, b / a);
  const transfer = (l: LinkFigures) => (bytes / l.bytesPerSecond) * 1000;
  const bw = ratio(measured.bytesPerSecond, assumed.bytesPerSecond);
  if (bw >= s.threshold && Math.abs(transfer(measured) - transfer(assumed)) > s.minChangeMs) {
    return { figure: 'bandwidth', text: `bandwidth ${bw.toFixed(1)}x ${measured.bytesPerSecond < assumed.bytesPerSecond ? 'lower' : 'higher'}` };
  }
  const rtt = ratio(measured.rttMs, assumed.rttMs);
  if (rtt >= s.threshold && Math.abs(measured.rttMs - assumed.rttMs) > s.minChangeMs) {
    return { figure: 'round trip', text: `round trip ${rtt.toFixed(1)}x ${measured.rttMs > assumed.rttMs ? 'longer' : 'shorter'}` };
  }
  return null;
}

/**
 * The planning problem of a head here and a tail on the peer, cut at one of the candidates: two
 * devices, one link. Per-op costs are laid out so that their sums over [0, cut) and [cut, n) are the
 * candidates' measured head and tail times (the search only ever sums such ranges), scaled by how fast
 * each side runs now against when they were timed.
 */
export function candidateProblem(opCount: number, candidates: CandidateCosts[], link: LinkFigures, scale: { local: number; remote: number }): PlanningProblem {
  const sorted = [...candidates].sort((a, b) => a.cut - b.cut);
  const cuts = sorted.map((c) => c.cut);
  const local = new Array<number>(opCount).fill(0);
  const remote = new Array<number>(opCount).fill(0);
  sorted.forEach((c, i) => {
    const prev = sorted[i - 1];
    local[prev ? prev.cut : 0]! += (c.headMicros - (prev?.headMicros ?? 0)) * scale.local;
    const next = sorted[i + 1];
    remote[c.cut]! += (c.tailMicros - (next?.tailMicros ?? 0)) * scale.remote;
  });
  const cutSet = new Set(cuts);
  const wire = new Map<number, WireOption[]>(sorted.map((c) => [c.cut, [{ codec: 'as run', bytes: c.requestBytes + c.replyBytes, lossless: true }]]));
  return {
    opCount, cuts,
    devices: [
      { name: 'here', fits: (begin, end) => begin === 0 && cutSet.has(end), opMicros: local, opJoules: new Array<number>(opCount).fill(0) },
      { name: 'peer', fits: (begin, end) => cutSet.has(begin) && end === opCount, opMicros: remote, opJoules: new Array<number>(opCount).fill(0) },
    ],
    links: [{ a: 0, b: 1, spec: 'measured', bytesPerSecond: link.bytesPerSecond, latencySeconds: link.rttMs / 2000, joulesPerByte: 0 }],
    wire,
    precisions: ['int8'],
  };
}

/** The planner's best cut among the candidates on `link`, and its predicted figures. */
export function bestCut(opCount: number, candidates: CandidateCosts[], link: LinkFigures, scale: { local: number; remote: number }, objective: 'throughput' | 'latency'): { cut: number; latencyMs: number; throughputPerSecond: number } {
  const chosen = choosePlan(searchPareto(candidateProblem(opCount, candidates, link, scale)), objective);
  return { cut: chosen.segments[1]!.begin, latencyMs: chosen.objectives.latencyMicros / 1000, throughputPerSecond: 1e6 / chosen.objectives.bottleneckMicros };
}
