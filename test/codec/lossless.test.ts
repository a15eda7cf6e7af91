// The lossless wire codecs (raw, lossless) give back exactly the bytes they were given: seeded random
// tensors of many shapes and dtypes, long zero-point runs, constant tensors, and every int8 tensor of
// the golden dumps. Compression against plain deflate is reported (t.comment), never timed.
import t from 'tap';
import * as zlib from 'node:zlib';
import { decode, encode, HEADER_BYTES, type WireDType, type WireTensor } from '../../src/codec';
import { prng } from '../fuzz/mutate';
import { count, goldenActivations, median, randomInt8, type Kind } from './helpers';

const SHAPES: number[][] = [
  [], [0], [1], [2], [7], [255], [256], [257], [1, 1], [3, 5], [1, 0, 4], [1, 1, 1, 1], [2, 3, 5, 7],
  [1, 13, 1, 257], [1, 48, 48, 8], [1, 6, 6, 128], [4099], [1, 25, 5, 64],
];
const KINDS: Kind[] = ['uniform', 'relu', 'runs', 'narrow', 'constant'];

function roundTrip(t: { fail(message: string): boolean }, codec: 'raw' | 'lossless', tensor: WireTensor, label: string): number {
  const bytes = encode(codec, tensor);
  const d = decode(bytes);
  const ok = Buffer.compare(d.data, Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength)) === 0 &&
    d.dtype === tensor.dtype && JSON.stringify(d.shape) === JSON.stringify(tensor.shape) &&
    d.scale === Math.fround(tensor.scale) && d.zeroPoint === tensor.zeroPoint && d.codec.name === codec && d.codec.errorBound === 0;
  if (!ok) t.fail(`${codec} ${label}: round trip differs`);
  return bytes.length;
}

t.test('random int8 tensors round-trip exactly (raw and lossless)', async (t) => {
  let cases = 0;
  let seed = 1;
  for (const shape of SHAPES) {
    for (const kind of KINDS) {
      for (const zp of [-128, -3, 0, 127]) {
        const tensor = randomInt8(shape, kind, seed++, zp);
        for (const codec of ['raw', 'lossless'] as const) {
          const size = roundTrip(t, codec, tensor, `[${shape}] ${kind} zp=${zp} seed=${seed - 1}`);
          if (codec === 'lossless') {
            // Never larger than stored: header + one block-kind byte + the bytes.
            t.ok(size <= HEADER_BYTES + 1 + count(shape), `lossless [${shape}] ${kind}: ${size} bytes at most stored size`) || t.bailout();
          }
          cases++;
        }
      }
    }
  }
  t.comment(`${cases} round trips`);
});

t.test('constant tensors: all -128, all 127, all zero point', async (t) => {
  for (const shape of [[1], [1, 96, 96, 3], [1, 48, 48, 16], [100000]]) {
    const n = count(shape);
    for (const v of [-128, 127, 0]) {
      const q = new Int8Array(n).fill(v);
      const tensor: WireTensor = { data: q, dtype: 'int8', shape, scale: 0.02, zeroPoint: v === 0 ? 0 : -128 };
      roundTrip(t, 'raw', tensor, `all ${v}`);
      const size = roundTrip(t, 'lossless', tensor, `all ${v}`);
      if (n >= 1000) t.ok(size < HEADER_BYTES + 32, `[${shape}] all ${v}: ${size} bytes`);
    }
  }
});

t.test('long zero-point runs, runs at the edges and runs of every length class', async (t) => {
  const rand = prng(99);
  for (let trial = 0; trial < 40; trial++) {
    const n = 1 + Math.floor(rand() * 70000);
    const q = new Int8Array(n).fill(-128);
    // A few values at random places, sometimes at the very first and last element.
    const values = Math.floor(rand() * 8);
    for (let i = 0; i < values; i++) q[Math.floor(rand() * n)] = Math.floor(rand() * 255) - 127;
    if (trial % 3 === 0) q[0] = 5;
    if (trial % 4 === 0) q[n - 1] = -7;
    roundTrip(t, 'lossless', { data: q, dtype: 'int8', shape: [n], scale: 1, zeroPoint: -128 }, `runs trial ${trial}`);
  }
  // One run of each length 2^k - 1, 2^k, 2^k + 1 separated by single values.
  const parts: number[] = [];
  for (let k = 0; k <= 16; k++) {
    for (const len of [(1 << k) - 1, 1 << k, (1 << k) + 1]) {
      for (let i = 0; i < len; i++) parts.push(-128);
      parts.push(k);
    }
  }
  roundTrip(t, 'lossless', { data: Int8Array.from(parts), dtype: 'int8', shape: [parts.length], scale: 1, zeroPoint: -128 }, 'run classes');
});

