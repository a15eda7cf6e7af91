// `cleave.pipeline(plan, { remotes, window, codec, token, tls })`: a split plan run across processes.
// Local segments run on Sessions here, remote ones on `cleave serve` peers through RemoteLinks. Each
// run(input) is a promise that resolves in input order, with stage timings and bytes on the wire;
// many runs may be started at once and overlap (the links keep up to `window` requests in flight).
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

export interface PipelineOptions {
  /**
   * Segment index -> where it is served: "HOST:PORT", "serial:PATH[@BAUD]" or an Endpoint (`cleave
   * serve`), or cleave firmware: "mcu:PATH[@BAUD]", "mcu:qemu:BOARD".
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
  attempts?: number;
  bytesSent?: number;
  bytesReceived?: number;
}

export interface PipelineResult {
  outputs: TensorData[];
  stages: StageTiming[];
  /** From run() to this result being ready (not counting the wait for earlier inputs' results). */
  endToEndMs: number;
  bytesSent: number;
  bytesReceived: number;
}

interface LocalStage {
  kind: 'local';
  session: Session;
}

interface McuStage {
  kind: 'mcu';
  link: McuLink;
  outputs: TensorSpec[];
}

interface RemoteStage {
  kind: 'remote';
  link: RemoteLink;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** With fallback "local": the segment's Program and, once the peer has failed, a Session on it. */
  program?: { bytes: Uint8Array; file: string; session?: Session };
}

/** Link failures that mean the peer is gone, not that it refused us. */
const OUTAGES = new Set(['WIRE_UNREACHABLE', 'WIRE_RETRIES_EXHAUSTED']);

export class Pipeline {
  private last: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly plan: PlanFile,
    private readonly stages: (LocalStage | RemoteStage | McuStage)[],
    private readonly codec: CodecName,
    private readonly codecOptions: CodecOptions,
    private readonly sessionOptions: SessionOptions = {},
  ) {}

  static async open(planPath: string, options: PipelineOptions = {}): Promise<Pipeline> {
    const plan = await readPlan(planPath);
    const codec = codecInfo(options.codec ?? 'lossless').name;
    const window = options.window ?? 4;
    if (!Number.isInteger(window) || window < 1 || window > 1024) throw new CleaveError('BAD_ARGUMENT', `window must be an integer from 1 to 1024, got ${options.window}`);
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
      const endpoint = typeof where === 'string' ? parseEndpoint(where, `remote for segment ${segment}`) : where;
      if (endpoint.kind === 'serial' && options.tls) throw new CleaveError('BAD_ARGUMENT', `remote for segment ${segment}: TLS runs over TCP, not over serial:${endpoint.path}`);
      remotes.set(segment, endpoint);
    }
    const stages: (LocalStage | RemoteStage | McuStage)[] = [];
    if (options.fallback !== undefined && options.fallback !== 'none' && options.fallback !== 'local') {
      throw new CleaveError('BAD_ARGUMENT', `fallback must be "none" or "local", got ${JSON.stringify(options.fallback)}`);
    }
    const pipeline = new Pipeline(plan, stages, codec, options.codecOptions ?? {}, options.session);
    try {
      for (const seg of plan.segments) {
        const { file, bytes } = await readSegmentProgram(planPath, seg);
        const endpoint = remotes.get(seg.index);
        const mcu = mcus.get(seg.index);
        if (mcu) {
          const tables = readProgramTables(bytes, file);
          stages.push({ kind: 'mcu', link: new McuLink(mcu, bytes, file), outputs: tables.outputs.map((id) => ({ ...tables.tensors[id]!, index: tables.tensors[id]!.sourceIndex })) });
          continue;
        }
        if (!endpoint) {
          stages.push({ kind: 'local', session: Session.fromBytes(bytes, file, options.session) });
          continue;
        }
        const tables = readProgramTables(bytes, file);
        const spec = (id: number) => ({ ...tables.tensors[id]!, index: tables.tensors[id]!.sourceIndex });
        const link = new RemoteLink(endpoint, {
          segment: seg.index, programSha256: programSha256(bytes), window, token: options.token, tls: options.tls,
          timeoutMs: options.timeoutMs ?? 10_000, retries: options.retries ?? 3,
          reconnectAttempts: options.reconnectAttempts ?? 6, reconnectDelayMs: options.reconnectDelayMs ?? 50, reconnectMaxDelayMs: 1000,
        });
        stages.push({
          kind: 'remote', link, inputs: tables.inputs.map(spec), outputs: tables.outputs.map(spec),
          ...(options.fallback === 'local' ? { program: { bytes, file } } : {}),
        });
      }
      // Connect every link now, so that a refused token or a wrong Program is reported before any input.
      // With fallback "local", a peer that is down from the start is an outage like any other.
      await Promise.all(stages.map((s) => s.kind === 'mcu' ? s.link.open() : s.kind === 'remote' && s.link.open().catch((err: CleaveError) => {
        if (!s.program || !OUTAGES.has(err.code)) throw err;
      })));
    } catch (err) {
      await pipeline.close();
      throw err;
    }
    return pipeline;
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
    await Promise.all(this.stages.map((s) => {
      if (s.kind === 'local') return s.session.dispose();
      if (s.kind === 'mcu') return s.link.close();
      s.program?.session?.dispose();
      return s.link.close();
    }));
  }

  private async process(list: TensorData[]): Promise<PipelineResult> {
    const started = performance.now();
    const values = new Map<number, TensorData>(this.plan.inputs.map((t, i) => [t, list[i]!]));
    const stages: StageTiming[] = [];
    for (const [i, seg] of this.plan.segments.entries()) {
      const stage = this.stages[i]!;
      const inputs = seg.inputs.map((t) => values.get(t.tensor)!);
      let outputs: TensorData[];
      if (stage.kind === 'local') {
        const r = await stage.session.runDetailed(inputs);
        outputs = r.outputs;
        stages.push({ segment: i, where: 'local', computeMs: r.micros / 1000 });
      } else if (stage.kind === 'mcu') {
        const r = await stage.link.run(inputs.map((t) => new Uint8Array(t.buffer, t.byteOffset, t.byteLength)));
        outputs = r.outputs.map((o, k) => typedView(o, stage.outputs[k]!.dtype));
        stages.push({ segment: i, where: stage.link.peer, computeMs: r.computeMs, wireMs: r.wireMs, attempts: r.attempts });
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
    return {
      outputs: this.plan.outputs.map((t) => values.get(t)!),
      stages,
      endToEndMs: performance.now() - started,
      bytesSent: stages.reduce((n, s) => n + (s.bytesSent ?? 0), 0),
      bytesReceived: stages.reduce((n, s) => n + (s.bytesReceived ?? 0), 0),
    };
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
        attempts: exchange.attempts, bytesSent: exchange.bytesSent, bytesReceived: exchange.bytesReceived,
      },
    };
  }
}

/** `cleave.pipeline(plan, options)`: opens a Pipeline (links connected, Programs checked). */
export function pipeline(planPath: string, options: PipelineOptions = {}): Promise<Pipeline> {
  return Pipeline.open(planPath, options);
}
