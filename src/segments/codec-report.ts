// What each wire codec does to the tensors crossing one cut: size (against fp32 and raw int8),
// encode/decode speed, element error, and the effect on the model's final output when the decoded
// tensors feed the rest of the model. Behind `cleave codecs`.
import { deflateRawSync } from 'node:zlib';
import { CODECS, type CodecName, type CodecOptions, decode, encode } from '../codec';
import { compileGraph } from '../compile/program';
import type { Graph } from '../model/graph';
import { Session, type TensorData } from '../session';
import { type Agreement, compareOutputs } from './agreement';
import { splitGraph } from './segment';

export interface CodecRow {
  codec: string;
  lossless: boolean;
  /** Mean encoded bytes of all crossing tensors per inference (headers included). */
  bytes: number;
  ratioToFp32: number;
  ratioToInt8: number;
  encodeMBps: number;
  decodeMBps: number;
  maxAbsError: number;
  meanAbsError: number;
  output: Agreement;
}

export interface CodecReport {
  model: string;
  cut: number;
  crossing: { tensor: number; shape: number[]; bytes: number }[];
  cases: number;
  rows: CodecRow[];
}

const MIN_TIMING_SECONDS = 0.02;
/** Plain deflate as the yardstick the lossless codec is measured against (not a wire format). */
const DEFLATE_LEVELS = [1, 6] as const;

/** Repeats `fn` until it has run for a measurable time; returns seconds per call. */
function timePerCall(fn: () => void): number {
  let calls = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    fn();
    calls++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  } while (elapsed < MIN_TIMING_SECONDS);
  return elapsed / calls;
}

function bytesOf(t: TensorData): Uint8Array {
  return new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
}

/** The steps `codecReport` counts on its `progress` for `cases` input sets: a case per codec and yardstick. */
export function codecReportSteps(cases: number): number {
  return (CODECS.length + DEFLATE_LEVELS.length) * cases;
}

export function codecReport(graph: Graph, cut: number, inputSets: Uint8Array[][], options: CodecOptions = {}, progress?: { advance(n?: number): void }): CodecReport {
  const [head, tail] = splitGraph(graph, [cut], 'codecs');
  const headSession = Session.fromBytes(compileGraph(head!.graph).bytes, 'head', { threads: 1 });
  const tailSession = Session.fromBytes(compileGraph(tail!.graph).bytes, 'tail', { threads: 1 });
  const crossingSpecs = head!.outputs.map((t) => graph.tensors[t]!);
  // What crosses, per case, and the model output when it crosses untouched.
  const crossings = inputSets.map((inputs) => {
    headSession.resetState();
    return headSession.runSync(inputs).outputs;
  });
  const tailInput = (values: TensorData[]) => tail!.inputs.map((t) => values[head!.outputs.indexOf(t)] ?? values[0]!);
  const reference = crossings.map((values) => {
    tailSession.resetState();
    return tailSession.runSync(tailInput(values)).outputs[0]!;
  });
  const rawBytes = crossingSpecs.reduce((n, t) => n + t.byteLength, 0);
  const fp32Bytes = crossingSpecs.reduce((n, t) => n + 4 * t.shape.reduce((a, b) => a * b, 1), 0);

  const rows: CodecRow[] = [];
  for (const codec of CODECS) {
    if (!crossingSpecs.every((t) => codec.dtypes.includes(t.dtype as never))) {
      progress?.advance(crossings.length);
      continue;
    }
    let bytes = 0, encodeSeconds = 0, decodeSeconds = 0, errSum = 0, errMax = 0, elements = 0;
    const pairs: [TensorData, TensorData][] = [];
    crossings.forEach((values, c) => {
      const decoded = values.map((v, k) => {
        const spec = crossingSpecs[k]!;
        const wire = { data: v, dtype: spec.dtype as 'int8', shape: spec.shape, scale: spec.quantization?.scale[0] ?? 0, zeroPoint: spec.quantization?.zeroPoint[0] ?? 0 };
        const payload = encode(codec.name as CodecName, wire, options);
        bytes += payload.length;
        encodeSeconds += timePerCall(() => encode(codec.name as CodecName, wire, options));
        decodeSeconds += timePerCall(() => decode(payload));
        const out = decode(payload).data;
        const a = bytesOf(v);
        for (let i = 0; i < a.length; i++) {
          const d = Math.abs(((a[i]! << 24) >> 24) - ((out[i]! << 24) >> 24));
          errSum += d;
          errMax = Math.max(errMax, d);
        }
        elements += a.length;
        return new Int8Array(out.buffer, out.byteOffset, out.byteLength) as TensorData;
      });
      tailSession.resetState();
      pairs.push([reference[c]!, tailSession.runSync(tailInput(decoded)).outputs[0]!]);
      progress?.advance();
    });
    const perCase = bytes / crossings.length;
    rows.push({
      codec: codec.name,
      lossless: codec.lossless,
      bytes: perCase,
      ratioToFp32: fp32Bytes / perCase,
      ratioToInt8: rawBytes / perCase,
      encodeMBps: (rawBytes * crossings.length) / encodeSeconds / 1e6,
      decodeMBps: (rawBytes * crossings.length) / decodeSeconds / 1e6,
      maxAbsError: errMax,
      meanAbsError: elements ? errSum / elements : 0,
      output: compareOutputs(pairs),
    });
  }
  for (const level of DEFLATE_LEVELS) {
    let bytes = 0, seconds = 0;
    for (const values of crossings) {
      for (const v of values) {
        bytes += deflateRawSync(bytesOf(v), { level }).length;
        seconds += timePerCall(() => deflateRawSync(bytesOf(v), { level }));
      }
      progress?.advance();
    }
    const perCase = bytes / crossings.length;
    rows.push({
      codec: `deflate-${level} (reference)`, lossless: true, bytes: perCase, ratioToFp32: fp32Bytes / perCase, ratioToInt8: rawBytes / perCase,
      encodeMBps: (rawBytes * crossings.length) / seconds / 1e6, decodeMBps: NaN, maxAbsError: 0, meanAbsError: 0,
      output: { cases: crossings.length, top1Agreement: 1, meanAbsDiff: 0, maxAbsDiff: 0 },
    });
  }
  headSession.dispose();
  tailSession.dispose();
  return {
    model: graph.source,
    cut,
    crossing: crossingSpecs.map((t) => ({ tensor: t.index, shape: t.shape, bytes: t.byteLength })),
    cases: crossings.length,
    rows,
  };
}