t.test('other dtypes round-trip exactly', async (t) => {
  const rand = prng(5);
  const dtypes: [WireDType, number][] = [['uint8', 1], ['bool', 1], ['int16', 2], ['int32', 4], ['float32', 4], ['int64', 8]];
  for (const [dtype, size] of dtypes) {
    for (const shape of [[0], [1], [3, 7], [1, 16, 16, 4]]) {
      const bytes = new Uint8Array(count(shape) * size);
      for (let i = 0; i < bytes.length; i++) bytes[i] = rand() < 0.5 ? 0 : Math.floor(rand() * 256);
      for (const codec of ['raw', 'lossless'] as const) {
        roundTrip(t, codec, { data: bytes, dtype, shape, scale: 0, zeroPoint: dtype === 'uint8' ? 128 : 0 }, `${dtype} [${shape}]`);
      }
    }
  }
});

t.test('every int8 tensor of the golden dumps round-trips exactly; compression against deflate', async (t) => {
  const golden = goldenActivations();
  t.ok(golden.length > 500, `${golden.length} golden int8 tensors`);
  interface Row { tensors: number; raw: number; lossless: number; deflate1: number; deflate6: number; ratios: number[] }
  // Edge cases (every input byte -128 or 127) make spatially constant activations that deflate's
  // long matches love; they are reported apart from the real and natural inputs.
  const tables = { natural: new Map<string, Row>(), edge: new Map<string, Row>() };
  const relu: number[] = [];
  const beaten: string[] = [];
  for (const g of golden) {
    const raw = g.tensor.data.byteLength;
    const bytes = encode('lossless', g.tensor);
    const d = decode(bytes);
    if (Buffer.compare(d.data, Buffer.from(g.tensor.data.buffer, g.tensor.data.byteOffset, raw)) !== 0) {
      t.fail(`${g.model}/${g.caseName}/t${g.index}: lossless round trip differs`);
    }
    roundTrip(t, 'raw', g.tensor, `${g.model}/${g.caseName}/t${g.index}`);
    if (g.role !== 'intermediate') continue;
    const payload = d.codec.payloadBytes;
    const input = Buffer.from(g.tensor.data.buffer, g.tensor.data.byteOffset, raw);
    const table = g.caseName.startsWith('edge_') ? tables.edge : tables.natural;
    const row = table.get(g.model) ?? { tensors: 0, raw: 0, lossless: 0, deflate1: 0, deflate6: 0, ratios: [] };
    row.tensors++;
    row.raw += raw;
    row.lossless += payload;
    row.deflate1 += zlib.deflateRawSync(input, { level: 1 }).length;
    row.deflate6 += zlib.deflateRawSync(input, { level: 6 }).length;
    row.ratios.push(raw / payload);
    table.set(g.model, row);
    // A ReLU output: zero point -128 and a real share of it.
    const q = new Int8Array(g.tensor.data.buffer, g.tensor.data.byteOffset, raw);
    let zeros = 0;
    for (const v of q) if (v === -128) zeros++;
    if (g.tensor.zeroPoint === -128 && raw >= 256 && zeros >= raw / 10) {
      relu.push(raw / payload);
      if (payload >= raw) beaten.push(`${g.model}/${g.caseName}/t${g.index} (${payload} >= ${raw})`);
    }
  }
  t.same(beaten, [], `lossless is smaller than raw on all ${relu.length} ReLU outputs of >= 256 bytes`);
  const fmt = (x: number) => `${x.toFixed(2)}x`.padStart(9);
  for (const [name, table] of [['real and natural inputs', tables.natural], ['edge inputs (all -128, all 127)', tables.edge]] as const) {
    t.comment(`intermediate activations, ${name}: payload bytes (the 44-byte header aside) against raw deflate of the same bytes`);
    t.comment('model                 tensors  raw bytes  lossless deflate-1 deflate-6  median ratio');
    const all: Row = { tensors: 0, raw: 0, lossless: 0, deflate1: 0, deflate6: 0, ratios: [] };
    for (const [model, r] of table) {
      t.comment(`${model.padEnd(21)} ${String(r.tensors).padStart(7)} ${String(r.raw).padStart(10)} ${fmt(r.raw / r.lossless)} ${fmt(r.raw / r.deflate1)} ${fmt(r.raw / r.deflate6)} ${fmt(median(r.ratios)).padStart(13)}`);
      for (const k of ['tensors', 'raw', 'lossless', 'deflate1', 'deflate6'] as const) all[k] += r[k];
      all.ratios.push(...r.ratios);
      // The CNNs' activations (tens of KiB) must shrink; hello_world's and ad's are too small to carry a code table.
      if (r.raw >= 100_000) t.ok(r.lossless < r.raw, `${model}, ${name}: lossless smaller than raw in total`);
    }
    t.comment(`${'all'.padEnd(21)} ${String(all.tensors).padStart(7)} ${String(all.raw).padStart(10)} ${fmt(all.raw / all.lossless)} ${fmt(all.raw / all.deflate1)} ${fmt(all.raw / all.deflate6)} ${fmt(median(all.ratios)).padStart(13)}`);
  }
  t.comment(`ReLU outputs (zero point -128, >= 10% zeros, >= 256 bytes): ${relu.length} tensors, median ratio ${median(relu).toFixed(2)}x`);
});
