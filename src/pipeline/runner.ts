// `cleave.pipeline(plan, { remotes, window, codec, token, tls })`: a split plan run across processes.
// Local segments run on Sessions here, remote ones on `cleave serve` peers through RemoteLinks. Each
// run(input) is a promise that resolves in input order, with stage timings and bytes on the wire;
// many runs may be started at once and overlap (the links keep up to `window` requests in flight).
// With `replan`, the pipeline holds candidate plans (other cuts) and moves new inputs to another cut
// when the link changes (replan.ts); inputs already started finish on the cut they started on.
import { EventEmitter } from 'node:events';
import { CleaveError } from '../errors';
import { type CodecName, type CodecOptions, codecInfo, decode, encode, type WireDType } from '../codec';
import { readProgramTables } from '../compile/program';
import { readPlan, readSegmentProgram, type PlanFile } from '../segments/plan';
import { Session, type SessionOptions, type TensorData, type TensorSpec, typedView } from '../session';
import { type Endpoint, parseEndpoint } from '../transport/endpoint';
import type { TlsClientOptions } from '../transport/tcp';
import { encodeTensors, programSha256 } from '../wire/messages';
import { RemoteLink } from './link';
import { type McuAddress, McuLink, parseMcuAddress } from '../mcu/link';
import { bestCut, type CandidateCosts, departure, LinkEstimator, rawFrameBytes, type ReplanEvent, type ReplanOptions, type ReplanSettings, replanSettings } from './replan';

export interface PipelineOptions {
  /**
   * Segment index -> where it is served: "HOST:PORT", "serial:PATH[@BAUD]", "mqtt://HOST:PORT[/fleet]"
   * (a worker pool) or an Endpoint (`cleave serve`), or cleave firmware: "mcu:PATH[@BAUD]", "mcu:qemu:BOARD".
   */
  remotes?: Record<number, string | Endpoint>;
  /** Requests in flight per link (default 4). */
  window?: number;
  /** Codec of the tensors sent to remote segments (default "lossless"). */
  codec?: CodecName;
  codecOptions?: CodecOptions;
  token?: string;
  tls?: TlsClientOptions;
  /** One attempt of one request (default 10 s); then it is sent again, up to `retries` times (default 3). */
  timeoutMs?: number;
  retries?: number;
  /** Connection attempts in a row before a peer counts as gone (default 6), first backoff (default 50 ms, doubling to 1 s). */
  reconnectAttempts?: number;
  reconnectDelayMs?: number;
  /**
   * "local": when a peer stays gone (unreachable, or a request out of retries), run its segment here
   * (this process has the plan's Programs) instead of failing. Refusals (token, certificate, Program
   * hash) still fail: they are not outages.
   */
  fallback?: 'none' | 'local';
  session?: SessionOptions;
  /**
   * Re-plan while running: measure the link, and when it departs from the plan's assumption for long
   * enough, move new inputs to the candidate cut the planner prefers. Two-segment plans, the tail remote.
   */
  replan?: ReplanOptions;
  /**
   * Also return every tensor that crosses a cut (and the plan's inputs and outputs) by its index in
   * the original model, so a harness can tell which segment first went wrong (`cleave hil`).
   */
  keepTensors?: boolean;
}

export interface PipelineEvents {
  replan: [ReplanEvent];
}

export interface StageTiming {
  segment: number;
  /** "local", or the peer ("tcp:HOST:PORT", "serial:PATH"). */
  where: string;
  /** Interpreter time here, or on the peer as it reports it. */
  computeMs: number;
  /** Remote stages only. */
  encodeMs?: number;
  /** Send, remote work and receive, from the first send to the reply (retries included). */
  wireMs?: number;
  decodeMs?: number;
  /** The part of wireMs this request took itself, not waiting behind earlier requests on the link (link.ts). */
  serviceMs?: number;
  /** An earlier request on the link was still unanswered when this one was sent. */
  queued?: boolean;
  attempts?: number;
  bytesSent?: number;
  bytesReceived?: number;
}

