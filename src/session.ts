// The JS API of the interpreter: load a model or Program once (a Model: weights unpacked and packed
// once), create sessions on it (each its own arena, recurrent state and worker thread), run them.
// Arguments are validated here with messages that name the input; the native side does the work on
// the session's worker thread (run) or inline (runSync), and its errors arrive with their codes.
import * as os from 'node:os';
import { CleaveError, fromNative } from './errors';
import { compileGraph, isProgram, readProgramTables } from './compile/program';
import type { ProgramTensor } from './compile/program';
import { compileOffThread } from './compile-client';
import { meterRuns, type EnergyWindow } from './energy-window';
import { isTflite, readModel } from './model/reader';
import type { EnergyMeter, EnergyReading } from '../hal';
import { PlanRunner } from './segments/plan';
import { readUserFile } from './io/files';
import { binding, type NativeModel, type NativeModelOptions, type NativeRunResult, type NativeSession } from './native';

/** Every kernel set name `kernels` accepts; `availableKernelSets()` says which this CPU runs. */
export const KERNEL_SETS = ['auto', 'reference', 'avx512-vnni', 'avx2', 'neon', 'neon-dotprod'] as const;
export type KernelSet = (typeof KERNEL_SETS)[number];

/** The kernel sets this CPU can run (the addon's own check, binding.cpuFeatures()). */
export function availableKernelSets(): KernelSet[] {
  const f = binding.cpuFeatures();
  const has: Record<KernelSet, boolean> = { auto: true, reference: true, 'avx512-vnni': f.avx512vnni, avx2: f.avx2, neon: f.neon, 'neon-dotprod': f.dotprod };
  return KERNEL_SETS.filter((k) => has[k]);
}

/** Refuses a kernel set that does not exist, or that this CPU cannot run, naming the valid ones. */
export function checkKernelSet(kernels: unknown): KernelSet {
  if (!(KERNEL_SETS as readonly unknown[]).includes(kernels)) {
    throw new CleaveError('BAD_ARGUMENT', `kernel set ${JSON.stringify(kernels)} does not exist; valid: ${KERNEL_SETS.join(', ')}`);
  }
  const available = availableKernelSets();
  if (!available.includes(kernels as KernelSet)) {
    throw new CleaveError('BAD_ARGUMENT', `kernel set "${kernels}" is not available on this CPU (${binding.cpuFeatures().arch}); available here: ${available.join(', ')}`);
  }
  return kernels as KernelSet;
}

export type TensorData = Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array;

export interface TensorSpec {
  /** Tensor index in the source .tflite subgraph. */
  index: number;
  name: string;
  shape: number[];
  dtype: 'int8' | 'uint8' | 'int16' | 'int32' | 'float32' | 'int64' | 'bool' | 'int4';
  scale: number;
  zeroPoint: number;
  byteLength: number;
}

export interface SessionOptions {
  /** Threads for intra-op parallelism (default: the machine's available parallelism). */
  threads?: number;
  /**
   * Kernel set: "auto" (default: the fastest this CPU supports), "reference" (TFLite's reference
   * arithmetic, the specification), or a named set: "avx512-vnni", "avx2", "neon", "neon-dotprod".
   */
  kernels?: KernelSet;
  /**
   * `run()` executes on the calling thread, when nothing is queued, if the session's previous run
   * took less than this many microseconds (default 10; 0: always on the session's worker thread).
   * Handing a run to a thread and back costs about that much, so for such runs the event loop is
   * blocked for less time than the hand-off would have cost it. The promise still settles from the
   * event loop, never synchronously, and calls keep their order.
   */
  inlineRunMicros?: number;
}

/** One op of a profiled run (`session.profile()`), in execution order. */
export interface OpProfile {
  /** Op index in the Program. */
  op: number;
  /** The op's name, e.g. "CONV_2D". */
  name: string;
  /** The kernel that ran it: "reference", or "<set>:<implementation>" for an optimized op (e.g. "avx2:im2col+gemm-u8s8", "avx2:depthwise-3x3"). */
  kernel: string;
  micros: number;
}

export interface RunDetails {
  outputs: TensorData[];
  /** Interpreter time of this run in microseconds. */
  micros: number;
  /** With `dump: true`: every non-constant tensor by its .tflite index (see `cleave run --dump-tensors`). */
  dumps?: Map<number, Uint8Array>;
  /** With `profile: true`: each op's time and kernel; their sum is at most `micros`. */
  profile?: OpProfile[];
  /** Set by runners that meter each run themselves (a plan's stages); sessions meter windows (`measureEnergy`). */
  energy?: EnergyReading;
}

