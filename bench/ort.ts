// onnxruntime-node, the peer the benchmark compares with: loading it (or saying why not), sessions
// configured alike for every case, and its per-call overhead on a one-byte Identity model.
import type * as Ort from 'onnxruntime-node';
import { encodeModel } from './onnx';
import { quantile, timeAsync, type Budget } from './timing';

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export type OrtModule = typeof Ort;

export function loadOrt(enabled: boolean): { ort: OrtModule | null; version: string | null; error: string | null } {
  if (!enabled) return { ort: null, version: null, error: 'disabled by --no-ort' };
  // CLEAVE_BENCH_ORT names another module to load instead (tests use it to simulate a broken install).
  const id = process.env.CLEAVE_BENCH_ORT ?? 'onnxruntime-node';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ort = require(id) as OrtModule;
    const version = (ort.env?.versions as Record<string, string> | undefined)?.node ?? null;
    return { ort, version, error: null };
  } catch (err) {
    return { ort: null, version: null, error: `cannot load ${id}: ${errorText(err).split('\n')[0]}` };
  }
}

export async function ortSession(ort: OrtModule, bytes: Uint8Array, threads: number): Promise<Ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
  });
}

/** Wall time of one ORT call on a one-byte Identity model: its per-call overhead from JS. */
export async function ortOverhead(ort: OrtModule, budget: Budget): Promise<number> {
  const bytes = encodeModel({
    name: 'identity',
    nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'] }],
    initializers: [],
    inputs: [{ name: 'x', type: 'uint8', dims: [1] }],
    outputs: [{ name: 'y', type: 'uint8', dims: [1] }],
  });
  const s = await ortSession(ort, bytes, 1);
  const feeds = { x: new ort.Tensor('uint8', new Uint8Array(1), [1]) };
  try {
    return quantile((await timeAsync(() => s.run(feeds), budget)).wall, 0.5);
  } finally {
    await s.release();
  }
}