export interface PipelineResult {
  outputs: TensorData[];
  /** The cuts of the plan this input ran on (with re-planning, the cut active when it started). */
  cuts: number[];
  stages: StageTiming[];
  /** From run() to this result being ready (not counting the wait for earlier inputs' results). */
  endToEndMs: number;
  bytesSent: number;
  bytesReceived: number;
  /** With `keepTensors`: the plan's inputs, outputs and crossing tensors by original model index. */
  tensors?: Map<number, TensorData>;
}

interface LocalStage {
  kind: 'local';
  session: Session;
}

interface RemoteStage {
  kind: 'remote';
  link: RemoteLink;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** With fallback "local": the segment's Program and, once the peer has failed, a Session on it. */
  program?: { bytes: Uint8Array; file: string; session?: Session };
}

/** A segment on cleave firmware over a serial line (src/mcu/link.ts). */
interface McuStage {
  kind: 'mcu';
  link: McuLink;
  outputs: TensorSpec[];
}

/** Link failures that mean the peer is gone, not that it refused us. */
const OUTAGES = new Set(['WIRE_UNREACHABLE', 'WIRE_RETRIES_EXHAUSTED']);

type Stage = LocalStage | RemoteStage | McuStage;

/** One plan the pipeline can run: the plan itself, or a candidate cut of it. */
interface Route {
  planPath: string;
  plan: PlanFile;
  stages: Stage[];
}

/** The re-planning state: the candidates' costs, the measurements, the assumption they are held to. */
interface Replanning {
  settings: ReplanSettings;
  costs: CandidateCosts[];
  estimator: LinkEstimator;
  assumed?: LinkFigures;
  departedSince: number | null;
  /** Requests measured since the departure began, and which figure departed. */
  departedSamples: number;
  departedFigure: string;
  pinger: NodeJS.Timeout;
}

type LinkFigures = NonNullable<ReplanSettings['assumed']>;

export class Pipeline extends EventEmitter<PipelineEvents> {
  private last: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** The route new inputs take. */
  private active = 0;
  private replanning: Replanning | null = null;

  private constructor(
    private readonly routes: Route[],
    private readonly codec: CodecName,
    private readonly codecOptions: CodecOptions,
    private readonly sessionOptions: SessionOptions = {},
    private readonly keepTensors = false,
  ) {
    super();
  }

  /** The plan the pipeline was opened with (the candidates share its inputs and outputs). */
  get plan(): PlanFile {
    return this.routes[0]!.plan;
  }

  /** The cut new inputs take now (the first cut of the active plan). */
  get cut(): number {
    return this.routes[this.active]!.plan.cuts[0]!;
  }

  static async open(planPath: string, options: PipelineOptions = {}): Promise<Pipeline> {
    const codec = codecInfo(options.codec ?? 'lossless').name;
    const window = options.window ?? 4;
    if (!Number.isInteger(window) || window < 1 || window > 1024) throw new CleaveError('BAD_ARGUMENT', `window must be an integer from 1 to 1024, got ${options.window}`);
    if (options.fallback !== undefined && options.fallback !== 'none' && options.fallback !== 'local') {
      throw new CleaveError('BAD_ARGUMENT', `fallback must be "none" or "local", got ${JSON.stringify(options.fallback)}`);
    }
    const settings = options.replan ? replanSettings(options.replan) : null;
    const routes: Route[] = [];
    const pipeline = new Pipeline(routes, codec, options.codecOptions ?? {}, options.session, options.keepTensors ?? false);
    try {
      for (const path of [planPath, ...(options.replan?.candidates ?? [])]) {
        const route: Route = { planPath: path, plan: await readPlan(path), stages: [] };
        routes.push(route); // before its stages open, so that close() disposes of what did
        await openStages(route, options, window);
      }
      if (settings) checkCandidates(routes, options);
      // Connect every link now, so that a refused token or a wrong Program is reported before any input.
      // With fallback "local", a peer that is down from the start is an outage like any other.
      await Promise.all(routes.flatMap((r) => r.stages).map((s) => s.kind === 'mcu' ? s.link.open() : s.kind === 'remote' && s.link.open().catch((err: CleaveError) => {
        if (!s.program || !OUTAGES.has(err.code)) throw err;
      })));
      if (settings) await pipeline.startReplanning(settings);
    } catch (err) {
      await pipeline.close();
      throw err;
    }
    return pipeline;
  }