export interface RunOptions {
  dump?: boolean;
  profile?: boolean;
}

const ARRAY_TYPES: Record<string, new (buffer: ArrayBuffer, byteOffset: number, length: number) => TensorData> = {
  int8: Int8Array, uint8: Uint8Array, bool: Uint8Array, int16: Int16Array, int32: Int32Array, float32: Float32Array,
};
const ELEMENT_BYTES: Record<string, number> = { int8: 1, uint8: 1, bool: 1, int16: 2, int32: 4, float32: 4, int64: 8 };

function spec(t: ProgramTensor): TensorSpec {
  return { index: t.sourceIndex, name: t.name, shape: t.shape, dtype: t.dtype, scale: t.scale, zeroPoint: t.zeroPoint, byteLength: t.byteLength };
}

/** Bytes as the dtype's typed array (copied only when not aligned for it). */
export function typedView(buf: Buffer, dtype: string): TensorData {
  const Ctor = ARRAY_TYPES[dtype];
  if (!Ctor) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  // Buffers the addon hands over are freshly allocated and aligned; copy only if one is not.
  const bytes = ELEMENT_BYTES[dtype]!;
  const aligned = buf.byteOffset % bytes === 0 ? buf : Buffer.from(buf);
  return new Ctor(aligned.buffer as ArrayBuffer, aligned.byteOffset, aligned.byteLength / bytes);
}

function inputError(source: string, err: unknown): never {
  throw fromNative(err, source);
}

/** Refuses bytes that are neither a Program nor a .tflite model; true for a Program. */
function isProgramOrModel(bytes: Uint8Array, source: string): boolean {
  if (isProgram(bytes)) return true;
  if (isTflite(bytes)) return false;
  throw new CleaveError('NOT_A_MODEL', `${source}: neither a cleave Program (magic "CLVP") nor a TFLite model (identifier "TFL3")`);
}

const DEFAULT_INLINE_RUN_MICROS = 10;

function nativeOptions(options: SessionOptions): NativeModelOptions {
  const threads = options.threads ?? os.availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new CleaveError('BAD_ARGUMENT', `threads must be an integer from 1 to 256, got ${options.threads}`);
  }
  const inlineMicros = options.inlineRunMicros ?? DEFAULT_INLINE_RUN_MICROS;
  if (!(inlineMicros >= 0 && inlineMicros <= 1e6)) {
    throw new CleaveError('BAD_ARGUMENT', `inlineRunMicros must be a number from 0 to 1000000, got ${options.inlineRunMicros}`);
  }
  return { threads, kernels: checkKernelSet(options.kernels ?? 'auto'), inlineMicros };
}

/**
 * A loaded model: the validated Program with its weights unpacked and packed once. Any number of
 * sessions share it (`createSession()`), each with its own arena and state, so N requests in flight
 * or N segments in one process neither copy weights nor start more threads (one process-wide pool).
 */
export class Model {
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];

  private constructor(private readonly native: NativeModel, tables: ReturnType<typeof readProgramTables>, readonly source: string) {
    const byId = (id: number) => spec(tables.tensors[id]!);
    this.inputs = tables.inputs.map(byId);
    this.outputs = tables.outputs.map(byId);
  }

  /** From Program bytes or .tflite bytes, compiled, validated and packed on the calling thread. */
  static fromBytes(bytes: Uint8Array, source = '<buffer>', options: SessionOptions = {}): Model {
    const native = nativeOptions(options);
    const program = isProgramOrModel(bytes, source) ? bytes : compileGraph(readModel(bytes, source)).bytes;
    const tables = readProgramTables(program, source);
    try {
      return new Model(new binding.NativeModel(program, native), tables, source);
    } catch (err) {
      return inputError(source, err);
    }
  }

  /** As fromBytes, with the compile on a worker thread and the packing on a native one. */
  static async fromBytesAsync(bytes: Uint8Array, source = '<buffer>', options: SessionOptions = {}): Promise<Model> {
    const native = nativeOptions(options);
    const program = isProgramOrModel(bytes, source) ? bytes : await compileOffThread(bytes, source);
    const tables = readProgramTables(program, source);
    const loaded = await binding.loadModel(program, native).catch((err: unknown) => inputError(source, err));
    return new Model(loaded, tables, source);
  }

  /** A new session (arena, recurrent state, worker thread) sharing this model's weights. */
  createSession(): Session {
    return new Session(this, this.native.createSession());
  }

  /** The kernel set in use: "reference", "avx512-vnni", "avx2", "neon" or "neon-dotprod". */
  get kernels(): string {
    return this.native.kernels;
  }

  /** Threads an op may use (the request, capped by the process-wide pool). */
  get threads(): number {
    return this.native.threads;
  }

  /** Bytes of one session's activation arena. */
  get arenaBytes(): number {
    return this.native.arenaBytes;
  }

  /** Bytes held once for all sessions: the Program, unpacked int4 and packed weights. */
  get sharedBytes(): number {
    return this.native.sharedBytes;
  }

  /** Sessions alive on this model. */
  get sessions(): number {
    return this.native.sessions;
  }
}

