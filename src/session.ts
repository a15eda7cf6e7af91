// The JS API of the interpreter: load a model or Program, describe its inputs and outputs, run it.
// Arguments are validated here with messages that name the input; the native session does the work
// on a worker thread (run) or inline (runSync).
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import { CleaveError } from './errors';
import { compileGraph, isProgram, readProgramTables, ProgramError } from './compile/program';
import type { ProgramTensor } from './compile/program';
import { isTflite, readModel } from './model/reader';
import type { EnergyMeter, EnergyReading } from '../hal';
import { binding, type NativeRunResult, type NativeSession } from './native';

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
  kernels?: 'auto' | 'reference' | 'avx512-vnni' | 'avx2' | 'neon' | 'neon-dotprod';
  /**
   * An energy meter from the HAL (e.g. `openBestEnergyMeter(board)`): each run then carries the
   * joules it took, with the meter's name and whether they were measured or estimated.
   */
  energyMeter?: EnergyMeter;
}

export interface RunDetails {
  outputs: TensorData[];
  /** Interpreter time of this run in microseconds. */
  micros: number;
  /** With `dump: true`: every non-constant tensor by its .tflite index (see `cleave run --dump-tensors`). */
  dumps?: Map<number, Uint8Array>;
  /** With an energy meter: the energy of this run (meter name, measured or estimated). */
  energy?: EnergyReading;
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

export class Session {
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  private native: NativeSession | null;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    native: NativeSession,
    inputs: TensorSpec[],
    outputs: TensorSpec[],
    readonly source: string,
    private readonly energyMeter?: EnergyMeter,
  ) {
    this.native = native;
    this.inputs = inputs;
    this.outputs = outputs;
  }

  /** Creates a session from Program bytes or .tflite bytes (compiled on the fly). */
  static fromBytes(bytes: Uint8Array, source = '<buffer>', options: SessionOptions = {}): Session {
    const threads = options.threads ?? os.availableParallelism();
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
      throw new CleaveError('BAD_ARGUMENT', `threads must be an integer from 1 to 256, got ${options.threads}`);
    }
    if (!isProgram(bytes) && !isTflite(bytes)) {
      throw new CleaveError('NOT_A_MODEL', `${source}: neither a cleave Program (magic "CLVP") nor a TFLite model (identifier "TFL3")`);
    }
    const program = isProgram(bytes) ? bytes : compileGraph(readModel(bytes, source)).bytes;
    const tables = readProgramTables(program, source);
    let native: NativeSession;
    try {
      native = new binding.NativeSession(program, { threads, kernels: options.kernels ?? 'auto' });
    } catch (err) {
      if (err instanceof CleaveError) throw err;
      const message = (err as Error).message;
      if (message.startsWith('kernel set')) throw new CleaveError('BAD_ARGUMENT', `${source}: ${message}`);
      throw new ProgramError(source, message);
    }
    const byId = (id: number) => spec(tables.tensors[id]!);
    return new Session(native, tables.inputs.map(byId), tables.outputs.map(byId), source, options.energyMeter);
  }

  /** The kernel set in use: "reference", "avx512-vnni", "avx2", "neon" or "neon-dotprod". */
  get kernels(): string {
    return this.live().kernels;
  }

  get threads(): number {
    return this.live().threads;
  }

  /** Bytes of the activation arena (one allocation for the session's lifetime). */
  get arenaBytes(): number {
    return this.live().arenaBytes;
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
    return details;
  }

  /** Runs on a worker thread; calls are queued so each sees the previous one's state. */
  async run(inputs: TensorData | TensorData[]): Promise<TensorData[]> {
    return (await this.runDetailed(inputs)).outputs;
  }

  runDetailed(inputs: TensorData | TensorData[], options: { dump?: boolean } = {}): Promise<RunDetails> {
    const checked = this.checkInputs(inputs);
    // Runs requested before dispose() still complete: they hold the native session themselves.
    const native = this.live();
    const meter = this.energyMeter;
    const next = this.queue.then(async () => {
      if (!meter) return this.toDetails(await native.run(checked, options.dump ?? false));
      await meter.start();
      const result = await native.run(checked, options.dump ?? false).catch(async (err: unknown) => {
        await meter.stop().catch(() => undefined);
        throw err;
      });
      return { ...this.toDetails(result), energy: await meter.stop() };
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Runs on the calling thread; blocks the event loop for the duration of the inference. */
  runSync(inputs: TensorData | TensorData[], options: { dump?: boolean } = {}): RunDetails {
    return this.toDetails(this.live().runSync(this.checkInputs(inputs), options.dump ?? false));
  }

  /** Zeroes recurrent state (SVDF memory), as a freshly loaded session has it. */
  resetState(): void {
    this.live().resetState();
  }

  /** Frees the session once runs already requested have finished; later calls throw DISPOSED. */
  dispose(): void {
    const native = this.native;
    this.native = null;
    if (native) void this.queue.then(() => native.dispose());
  }
}

/** Loads a .tflite model or a compiled Program from a path or from bytes. */
export async function load(source: string | Uint8Array, options: SessionOptions = {}): Promise<Session> {
  if (typeof source !== 'string') return Session.fromBytes(source, '<buffer>', options);
  let bytes: Uint8Array;
  try {
    bytes = await fsp.readFile(source);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CleaveError('FILE_NOT_FOUND', `${source}: cannot read: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  return Session.fromBytes(bytes, source, options);
}