  /** Times every candidate's head and tail here, and starts pinging the active link. */
  private async startReplanning(settings: ReplanSettings): Promise<void> {
    const costs: CandidateCosts[] = [];
    for (const route of this.routes) costs.push(await timeCandidate(route, this.sessionOptions));
    const pinger = setInterval(() => {
      const stage = this.routes[this.active]!.stages[1] as RemoteStage;
      void stage.link.ping().then((rtt) => rtt !== null && this.replanning?.estimator.addPing(rtt));
    }, settings.pingMs);
    pinger.unref();
    this.replanning = { settings, costs, estimator: new LinkEstimator(settings.samples), assumed: settings.assumed, departedSince: null, departedSamples: 0, departedFigure: '', pinger };
  }

  /** Runs one input (or one tensor per model input) through every segment; resolves in call order. */
  run(inputs: TensorData | TensorData[]): Promise<PipelineResult> {
    if (this.closed) return Promise.reject(new CleaveError('DISPOSED', 'pipeline is closed'));
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length !== this.plan.inputs.length) {
      return Promise.reject(new CleaveError('BAD_INPUT', `plan expects ${this.plan.inputs.length} input(s), got ${list.length}`));
    }
    const work = this.process(list);
    const previous = this.last;
    const ordered = work.then(
      async (r) => {
        await previous;
        return r;
      },
      async (e: unknown) => {
        await previous;
        throw e;
      },
    );
    this.last = ordered.catch(() => undefined);
    return ordered;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.replanning) clearInterval(this.replanning.pinger);
    await Promise.all(this.routes.flatMap((r) => r.stages).map((s) => {
      if (s.kind === 'local') return s.session.dispose();
      if (s.kind === 'mcu') return s.link.close();
      s.program?.session?.dispose();
      return s.link.close();
    }));
  }

  private async process(list: TensorData[]): Promise<PipelineResult> {
    const started = performance.now();
    // An input keeps the route it started on, whatever re-planning decides meanwhile.
    const routeIndex = this.active;
    const route = this.routes[routeIndex]!;
    const values = new Map<number, TensorData>(route.plan.inputs.map((t, i) => [t, list[i]!]));
    const stages: StageTiming[] = [];
    for (const [i, seg] of route.plan.segments.entries()) {
      const stage = route.stages[i]!;
      const inputs = seg.inputs.map((t) => values.get(t.tensor)!);
      let outputs: TensorData[];
      if (stage.kind === 'local') {
        const r = await stage.session.runDetailed(inputs);
        outputs = r.outputs;
        stages.push({ segment: i, where: 'local', computeMs: r.micros / 1000 });
      } else if (stage.kind === 'mcu') {
        const r = await stage.link.run(inputs.map((t) => new Uint8Array(t.buffer, t.byteOffset, t.byteLength)));
        outputs = r.outputs.map((o, k) => typedView(o, stage.outputs[k]!.dtype));
        stages.push({
          segment: i, where: stage.link.peer, computeMs: r.computeMs, wireMs: r.wireMs, attempts: r.attempts,
          bytesSent: r.bytesSent, bytesReceived: r.bytesReceived,
        });
      } else {
        const r = await this.remote(stage, inputs).catch((err: CleaveError) => {
          if (!stage.program || !OUTAGES.has(err.code)) throw err;
          return this.fallBack(stage, stage.program, inputs);
        });
        outputs = r.outputs;
        stages.push({ segment: i, ...r.timing });
      }
      seg.outputs.forEach((t, k) => values.set(t.tensor, outputs[k]!));
    }
    if (this.replanning && routeIndex === this.active) this.observe(stages);
    return {
      outputs: route.plan.outputs.map((t) => values.get(t)!),
      cuts: route.plan.cuts,
      stages,
      endToEndMs: performance.now() - started,
      bytesSent: stages.reduce((n, s) => n + (s.bytesSent ?? 0), 0),
      bytesReceived: stages.reduce((n, s) => n + (s.bytesReceived ?? 0), 0),
      ...(this.keepTensors ? { tensors: values } : {}),
    };
  }

  /** One more measurement of the active cut; re-plans once the link has departed from the assumption long enough. */
  private observe(stages: StageTiming[]): void {
    const r = this.replanning!;
    const [head, tail] = stages;
    // A fallback says nothing of the link, a retry nothing of its speed.
    if (!head || !tail || tail.serviceMs === undefined || tail.attempts !== 1) return;
    const bytes = tail.bytesSent! + tail.bytesReceived!;
    r.estimator.add({ serviceMs: tail.serviceMs, queued: tail.queued!, bytes, localMs: head.computeMs, remoteMs: tail.computeMs });
    const costs = r.costs[this.active]!;
    costs.requestBytes = tail.bytesSent! / tail.attempts!;
    costs.replyBytes = tail.bytesReceived!;
    costs.measuredBytes = true;
    const measured = r.estimator.figures();
    if (!measured) return;
    if (!r.assumed) {
      r.assumed = measured; // no assumption given: the link as first measured is the baseline
      return;
    }
    const why = departure(measured, r.assumed, bytes, r.settings);
    const now = performance.now();
    if (!why) {
      r.departedSince = null;
      return;
    }
    // A departure of one figure that turns into one of the other (noise, then a real change) starts afresh.
    if (r.departedSince === null || r.departedFigure !== why.figure) {
      r.departedSince = now;
      r.departedSamples = 0;
      r.departedFigure = why.figure;
    }
    r.departedSamples++;
    const lasted = now - r.departedSince;
    // Sustained: for sustainMs, and for a whole window of requests, so that every figure re-planned
    // on was measured after the change.
    if (lasted < r.settings.sustainMs || r.departedSamples < r.settings.samples) return;
    // Compute on either side may have changed too since the candidates were timed: scale by it.
    const compute = r.estimator.compute();
    const scale = { local: (compute.localMs * 1000) / costs.headMicros, remote: (compute.remoteMs * 1000) / costs.tailMicros };
    const opCount = this.plan.segments[this.plan.segments.length - 1]!.ops[1];
    const best = bestCut(opCount, r.costs, measured, scale, r.settings.objective);
    const fromCut = this.cut;
    const event: ReplanEvent = {
      fromCut, toCut: best.cut, switched: best.cut !== fromCut, measured, assumed: r.assumed,
      reason: `${why.text} for ${lasted.toFixed(0)} ms`, predicted: { latencyMs: best.latencyMs, throughputPerSecond: best.throughputPerSecond },
    };
    // The measured link is the assumption from now on; the new cut's requests carry other bytes.
    r.assumed = measured;
    r.departedSince = null;
    r.estimator.clear();
    if (event.switched) this.active = this.routes.findIndex((route) => route.plan.cuts[0] === best.cut);
    this.emit('replan', event);
  }

  /** Runs a remote stage's segment here, its peer being gone. */
  private async fallBack(stage: RemoteStage, program: NonNullable<RemoteStage['program']>, inputs: TensorData[]): Promise<{ outputs: TensorData[]; timing: Omit<StageTiming, 'segment'> }> {
    program.session ??= Session.fromBytes(program.bytes, program.file, this.sessionOptions);
    const r = await program.session.runDetailed(inputs);
    return { outputs: r.outputs, timing: { where: `local (fallback for ${stage.link.peer})`, computeMs: r.micros / 1000 } };
  }

  private async remote(stage: RemoteStage, inputs: TensorData[]): Promise<{ outputs: TensorData[]; timing: Omit<StageTiming, 'segment'> }> {
    const t0 = performance.now();
    const wires = inputs.map((data, k) => {
      const spec = stage.inputs[k]!;
      const dtype = spec.dtype as WireDType;
      // A codec that does not take this dtype (the lossy ones are int8 only) gives way to lossless.
      const codec = codecInfo(this.codec).dtypes.includes(dtype) ? this.codec : 'lossless';
      return encode(codec, { data, dtype, shape: spec.shape, scale: spec.scale, zeroPoint: spec.zeroPoint }, this.codecOptions);
    });
    const payload = encodeTensors(wires);
    const t1 = performance.now();
    const exchange = await stage.link.request(payload);
    const t2 = performance.now();
    const { tensors } = exchange.reply;
    if (tensors.length !== stage.outputs.length) {
      throw new CleaveError('WIRE_BAD_REPLY', `${stage.link.peer}: replied with ${tensors.length} tensor(s), segment has ${stage.outputs.length} output(s)`);
    }
    const outputs = tensors.map((w, k) => {
      const spec = stage.outputs[k]!;
      try {
        return typedView(decode(w, { maxBytes: spec.byteLength, expect: { dtype: spec.dtype as WireDType, shape: spec.shape } }).data, spec.dtype);
      } catch (err) {
        const e = err as CleaveError;
        throw new CleaveError(e.code, `${stage.link.peer}: reply output ${k}: ${e.message}`);
      }
    });
    const t3 = performance.now();
    return {
      outputs,
      timing: {
        where: stage.link.peer, computeMs: exchange.reply.computeMicros / 1000, encodeMs: t1 - t0, wireMs: exchange.wireMs, decodeMs: t3 - t2,
        serviceMs: exchange.serviceMs, queued: exchange.queued, attempts: exchange.attempts, bytesSent: exchange.bytesSent, bytesReceived: exchange.bytesReceived,
      },
    };
  }
}