/**
 * One execution context of a Model. Calls are ordered: `run`, `resetState`, `importState`,
 * `exportState` and `dispose` take effect in the order they were made, each after the runs made
 * before it; `runSync` runs at once and throws BUSY while earlier calls are still queued. Inputs
 * are copied when `run` is called.
 */
export class Session {
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  readonly source: string;
  private native: NativeSession | null;

  /** Made by `Model.createSession()`. */
  constructor(readonly model: Model, native: NativeSession) {
    this.native = native;
    this.inputs = model.inputs;
    this.outputs = model.outputs;
    this.source = model.source;
  }

  /** A session on its own Model, from Program bytes or .tflite bytes (compiled on the fly). */
  static fromBytes(bytes: Uint8Array, source = '<buffer>', options: SessionOptions = {}): Session {
    return Model.fromBytes(bytes, source, options).createSession();
  }

  /** The kernel set in use: "reference", "avx512-vnni", "avx2", "neon" or "neon-dotprod". */
  get kernels(): string {
    this.live();
    return this.model.kernels;
  }

  get threads(): number {
    this.live();
    return this.model.threads;
  }

  /** Bytes of the activation arena (one allocation for the session's lifetime). */
  get arenaBytes(): number {
    this.live();
    return this.model.arenaBytes;
  }

  /** Bytes of recurrent state (SVDF memory): the length of `exportState()`. */
  get stateBytes(): number {
    return this.live().stateBytes;
  }

  private live(): NativeSession {
    if (!this.native) throw new CleaveError('DISPOSED', `${this.source}: session is disposed`);
    return this.native;
  }

