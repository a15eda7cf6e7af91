// Whole models against onnxruntime-node: cleave's `await session.run()` beside ORT's `await
// session.run()` on the ONNX peers of the same .tflite (bench/tflite-onnx.ts: int8 and fp32), on the
// same input, in rounds that alternate between the three so that a machine that gets busier slows
// them alike (as bench/overhead.ts does). What is reported: docs/benchmarks.md.
import type * as Ort from 'onnxruntime-node';
import type { Graph } from '../src/model/graph';
import { Model } from '../src/session';
import { ortSession, type OrtModule } from './ort';
import { exactWeightType, peerInput, PEER_VARIANTS, tfliteToOnnx, type PeerModel, type PeerVariant, type PeerWeightType } from './tflite-onnx';
import { quantile, round, timeAsync, type Budget } from './timing';

/** Wall time of the whole `await run()` call, µs, over all rounds' samples. */
export interface PeerTiming {
  wallMedianUs: number;
  wallP90Us: number;
  iterations: number;
}

export interface ModelPeerRow {
  model: string;
  threads: number;
  /** cleave's kernel set (`kernels: 'auto'`). */
  kernels: string;
  cleave: PeerTiming;
  /** onnxruntime-node on the int8 and fp32 peers; null when ORT could not run them (`ortError` says why). */
  ortInt8: PeerTiming | null;
  ortFp32: PeerTiming | null;
  /** The int8 peer's weights: u8 on x86 without VNNI (ORT's u8 × s8 saturates there), s8 elsewhere. */
  ortInt8Weights: PeerWeightType;
  /** The faster ORT variant, and cleave.wallMedianUs / its wallMedianUs (below 1: cleave is faster). */
  ortFastest: PeerVariant | null;
  ratio: number | null;
  /** Largest |cleave - ORT int8| output difference in LSB (requantization rounds differently). */
  ortInt8MaxDiffLsb: number | null;
  ortError?: string;
}

export const PEER_ROUNDS = 3;

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!;

function timing(wall: number[]): PeerTiming {
  return { wallMedianUs: round(quantile(wall, 0.5)), wallP90Us: round(quantile(wall, 0.9)), iterations: wall.length };
}

interface OrtPeer {
  variant: PeerVariant;
  session: Ort.InferenceSession;
  feeds: Record<string, Ort.Tensor>;
  wall: number[];
}

async function openPeer(ort: OrtModule, graph: Graph, peer: PeerModel, input: Uint8Array, threads: number): Promise<OrtPeer> {
  const session = await ortSession(ort, peer.bytes, threads);
  const tensor = new ort.Tensor(peer.input.type === 'uint8' ? 'uint8' : 'float32', peerInput(graph, peer.variant, new Int8Array(input.buffer, input.byteOffset, input.byteLength)), peer.input.dims);
  return { variant: peer.variant, session, feeds: { [peer.input.name]: tensor }, wall: [] };
}

/**
 * One row per thread count for a model: `program` is its compiled Program, `graph` the .tflite it
 * came from, `input` the bytes of one input (int8 wherever a peer exists). Without ORT (`ort` null)
 * cleave is still measured.
 */
