// Tensors for the codec tests: seeded random ones shaped like activations, and every int8 activation
// of the golden dumps in models/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from '../../src/compile/crc32';
import type { WireTensor } from '../../src/codec';
import { prng } from '../fuzz/mutate';
import { goldenCases, readManifest, shippedModels } from '../lib/models';

export type Kind = 'uniform' | 'relu' | 'runs' | 'narrow' | 'constant';

export function count(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}

/** An int8 tensor of `shape` whose values follow `kind` around `zeroPoint` (seeded). */
export function randomInt8(shape: number[], kind: Kind, seed: number, zeroPoint = -128): WireTensor {
  const rand = prng(seed);
  const n = count(shape);
  const q = new Int8Array(n);
  const clamp = (v: number) => Math.max(-128, Math.min(127, Math.round(v)));
  switch (kind) {
    case 'uniform':
      for (let i = 0; i < n; i++) q[i] = Math.floor(rand() * 256) - 128;
      break;
    case 'relu': {
      // Zero point with probability p, otherwise an exponential tail above it (and rare big values).
      const p = 0.2 + 0.7 * rand();
      const mean = 2 + 40 * rand();
      for (let i = 0; i < n; i++) {
        if (rand() < p) q[i] = zeroPoint;
        else q[i] = clamp(zeroPoint + 1 + -Math.log(1 - rand()) * (rand() < 0.02 ? 120 : mean));
      }
      break;
    }
    case 'runs': {
      // Long runs of the zero point (up to thousands) between short bursts of values.
      let i = 0;
      while (i < n) {
        const run = Math.floor(-Math.log(1 - rand()) * (rand() < 0.3 ? 2000 : 40));
        for (let j = 0; j < run && i < n; j++) q[i++] = zeroPoint;
        const burst = 1 + Math.floor(rand() * 20);
        for (let j = 0; j < burst && i < n; j++) q[i++] = Math.floor(rand() * 256) - 128;
      }
      break;
    }
    case 'narrow':
      for (let i = 0; i < n; i++) q[i] = clamp(zeroPoint + (rand() - 0.5) * 12);
      break;
    case 'constant': {
      const v = Math.floor(rand() * 256) - 128;
      q.fill(v);
      break;
    }
  }
  return { data: new Uint8Array(q.buffer), dtype: 'int8', shape, scale: 0.05, zeroPoint };
}

export interface GoldenActivation {
  model: string;
  caseName: string;
  index: number;
  role: string;
  producer: string;
  tensor: WireTensor;
}

let cache: GoldenActivation[] | undefined;

/** Every int8 tensor of every golden case (inputs, intermediates, outputs). */
export function goldenActivations(): GoldenActivation[] {
  if (cache) return cache;
  const list: GoldenActivation[] = [];
  for (const m of shippedModels().filter((x) => x.hasGoldens)) {
    for (const c of goldenCases(m)) {
      for (const e of readManifest(m, c) as (ReturnType<typeof readManifest>[number] & {
        scale: number[];
        zero_point: number[];
        producer?: string;
      })[]) {
        if (e.dtype !== 'int8') continue;
        const bytes = fs.readFileSync(path.join(m.dir, c, e.file));
        list.push({
          model: m.name,
          caseName: c,
          index: e.index,
          role: e.role,
          producer: e.producer ?? '',
          tensor: { data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), dtype: 'int8', shape: e.shape,
            scale: Math.fround(e.scale[0]!), zeroPoint: e.zero_point[0]! },
        });
      }
    }
  }
  cache = list;
  return list;
}

export function int8(t: { data: ArrayBufferView }): Int8Array {
  return new Int8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Recomputes both CRCs (payload CRC at 36, header CRC at 40) after a deliberate change. */
export function resign(bytes: Uint8Array): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 44) {
    dv.setUint32(36, crc32(bytes.subarray(44)), true);
    dv.setUint32(40, crc32(bytes.subarray(0, 40)), true);
  }
  return bytes;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
