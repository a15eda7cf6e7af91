// The latency of one request through a plan as cleave's pipeline runs it (src/pipeline): the
// search's latency (compute plus each hop's delay and payload / rate) plus what the search leaves
// out because it moves no plan ahead of another on a given link: each message's frame and the
// TCP/IP headers of its segments, and the reply carrying the model's outputs from the last device
// back to the first, over every hop in between. bench/plan-accuracy.ts compares it with measured
// runs over shaped links.
import { HEADER_BYTES, TRAILER_BYTES } from '../wire/frame';
import type { Link } from './devices';
import type { CandidatePlan, PlanningProblem } from './search';

// Ethernet (14), IPv4 (20) and TCP with timestamps (32) per segment of at most 1448 payload bytes
// (MTU 1500): what a rate limiter on the interface counts beside the payload.
const TCP_SEGMENT_PAYLOAD = 1448;
const TCP_SEGMENT_HEADERS = 66;

/** Bytes a link carries for one message of `payload` bytes. */
export function linkBytes(link: Link, payload: number): number {
  const framed = payload + HEADER_BYTES + TRAILER_BYTES;
  if (!link.spec.startsWith('tcp:')) return framed;
  return framed + Math.ceil(framed / TCP_SEGMENT_PAYLOAD) * TCP_SEGMENT_HEADERS;
}

/** One hop of a message: the link's delay and its bytes at the link's rate, in µs. */
function hopMicros(link: Link, payload: number): number {
  return (link.latencySeconds + linkBytes(link, payload) / link.bytesPerSecond) * 1e6;
}

export interface RequestOptions {
  /**
   * Time (µs) a request spends between processes beyond compute and the link itself: the sender's
   * and receiver's event loops, system calls, waking the peer. Measured per machine (see
   * bench/plan-accuracy.ts: a remote run over loopback), added once per device that serves a part.
   */
  perRemoteMicros?: number;
}

/** Predicted end-to-end latency (µs) of one request through `plan`, reply included. */
export function requestLatencyMicros(problem: PlanningProblem, plan: CandidatePlan, options: RequestOptions = {}): number {
  let micros = (options.perRemoteMicros ?? 0) * plan.segments.filter((s) => s.device > 0).length;
  for (const s of plan.segments) micros += problem.devices[s.device]!.opMicros.slice(s.begin, s.end).reduce((a, b) => a + b, 0);
  for (const t of plan.transfers) for (let h = t.from; h < t.to; h++) micros += hopMicros(problem.links[h]!, t.bytes);
  const last = plan.segments[plan.segments.length - 1]!.device;
  if (last > 0) {
    // The reply is encoded with the request's codec where it takes the outputs (src/pipeline/serve.ts).
    const codec = plan.transfers[plan.transfers.length - 1]?.codec;
    const outputs = problem.wire.get(problem.opCount) ?? [];
    const reply = outputs.find((w) => w.codec === codec) ?? outputs.find((w) => w.codec === 'lossless') ?? outputs[0];
    for (let h = 0; h < last; h++) micros += hopMicros(problem.links[h]!, reply?.bytes ?? 0);
  }
  return micros;
}