export async function measureModelPeers(
  name: string, graph: Graph, program: Uint8Array, input: Uint8Array, threadCounts: readonly number[],
  ort: OrtModule | null, ortError: string | null, budget: Budget, cpu: { arch: string; avx512vnni?: boolean },
): Promise<ModelPeerRow[]> {
  const weights = exactWeightType(cpu);
  let peers: PeerModel[] = [];
  let conversionError: string | null = null;
  try {
    peers = PEER_VARIANTS.map((v) => tfliteToOnnx(graph, v, weights));
  } catch (err) {
    conversionError = errorText(err);
  }
  const rows: ModelPeerRow[] = [];
  for (const threads of threadCounts) {
    const model = Model.fromBytes(program, name, { threads });
    const session = model.createSession();
    const open: OrtPeer[] = [];
    let error = ort ? conversionError : ortError ?? 'onnxruntime-node not loaded';
    try {
      if (ort && !error) {
        try {
          for (const p of peers) open.push(await openPeer(ort, graph, p, input, threads));
        } catch (err) {
          error = `onnxruntime-node could not load the ${peers[open.length]!.variant} peer of ${name}: ${errorText(err)}`;
        }
      }
      const cleaveOut = (await session.run(input))[0]!;
      let maxDiff: number | null = null;
      for (const p of error === null ? open : []) {
        try {
          const out = Object.values(await p.session.run(p.feeds))[0]!.data;
          if (p.variant !== 'int8') continue;
          maxDiff = 0;
          for (let i = 0; i < out.length; i++) maxDiff = Math.max(maxDiff, Math.abs((out[i] as number) - 128 - (cleaveOut[i] as number)));
        } catch (err) {
          error = `onnxruntime-node could not run the ${p.variant} peer of ${name}: ${errorText(err)}`;
          maxDiff = null;
        }
      }
      const ok = error === null;
      const cleaveWall: number[] = [];
      for (let r = 0; r < PEER_ROUNDS; r++) {
        cleaveWall.push(...(await timeAsync(() => session.run(input), budget)).wall);
        if (ok) for (const p of open) p.wall.push(...(await timeAsync(() => p.session.run(p.feeds), budget)).wall);
      }
      const ortTiming = (v: PeerVariant) => {
        const p = open.find((o) => o.variant === v);
        return ok && p ? timing(p.wall) : null;
      };
      const row: ModelPeerRow = {
        model: name, threads, kernels: model.kernels, cleave: timing(cleaveWall),
        ortInt8: ortTiming('int8'), ortFp32: ortTiming('fp32'), ortInt8Weights: weights,
        ortFastest: null, ratio: null, ortInt8MaxDiffLsb: maxDiff,
      };
      if (row.ortInt8 && row.ortFp32) {
        row.ortFastest = row.ortInt8.wallMedianUs <= row.ortFp32.wallMedianUs ? 'int8' : 'fp32';
        const fastest = row.ortFastest === 'int8' ? row.ortInt8 : row.ortFp32;
        row.ratio = round(row.cleave.wallMedianUs / fastest.wallMedianUs, 3);
      }
      if (error) row.ortError = error;
      rows.push(row);
    } finally {
      session.dispose();
      for (const p of open) await p.session.release().catch(() => undefined);
    }
  }
  return rows;
}

/** One whole-model target of issue 14, as this run measured it. */
export interface TargetCheck {
  target: string;
  measured: number | null;
  /** null: not measured in this run (model not selected, or ORT absent). */
  met: boolean | null;
}

const ONE_THREAD_TARGETS: [string, number][] = [
  ['mlperf_tiny_kws', 0.7], ['mlperf_tiny_vww', 0.7], ['mlperf_tiny_ic', 0.7], ['tflm_person_detect', 0.7], ['mlperf_tiny_ad', 0.5],
];
const TWO_THREAD_MODELS = ['mlperf_tiny_vww', 'tflm_person_detect', 'mlperf_tiny_ic'];
const TWO_THREAD_SPEEDUP = 1.5;

/**
 * Issue 14's whole-model targets against this run's rows: at 1 thread, cleave at most 0.7× ORT's
 * faster variant (ad: below 0.5×); at 2 threads, cleave at least 1.5× its own 1-thread speed.
 */
export function wholeModelTargets(rows: readonly ModelPeerRow[]): TargetCheck[] {
  const at = (model: string, threads: number) => rows.find((r) => r.model === model && r.threads === threads);
  const checks: TargetCheck[] = ONE_THREAD_TARGETS.map(([model, bound]) => {
    const ratio = at(model, 1)?.ratio ?? null;
    const strict = bound === 0.5; // "stays below 0.5×"; the others are "at most"
    return {
      target: `${model}, 1 thread: cleave / ORT's faster variant ${strict ? '<' : '≤'} ${bound}`,
      measured: ratio,
      met: ratio === null ? null : strict ? ratio < bound : ratio <= bound,
    };
  });
  for (const model of TWO_THREAD_MODELS) {
    const [one, two] = [at(model, 1), at(model, 2)];
    const speedup = one && two ? round(one.cleave.wallMedianUs / two.cleave.wallMedianUs, 2) : null;
    checks.push({ target: `${model}: cleave at 2 threads ≥ ${TWO_THREAD_SPEEDUP}× its 1-thread speed`, measured: speedup, met: speedup === null ? null : speedup >= TWO_THREAD_SPEEDUP });
  }
  return checks;
}
