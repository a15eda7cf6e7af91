// The one typed door to the native addon (as onnxruntime-node's binding.ts): this file declares
// exactly what build/Release/cleave.node exports. Nothing else in cleave requires the .node file.
import * as path from 'node:path';
import { CleaveError } from './errors';
import { packageRoot } from './paths';

export interface CpuFeatures {
  arch: 'x64' | 'arm64' | 'other';
  avx2: boolean;
  fma: boolean;
  /** AVX-512 VNNI with AVX512VL (vpdpwssd on 256-bit registers). */
  avx512vnni: boolean;
  neon: boolean;
  dotprod: boolean;
}

export interface NativeOpTiming {
  /** Op index in the Program. */
  op: number;
  /** The op's name ("CONV_2D", ...). */
  name: string;
  /** The kernel that ran it: "reference" or an optimized set's name. */
  kernel: string;
  /** Steady-clock time of the op, in nanoseconds. */
  nanos: number;
}

export interface NativeRunResult {
  outputs: Buffer[];
  /** Time spent in the interpreter (not counting copies), in nanoseconds. */
  nanos: number;
  /** With dumping on: bytes of each tensor by its source-model index, copied right after its op. */
  dumps?: Record<string, Buffer>;
  /** With profiling on: every op in execution order. */
  profile?: NativeOpTiming[];
}

export interface NativeModelOptions {
  /** Threads an op may use, counting the calling thread; capped by the process-wide pool. */
  threads?: number;
  /** "auto", "reference", or an optimized set: "avx512-vnni", "avx2", "neon", "neon-dotprod". */
  kernels?: string;
  /** Runs of a session whose previous run took less than this many µs execute on the calling thread when nothing is queued. */
  inlineMicros?: number;
}

/**
 * A validated Program with its weights unpacked and packed once (native/host/loaded_model.h),
 * shared by every session it creates. Errors carry `code` (a StatusCodeName).
 */
export interface NativeModel {
  readonly arenaBytes: number;
  /** The kernel set in use: "reference" or an optimized set's name. */
  readonly kernels: string;
  readonly threads: number;
  /** Bytes held once for all sessions: Program, unpacked int4 and packed weights. */
  readonly sharedBytes: number;
  /** Sessions (execution contexts) alive on this model. */
  readonly sessions: number;
  createSession(): NativeSession;
}

/**
 * One execution context (arena, recurrent state) on a NativeModel, with its own worker thread. Calls
 * are ordered: run and the state calls queue behind earlier ones; runSync throws BUSY while any are
 * queued. Inputs are copied when run() is called.
 */
export interface NativeSession {
  /** Calls queued and not yet settled. */
  readonly pending: number;
  /** Bytes of recurrent state (exportState's length). */
  readonly stateBytes: number;
  run(inputs: ArrayBufferView[], dump: boolean, profile: boolean): Promise<NativeRunResult>;
  runSync(inputs: ArrayBufferView[], dump: boolean, profile: boolean): NativeRunResult;
  resetState(): Promise<void>;
  exportState(): Promise<Buffer>;
  importState(state: Uint8Array): Promise<void>;
  dispose(): void;
}

export interface NativeBinding {
  version: string;
  cpuFeatures(): CpuFeatures;
  /** Validates and packs on the calling thread. */
  NativeModel: new (program: Uint8Array, options?: NativeModelOptions) => NativeModel;
  /** Validates and packs on a worker thread. */
  loadModel(program: Uint8Array, options?: NativeModelOptions): Promise<NativeModel>;
  /** Wire codecs (native/codec, native/addon/codec_glue.cc), typed in src/codec/binding.ts. */
  codecEncode: import('./codec/binding').NativeCodecEncode;
  codecDecode: import('./codec/binding').NativeCodecDecode;
  /**
   * sd_notify(3): sends `state` ("READY=1", "STATUS=…", "WATCHDOG=1", …) as one datagram to
   * $NOTIFY_SOCKET (a path, or '@' for the abstract namespace) without blocking. False when
   * NOTIFY_SOCKET is unset (not run by a service manager); throws NOTIFY_FAILED when the send fails
   * and BAD_ARGUMENT for a NOTIFY_SOCKET that is no unix socket address.
   */
  sdNotify(state: string): boolean;
}

function loadBinding(): NativeBinding {
  // CLEAVE_ADDON points at another build of the addon (e.g. an arm64 cross-build run under qemu).
  const file = process.env.CLEAVE_ADDON ?? path.join(packageRoot, 'build', 'Release', 'cleave.node');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as NativeBinding;
  } catch (err) {
    throw new CleaveError('NO_ADDON', `cannot load the native addon ${file}: ${(err as Error).message} (run \`npm run build\`)`);
  }
}

let loaded: NativeBinding | undefined;

/**
 * The addon, loaded on first use: commands that never touch it (board listing, inspect) keep
 * working even when the native build is missing, and say so only when it is needed.
 */
export const binding: NativeBinding = new Proxy({} as NativeBinding, {
  get: (_target, key) => {
    loaded ??= loadBinding();
    return loaded[key as keyof NativeBinding];
  },
});
