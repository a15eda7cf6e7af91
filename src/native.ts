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

export interface NativeRunResult {
  outputs: Buffer[];
  /** Time spent in the interpreter (not counting copies), in nanoseconds. */
  nanos: number;
  /** With dumping on: bytes of each tensor by its source-model index, copied right after its op. */
  dumps?: Record<string, Buffer>;
}

export interface NativeSessionOptions {
  /** Threads for intra-op parallelism, counting the calling thread. */
  threads?: number;
  /** "auto", "reference", or an optimized set: "avx512-vnni", "avx2", "neon", "neon-dotprod". */
  kernels?: string;
}

/** A validated Program with its arena; one run at a time (a second concurrent run throws "busy"). */
export interface NativeSession {
  readonly arenaBytes: number;
  /** The kernel set in use: "reference" or an optimized set's name. */
  readonly kernels: string;
  readonly threads: number;
  run(inputs: ArrayBufferView[], dump: boolean): Promise<NativeRunResult>;
  runSync(inputs: ArrayBufferView[], dump: boolean): NativeRunResult;
  resetState(): void;
  dispose(): void;
}

export interface NativeBinding {
  version: string;
  cpuFeatures(): CpuFeatures;
  /** Throws "invalid Program: ..." when the bytes fail validation. */
  NativeSession: new (program: Uint8Array, options?: NativeSessionOptions) => NativeSession;
  /**
   * The int8 MAC ceiling of one core in GMAC/s: a register-only SIMD multiply-accumulate loop run for
   * about `milliseconds` (best of ~5 ms windows); 0 where this CPU lacks the loop. `loop` defaults to
   * `peakLoop`; "avx512-vpdpbusd" measures the AVX-512 VNNI ceiling peers may use (native/bench/peak.cc).
   */
  measurePeakGmac(milliseconds: number, loop?: 'avx2-vpmaddubsw' | 'avx512-vpdpbusd' | 'neon-sdot' | 'neon-smlal'): number;
  /** The ceiling loop matching cleave's kernels here: "avx2-vpmaddubsw", "neon-sdot", "neon-smlal" or "none". */
  readonly peakLoop: string;
  /** Wire codecs (native/codec, native/addon/codec_glue.cc), typed in src/codec/binding.ts. */
  codecEncode: import('./codec/binding').NativeCodecEncode;
  codecDecode: import('./codec/binding').NativeCodecDecode;
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