  private checkInputs(inputs: TensorData | TensorData[]): ArrayBufferView[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length !== this.inputs.length) {
      throw new CleaveError('BAD_INPUT', `${this.source}: expected ${this.inputs.length} input(s), got ${list.length}`);
    }
    return list.map((data, i) => {
      const want = this.inputs[i]!;
      if (!ArrayBuffer.isView(data)) throw new CleaveError('BAD_INPUT', `${this.source}: input ${i} ("${want.name}") must be a typed array`);
      const isRawBytes = data instanceof Uint8Array && !(want.dtype === 'uint8' || want.dtype === 'bool');
      const Ctor = ARRAY_TYPES[want.dtype];
      if (!isRawBytes && Ctor && !(data instanceof Ctor)) {
        throw new CleaveError('BAD_INPUT', `${this.source}: input ${i} ("${want.name}") expects ${want.dtype} [${want.shape}], got ${data.constructor.name}`);
      }
      if (data.byteLength !== want.byteLength) {
        throw new CleaveError('BAD_INPUT', `${this.source}: input ${i} ("${want.name}") expects ${want.dtype} [${want.shape}] = ${want.byteLength} bytes, got ${data.byteLength} bytes`);
      }
      return data;
    });
  }

  private toDetails(r: NativeRunResult): RunDetails {
    const details: RunDetails = { outputs: r.outputs.map((b, i) => typedView(b, this.outputs[i]!.dtype)), micros: r.nanos / 1000 };
    if (r.dumps) details.dumps = new Map(Object.entries(r.dumps).map(([k, v]) => [Number(k), v]));
    if (r.profile) details.profile = r.profile.map((p) => ({ op: p.op, name: p.name, kernel: p.kernel, micros: p.nanos / 1000 }));
    return details;
  }

  /** Runs on the session's worker thread, after every call made before it. */
  run(inputs: TensorData | TensorData[]): Promise<TensorData[]> {
    return this.runDetailed(inputs).then((d) => d.outputs);
  }

  runDetailed(inputs: TensorData | TensorData[], options: RunOptions = {}): Promise<RunDetails> {
    try {
      const native = this.live();
      return native.run(this.checkInputs(inputs), options.dump ?? false, options.profile ?? false).then(
        (r) => this.toDetails(r),
        (err: unknown) => inputError(this.source, err),
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** One run with each op timed (steady clock) and the kernel that ran it named. */
  profile(inputs: TensorData | TensorData[]): Promise<RunDetails & { profile: OpProfile[] }> {
    return this.runDetailed(inputs, { profile: true }) as Promise<RunDetails & { profile: OpProfile[] }>;
  }

  /** Runs on the calling thread, blocking the event loop; BUSY while queued calls have not finished. */
  runSync(inputs: TensorData | TensorData[], options: RunOptions = {}): RunDetails {
    const native = this.live();
    const checked = this.checkInputs(inputs);
    try {
      return this.toDetails(native.runSync(checked, options.dump ?? false, options.profile ?? false));
    } catch (err) {
      return inputError(this.source, err);
    }
  }

  /**
   * Energy per inference: one meter window around `runs` runs, divided by `runs`, so the meter's own
   * cost of starting and stopping is spread instead of counted in every inference.
   */
  async measureEnergy(inputs: TensorData | TensorData[], meter: EnergyMeter, runs: number): Promise<EnergyWindow> {
    this.checkInputs(inputs);
    return meterRuns(meter, runs, () => this.run(inputs));
  }

  /** Zeroes recurrent state (SVDF memory), as a fresh session has it, after the calls made before. */
  resetState(): Promise<void> {
    return this.live().resetState();
  }

  /** Recurrent state (every variable tensor, in tensor order) as it is after the calls made before. */
  exportState(): Promise<Uint8Array> {
    return this.live().exportState();
  }

  /** Replaces recurrent state with bytes from `exportState()` of a session on the same model (BAD_INPUT otherwise). */
  importState(state: Uint8Array): Promise<void> {
    if (!(state instanceof Uint8Array)) return Promise.reject(new CleaveError('BAD_INPUT', `${this.source}: state must be a Uint8Array`));
    return this.live().importState(state).catch((err: unknown) => inputError(this.source, err));
  }

  /** Frees the session once calls already made have finished; later calls throw DISPOSED. */
  dispose(): void {
    const native = this.native;
    this.native = null;
    native?.dispose();
  }
}

/** What `load` and `loadModel` read: a path, or the bytes of a .tflite model or a Program. */
export type ModelSource = string | Uint8Array | ArrayBuffer;

const OPTION_NAMES: readonly (keyof SessionOptions)[] = ['threads', 'kernels', 'inlineRunMicros'];

/** Refuses options that are not an object or name an option that does not exist (a typo would otherwise be ignored). */
function checkOptions(options: unknown, where: string): SessionOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new CleaveError('BAD_ARGUMENT', `${where}: options must be an object, got ${describeValue(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!(OPTION_NAMES as readonly string[]).includes(key)) {
      throw new CleaveError('BAD_ARGUMENT', `${where}: unknown option "${key}" (valid: ${OPTION_NAMES.join(', ')})`);
    }
  }
  return options as SessionOptions;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return typeof v;
}

/** The bytes of a source given as bytes; null for a path. */
function sourceBytes(source: unknown, where: string): Uint8Array | null {
  if (typeof source === 'string') {
    if (source === '') throw new CleaveError('BAD_ARGUMENT', `${where}: the path is empty`);
    return null;
  }
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  throw new CleaveError('BAD_ARGUMENT', `${where}: source must be a path, a Buffer, a Uint8Array or an ArrayBuffer, got ${describeValue(source)}`);
}

/** Loads a .tflite model or a compiled Program once, for any number of sessions. */
export async function loadModel(source: ModelSource, options: SessionOptions = {}): Promise<Model> {
  const checked = checkOptions(options, 'loadModel');
  const bytes = sourceBytes(source, 'loadModel');
  if (bytes) return Model.fromBytesAsync(bytes, '<buffer>', checked);
  const path = source as string;
  return Model.fromBytesAsync(await readUserFile(path, 'model'), path, checked);
}

/**
 * Loads, as one runner: a .tflite model or a compiled Program (a path, a Buffer, a Uint8Array or an
 * ArrayBuffer) as a Session; a split plan (a path ending in .json, written by `cleave split` or
 * `cleave plan`) as a PlanRunner, which runs the segments in sequence with the same `run`,
 * `runDetailed`, `inputs`, `outputs` and `dispose`. The compile runs on a worker thread and the
 * weight packing on a native one: the event loop stays free.
 */
export async function load(source: `${string}.json`, options?: SessionOptions): Promise<PlanRunner>;
export async function load(source: ModelSource, options?: SessionOptions): Promise<Session>;
export async function load(source: ModelSource, options: SessionOptions = {}): Promise<Session | PlanRunner> {
  const checked = checkOptions(options, 'load');
  if (sourceBytes(source, 'load') === null && (source as string).endsWith('.json')) return PlanRunner.load(source as string, checked);
  return (await loadModel(source, checked)).createSession();
}