/** Opens the stages of `route`: Sessions for local segments, links (not yet connected) for remote ones. */
async function openStages(route: Route, options: PipelineOptions, window: number): Promise<void> {
  const { plan, planPath } = route;
  const remotes = new Map<number, Endpoint>();
  const mcus = new Map<number, McuAddress>();
  for (const [key, where] of Object.entries(options.remotes ?? {})) {
    const segment = Number(key);
    if (!Number.isInteger(segment) || !plan.segments[segment]) {
      throw new CleaveError('BAD_ARGUMENT', `remote for segment ${key}: ${planPath} has segments 0..${plan.segments.length - 1}`);
    }
    const mcu = typeof where === 'string' ? parseMcuAddress(where, `remote for segment ${segment}`) : null;
    if (mcu) {
      mcus.set(segment, mcu);
      continue;
    }
    const parsed = typeof where === 'string' ? parseEndpoint(where, `remote for segment ${segment}`) : where;
    // A pool behind a broker is addressed by segment (its request topic).
    const endpoint = parsed.kind === 'mqtt' ? { ...parsed, segment } : parsed;
    if (endpoint.kind === 'serial' && options.tls) throw new CleaveError('BAD_ARGUMENT', `remote for segment ${segment}: TLS runs over TCP, not over serial:${endpoint.path}`);
    remotes.set(segment, endpoint);
  }
  for (const seg of plan.segments) {
    const { file, bytes } = await readSegmentProgram(planPath, seg);
    const endpoint = remotes.get(seg.index);
    const mcu = mcus.get(seg.index);
    if (mcu) {
      const tables = readProgramTables(bytes, file);
      route.stages.push({ kind: 'mcu', link: new McuLink(mcu, bytes, file), outputs: tables.outputs.map((id) => ({ ...tables.tensors[id]!, index: tables.tensors[id]!.sourceIndex })) });
      continue;
    }
    if (!endpoint) {
      route.stages.push({ kind: 'local', session: Session.fromBytes(bytes, file, options.session) });
      continue;
    }
    const tables = readProgramTables(bytes, file);
    const spec = (id: number) => ({ ...tables.tensors[id]!, index: tables.tensors[id]!.sourceIndex });
    const link = new RemoteLink(endpoint, {
      segment: seg.index, programSha256: programSha256(bytes), window, token: options.token, tls: options.tls,
      timeoutMs: options.timeoutMs ?? 10_000, retries: options.retries ?? 3,
      reconnectAttempts: options.reconnectAttempts ?? 6, reconnectDelayMs: options.reconnectDelayMs ?? 50, reconnectMaxDelayMs: 1000,
    });
    route.stages.push({
      kind: 'remote', link, inputs: tables.inputs.map(spec), outputs: tables.outputs.map(spec),
      ...(options.fallback === 'local' ? { program: { bytes, file } } : {}),
    });
  }
}

