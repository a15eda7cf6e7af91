// The TypeScript API of the codecs: the CODECS list, argument checks with messages that name the
// argument, defaults, and what decode reports about a payload.
import t from 'tap';
import { absoluteError, codecInfo, CODECS, decode, DEFAULT_OPTIONS, encode, HEADER_BYTES, type WireTensor } from '../../src/codec';
import { randomInt8 } from './helpers';

const tensor = randomInt8([1, 4, 4, 8], 'relu', 1);

t.test('CODECS names every codec with its id, version and losslessness, as payloads report them', async (t) => {
  t.same(CODECS.map((c) => c.name), ['raw', 'lossless', 'ts', 'tabq', 'ts+tabq']);
  for (const c of CODECS) {
    const d = decode(encode(c.name, tensor));
    t.same([d.codec.name, d.codec.id, d.codec.version, d.codec.lossless], [c.name, c.id, c.version, c.lossless], c.name);
    t.equal(d.codec.payloadBytes + HEADER_BYTES, encode(c.name, tensor).length, `${c.name}: payloadBytes`);
  }
  t.equal(codecInfo('tabq').options.join(), 'errorBudget');
});

t.test('bad arguments are refused before anything native runs, naming the argument', async (t) => {
  const refuses = (fn: () => unknown, code: string, message: RegExp) =>
    t.throws(fn, { name: 'CleaveError', code, message }, `${code} ${message}`);
  refuses(() => encode('zstd' as never, tensor), 'UNKNOWN_CODEC', /unknown codec "zstd" \(known: raw, lossless, ts, tabq, ts\+tabq\)/);
  refuses(() => encode('raw', { ...tensor, data: [1, 2] as never }), 'BAD_TENSOR', /tensor.data must be a typed array/);
  refuses(() => encode('raw', { ...tensor, dtype: 'int4' as never }), 'BAD_TENSOR', /tensor.dtype "int4" is not one of/);
  refuses(() => encode('ts', { ...tensor, dtype: 'uint8', zeroPoint: 0 }), 'BAD_TENSOR', /codec ts encodes int8 tensors, not uint8/);
  refuses(() => encode('raw', { ...tensor, shape: [1, 1, 4, 4, 8] }), 'BAD_TENSOR', /at most 4 dimensions/);
  refuses(() => encode('raw', { ...tensor, shape: [1, 4, -4, 8] }), 'BAD_TENSOR', /tensor.shape\[2\] is -4/);
  refuses(() => encode('raw', { ...tensor, shape: [1, 4, 4, 9] }), 'BAD_TENSOR', /tensor.data has 128 bytes, shape \[1, 4, 4, 9\] of int8 needs 144/);
  refuses(() => encode('raw', { ...tensor, scale: -1 }), 'BAD_TENSOR', /tensor.scale is -1/);
  refuses(() => encode('raw', { ...tensor, scale: Number.NaN }), 'BAD_TENSOR', /tensor.scale is NaN/);
  refuses(() => encode('raw', { ...tensor, zeroPoint: 128 }), 'BAD_TENSOR', /tensor.zeroPoint is 128: an integer from -128 to 127 for int8/);
  refuses(() => encode('raw', { ...tensor, zeroPoint: 0.5 }), 'BAD_TENSOR', /tensor.zeroPoint is 0.5/);
  refuses(() => encode('ts', tensor, { bits: 0 }), 'BAD_CODEC_OPTION', /option bits is 0: an integer from 1 to 8/);
  refuses(() => encode('ts', tensor, { bits: 2.5 }), 'BAD_CODEC_OPTION', /option bits is 2.5/);
  refuses(() => encode('ts', tensor, { threshold: 256 }), 'BAD_CODEC_OPTION', /option threshold is 256: an integer from 0 to 255/);
  refuses(() => encode('tabq', tensor, { errorBudget: 128 }), 'BAD_CODEC_OPTION', /option errorBudget is 128: an integer from 0 to 127/);
  refuses(() => encode('tabq', tensor, { errorBudget: '2' as never }), 'BAD_CODEC_OPTION', /option errorBudget is "2"/);
  refuses(() => encode('raw', tensor, { bits: 9 }), 'BAD_CODEC_OPTION', /option bits is 9/);
  refuses(() => encode('ts', tensor, { treshold: 3 } as never), 'BAD_CODEC_OPTION', /unknown option "treshold"/);
  refuses(() => decode([1, 2, 3] as never), 'BAD_TENSOR', /bytes must be a Uint8Array/);
  refuses(() => decode(encode('raw', tensor), { maxBytes: -1 }), 'BAD_CODEC_OPTION', /option maxBytes is -1/);
  t.doesNotThrow(() => encode('ts', tensor, { threshold: undefined, bits: undefined }), 'undefined options are absent options');
  // One options object serves every codec: each takes what applies to it.
  const all = { threshold: 12, errorBudget: 3, bits: 2 };
  for (const c of CODECS) {
    const d = decode(encode(c.name, tensor, all)).codec;
    t.same([d.threshold, d.errorBudget, d.bits], [
      c.options.includes('threshold') ? 12 : undefined,
      c.options.includes('errorBudget') ? 3 : undefined,
      c.options.includes('bits') ? 2 : undefined,
    ], `${c.name} takes ${c.options.join(', ') || 'no options'}`);
  }
});

