// How far a changed model (int4 segments, lossy wire codecs) drifts from the original on a set of
// inputs: top-1 agreement of the final output and its mean absolute difference in quantized units.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TensorData } from '../session';

export interface Agreement {
  cases: number;
  top1Agreement: number;
  meanAbsDiff: number;
  maxAbsDiff: number;
}

export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

export function compareOutputs(pairs: [TensorData, TensorData][]): Agreement {
  let agree = 0, sum = 0, count = 0, max = 0;
  for (const [a, b] of pairs) {
    if (argmax(a) === argmax(b)) agree++;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(Number(a[i]) - Number(b[i]));
      sum += d;
      max = Math.max(max, d);
      count++;
    }
  }
  return { cases: pairs.length, top1Agreement: pairs.length ? agree / pairs.length : 1, meanAbsDiff: count ? sum / count : 0, maxAbsDiff: max };
}

/**
 * Input sets from a directory of golden cases (<dir>/<case>/manifest.json + t<index>.bin), as
 * shipped beside each model; `inputIndices` are the model's input tensor indices.
 */
export function readCaseInputs(dir: string, inputIndices: number[]): { name: string; inputs: Uint8Array[] }[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).sort()
    .filter((c) => fs.existsSync(path.join(dir, c, 'manifest.json')) && inputIndices.every((i) => fs.existsSync(path.join(dir, c, `t${i}.bin`))))
    .map((c) => ({ name: c, inputs: inputIndices.map((i) => new Uint8Array(fs.readFileSync(path.join(dir, c, `t${i}.bin`)))) }));
}