/** Re-planning moves one cut between a head here and a tail on one peer: every candidate must be that. */
function checkCandidates(routes: Route[], options: PipelineOptions): void {
  const first = routes[0]!;
  const remote = Object.keys(options.remotes ?? {});
  if (remote.length !== 1 || remote[0] !== '1') throw new CleaveError('BAD_ARGUMENT', 'replan moves the cut of a two-segment plan whose segment 1 is remote: give exactly one remote, for segment 1');
  const cuts = new Set<number>();
  for (const r of routes) {
    const where = `replan candidate ${r.planPath}`;
    if (r.plan.segments.length !== 2) throw new CleaveError('BAD_ARGUMENT', `${where}: has ${r.plan.segments.length} segments; re-planning moves the one cut of two-segment plans`);
    if (r.plan.model !== first.plan.model || String(r.plan.inputs) !== String(first.plan.inputs) || String(r.plan.outputs) !== String(first.plan.outputs)) {
      throw new CleaveError('BAD_ARGUMENT', `${where}: splits ${r.plan.model}, not ${first.plan.model} as ${first.planPath} does`);
    }
    if (cuts.has(r.plan.cuts[0]!)) throw new CleaveError('BAD_ARGUMENT', `${where}: cut ${r.plan.cuts[0]} is already a candidate`);
    cuts.add(r.plan.cuts[0]!);
  }
}

