// The one typed door to build/Release/cleave_bench.node: native code only the benchmark uses (the
// int8 MAC ceiling loops of native/bench/peak.cc, the thread pool's hand-off of native/bench/pool_handoff.cc), built as its own node-gyp target so the runtime
// addon carries none of it. Only bench/ imports this file.
import * as path from 'node:path';
import { packageRoot } from '../src/paths';

export type PeakLoop = 'avx2-vpmaddubsw' | 'avx512-vpdpbusd' | 'neon-sdot' | 'neon-smlal';

export interface BenchBinding {
  /**
   * The int8 MAC ceiling of one core in GMAC/s: a register-only SIMD multiply-accumulate loop run for
   * about `milliseconds` (best of ~5 ms windows); 0 where this CPU lacks the loop. `loop` defaults to
   * `peakLoop`; "avx512-vpdpbusd" measures the AVX-512 VNNI ceiling peers may use.
   */
  measurePeakGmac(milliseconds: number, loop?: PeakLoop): number;
  /** The ceiling loop matching cleave's kernels here: "avx2-vpmaddubsw", "neon-sdot", "neon-smlal" or "none". */
  readonly peakLoop: string;
  /**
   * `calls` parallel-fors of `threads` tasks on a thread pool of its own (the runtime's pool code),
   * each task busy for `taskMicros` (0: empty), `idleMicros` of sleep before each call: the µs of
   * each call, and how many of the tasks ran on workers rather than the calling thread.
   */
  measurePoolHandoff(threads: number, calls: number, idleMicros: number, taskMicros: number): { micros: Float64Array; tasksOnWorkers: number; tasks: number };
}

/** The benchmark addon, or why it cannot be loaded (a build without it still runs the rest). */
export function loadBenchBinding(): { binding: BenchBinding | null; error: string | null } {
  const file = path.join(packageRoot, 'build', 'Release', 'cleave_bench.node');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { binding: require(file) as BenchBinding, error: null };
  } catch (err) {
    return { binding: null, error: `cannot load ${file}: ${(err as Error).message.split('\n')[0]} (run \`npm run build\`)` };
  }
}
