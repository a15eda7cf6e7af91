// What a head runs on each input: a whole model on a Session, or a split plan through the pipeline
// library (its remote segments on `cleave serve` peers or tail daemons). Both take the input as the
// raw bytes of the model's input tensors, one after the other, and give the outputs with the stage
// timings telemetry records.
import { CleaveError } from '../errors';
import type { CodecName } from '../codec';
import { pipeline, type Pipeline, type PipelineResult } from '../pipeline/runner';
import { load, type Session, type TensorData, typedView } from '../session';
import { stagesOfRun, type StageTiming } from '../telemetry/record';
import type { HeadConfig } from './config';

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
}

export interface EngineResult {
  outputs: { info: TensorInfo; data: TensorData }[];
  /** compute (per segment), and encode/transfer/decode for remote segments. */
  stages: StageTiming[];
}

export interface Engine {
  /** "model.tflite" or "plan.json (3 segments, 1 remote)". */
  readonly description: string;
  readonly inputs: TensorInfo[];
  run(inputs: Uint8Array[]): Promise<EngineResult>;
  close(): Promise<void>;
}

/** Cuts one input file's bytes into the engine's input tensors; BAD_INPUT naming the sizes when they do not add up. */
export function splitInput(bytes: Uint8Array, inputs: TensorInfo[], what: string): Uint8Array[] {
  const want = inputs.reduce((n, t) => n + t.bytes, 0);
  if (bytes.byteLength !== want) {
    const each = inputs.map((t) => `${t.name} ${t.dtype}[${t.shape.join('x')}] = ${t.bytes} B`).join(' + ');
    throw new CleaveError('BAD_INPUT', `${what}: ${bytes.byteLength} bytes, the model takes ${want} (${each})`);
  }
  let at = 0;
  return inputs.map((t) => bytes.subarray(at, (at += t.bytes)));
}

class SessionEngine implements Engine {
  readonly inputs: TensorInfo[];
  private readonly outputs: TensorInfo[];

  constructor(readonly description: string, private readonly session: Session) {
    const info = (t: Session['inputs'][number]): TensorInfo => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.byteLength });
    this.inputs = session.inputs.map(info);
    this.outputs = session.outputs.map(info);
  }

  async run(inputs: Uint8Array[]): Promise<EngineResult> {
    const details = await this.session.runDetailed(inputs);
    return { outputs: details.outputs.map((data, i) => ({ info: this.outputs[i]!, data })), stages: [stagesOfRun(details)] };
  }

  async close(): Promise<void> {
    this.session.dispose();
  }
}

/** The pipeline's stage timings as telemetry stages: a remote segment's wire time less its compute is its transfer. */
export function stagesOfPipeline(r: PipelineResult): StageTiming[] {
  const stages: StageTiming[] = [];
  for (const s of r.stages) {
    stages.push({ segment: s.segment, stage: 'compute', latencyUs: s.computeMs * 1000 });
    if (s.wireMs === undefined) continue;
    stages.push({ segment: s.segment, stage: 'encode', latencyUs: (s.encodeMs ?? 0) * 1000, bytes: s.bytesSent ?? 0 });
    stages.push({ segment: s.segment, stage: 'transfer', latencyUs: Math.max(0, s.wireMs - s.computeMs) * 1000, bytes: (s.bytesSent ?? 0) + (s.bytesReceived ?? 0) });
    stages.push({ segment: s.segment, stage: 'decode', latencyUs: (s.decodeMs ?? 0) * 1000, bytes: s.bytesReceived ?? 0 });
  }
  return stages;
}

class PipelineEngine implements Engine {
  readonly inputs: TensorInfo[];
  private readonly outputs: TensorInfo[];

  constructor(readonly description: string, private readonly pipeline: Pipeline) {
    const { plan } = pipeline;
    const tensor = (id: number, side: 'inputs' | 'outputs'): TensorInfo => {
      const t = plan.segments.flatMap((s) => s[side]).find((x) => x.tensor === id)!;
      return { name: t.name, dtype: t.dtype, shape: t.shape, bytes: t.bytes };
    };
    this.inputs = plan.inputs.map((id) => tensor(id, 'inputs'));
    this.outputs = plan.outputs.map((id) => tensor(id, 'outputs'));
  }

  async run(inputs: Uint8Array[]): Promise<EngineResult> {
    const views = inputs.map((bytes, i) => typedView(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), this.inputs[i]!.dtype));
    const r = await this.pipeline.run(views);
    return { outputs: r.outputs.map((data, i) => ({ info: this.outputs[i]!, data })), stages: stagesOfPipeline(r) };
  }

  close(): Promise<void> {
    return this.pipeline.close();
  }
}

/** Opens the model or plan of a head config (a plan's remotes connected and their Programs checked). */
export async function openEngine(head: HeadConfig): Promise<Engine> {
  const session = { threads: head.threads };
  if (!head.model.endsWith('.json')) {
    if (head.remotes && Object.keys(head.remotes).length > 0) throw new CleaveError('CONFIG_INVALID', `head.remotes: ${head.model} is a single model; remotes need a split plan (plan.json)`);
    return new SessionEngine(head.model, await load(head.model, session));
  }
  const p = await pipeline(head.model, {
    remotes: Object.fromEntries(Object.entries(head.remotes ?? {}).map(([k, v]) => [Number(k), v])),
    codec: head.codec as CodecName | undefined, token: head.token, fallback: head.fallback, window: head.window, session,
  });
  const remote = Object.keys(head.remotes ?? {}).length;
  return new PipelineEngine(`${head.model} (${p.plan.segments.length} segments, ${remote} remote)`, p);
}
