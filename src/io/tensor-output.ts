// Output tensors for people: dequantized scores, the argmax and the top K classes with their
// labels; and written to files as raw bytes or, for a .npy name, as a NumPy array.
import * as path from 'node:path';
import type { TensorData, TensorSpec } from '../session';
import { writeUserFile } from './files';
import { formatNpy } from './npy';
import { dequantize } from './quantize';

export interface ScoredClass {
  /** Flat index in the output tensor. */
  index: number;
  label?: string;
  score: number;
}

export interface OutputReport extends TensorSpec {
  /** The tensor's values as stored (quantized integers for int8/uint8/int16). */
  values: number[];
  /** Real values: (q - zero_point) * scale. */
  scores: number[];
  argmax: number;
  top: ScoredClass[];
}

/**
 * The report of one output. `labels` name the classes when there is one per element of the
 * output's last dimension; otherwise classes are shown by index.
 */
export function describeOutput(data: TensorData, spec: TensorSpec, labels: string[] | null, topK: number): OutputReport {
  const scores = Array.from(dequantize(data, spec));
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  const classes = spec.shape[spec.shape.length - 1] ?? scores.length;
  const named = labels !== null && labels.length === classes;
  const top = order.slice(0, Math.min(topK, scores.length)).map((index) => ({
    index,
    ...(named ? { label: labels[index % classes]! } : {}),
    score: scores[index]!,
  }));
  return { ...spec, values: Array.from(data as ArrayLike<number>), scores, argmax: order[0] ?? 0, top };
}

/**
 * "t87 int8[1x2]: -128, 127" then "  top 2: person 0.996 (1), no_person 0.0039 (0)"; `emphasize`
 * marks the top class (bold on a terminal).
 */
export function formatOutput(o: OutputReport, emphasize: (text: string) => string = (text) => text): string {
  const shown = o.values.length > 32 ? `${o.values.slice(0, 32).join(', ')}, … (${o.values.length} values)` : o.values.join(', ');
  const lines = [`output t${o.index} ${o.dtype}[${o.shape.join('x')}]: ${shown}`];
  if (o.top.length > 0) {
    const classes = o.top.map((c, k) => {
      const text = `${c.label ?? `#${c.index}`} ${formatScore(c.score)}`;
      return `${k === 0 ? emphasize(text) : text}${c.label !== undefined ? ` (${c.index})` : ''}`;
    });
    lines.push(`  top ${o.top.length}: ${classes.join(', ')}`);
  }
  return lines.join('\n');
}

function formatScore(v: number): string {
  return Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : Number(v.toFixed(4)).toString();
}

/** Writes the output: a NumPy array of its dtype for a .npy name, its raw bytes otherwise. */
export async function writeTensorFile(file: string, data: TensorData, spec: TensorSpec): Promise<void> {
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bytes = path.extname(file).toLowerCase() === '.npy' && (data instanceof Float32Array || data instanceof Int8Array || data instanceof Uint8Array)
    ? formatNpy(data, spec.shape)
    : raw;
  await writeUserFile(file, bytes, `output "${spec.name}"`);
}