t.test('defaults and what a payload says about itself', async (t) => {
  const ts = decode(encode('ts', tensor));
  t.equal(ts.codec.bits, DEFAULT_OPTIONS.bits, 'ts: default bits');
  t.ok(ts.codec.threshold! >= 0 && ts.codec.threshold! <= 255, `ts: automatic threshold ${ts.codec.threshold}`);
  t.ok(ts.codec.step! >= 1 && ts.codec.errorBound === Math.floor(ts.codec.step! / 2), 'ts: bound = floor(step / 2)');
  t.match(ts.codec.packing, /^(fixed|entropy)$/);
  const tabq = decode(encode('tabq', tensor));
  t.equal(tabq.codec.errorBudget, DEFAULT_OPTIONS.errorBudget, 'tabq: default budget');
  t.equal(tabq.codec.threshold, undefined, 'tabq: no threshold');
  const both = decode(encode('ts+tabq', tensor, { threshold: 9, errorBudget: 5 }));
  t.same([both.codec.threshold, both.codec.errorBudget], [9, 5], 'ts+tabq: the options given');
  t.ok(both.codec.outliers! > 0, `ts+tabq: ${both.codec.outliers} outliers above 9`);
  const raw = decode(encode('raw', { ...tensor, scale: 0.1 }));
  t.equal(raw.scale, Math.fround(0.1), 'scale travels as float32');
  t.same(raw.shape, [1, 4, 4, 8]);
  t.equal(raw.dtype, 'int8');
  t.same(absoluteError(tensor.data, raw.data), { max: 0, mean: 0 }, 'raw is exact');
  const lossy = absoluteError(tensor.data, decode(encode('tabq', tensor, { errorBudget: 3 })).data);
  t.ok(lossy.max <= 3 && lossy.mean <= lossy.max, `tabq errors: max ${lossy.max}, mean ${lossy.mean.toFixed(3)}`);
});

t.test('scalars, empty tensors and typed-array views of any kind', async (t) => {
  const scalar: WireTensor = { data: Int8Array.of(-7), dtype: 'int8', shape: [], scale: 1, zeroPoint: 0 };
  for (const c of CODECS) {
    const d = decode(encode(c.name, scalar));
    t.same([d.shape, d.data.length], [[], 1], `${c.name}: scalar`);
    const empty = decode(encode(c.name, { ...scalar, data: new Int8Array(0), shape: [2, 0, 3] }));
    t.same([empty.shape, empty.data.length], [[2, 0, 3], 0], `${c.name}: empty`);
  }
  // A view into the middle of a larger buffer.
  const big = new Uint8Array(300).map((_, i) => i);
  const view = new Int8Array(big.buffer, 100, 64);
  const d = decode(encode('lossless', { data: view, dtype: 'int8', shape: [8, 8], scale: 1, zeroPoint: 0 }));
  t.same([...d.data], [...big.subarray(100, 164)], 'a view is encoded from its own bytes');
  const floats = new Float32Array([1.5, -2, 3.25, 0]);
  const f = decode(encode('lossless', { data: floats, dtype: 'float32', shape: [4], scale: 0, zeroPoint: 0 }));
  t.same([...new Float32Array(f.data.buffer, f.data.byteOffset, 4)], [1.5, -2, 3.25, 0], 'float32 round trip');
});