/** Times a candidate's head (its local Session) and its tail (loaded here for the purpose) on zero inputs. */
async function timeCandidate(route: Route, sessionOptions: SessionOptions): Promise<CandidateCosts> {
  const head = route.stages[0] as LocalStage;
  const tailSeg = route.plan.segments[1]!;
  const { file, bytes } = await readSegmentProgram(route.planPath, tailSeg);
  const tail = Session.fromBytes(bytes, file, sessionOptions);
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  try {
    const headInputs = head.session.inputs.map((t) => new Uint8Array(t.byteLength));
    const headTimes: number[] = [];
    const tailTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const h = await head.session.runDetailed(headInputs);
      headTimes.push(h.micros);
      tailTimes.push((await tail.runDetailed(h.outputs)).micros);
    }
    return {
      cut: route.plan.cuts[0]!, headMicros: median(headTimes), tailMicros: median(tailTimes),
      requestBytes: rawFrameBytes(tail.inputs.map((t) => t.byteLength), false), replyBytes: rawFrameBytes(tail.outputs.map((t) => t.byteLength), true), measuredBytes: false,
    };
  } finally {
    tail.dispose();
  }
}

/** `cleave.pipeline(plan, options)`: opens a Pipeline (links connected, Programs checked). */
export function pipeline(planPath: string, options: PipelineOptions = {}): Promise<Pipeline> {
  return Pipeline.open(planPath, options);
}
