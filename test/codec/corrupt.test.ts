// Damaged wire tensors are refused with an error that says what is wrong; they are never decoded.
// Accidents (bit flips in the header or the payload, truncation, extra bytes) are caught by the
// checks and the two CRCs, thousands of seeded mutants per codec. Deliberate damage with both CRCs
// recomputed must still never crash the decoder nor yield a tensor of another shape, and the
// structural checks are exercised one by one: sizes that do not match the shape, out-of-range
// indices, unknown codecs and versions.
import t from 'tap';
import { CleaveError } from '../../src/errors';
import { decode, encode, HEADER_BYTES, type CodecName, type WireTensor } from '../../src/codec';
import { prng } from '../fuzz/mutate';
import { goldenActivations, randomInt8, resign } from './helpers';

const CODECS: CodecName[] = ['raw', 'lossless', 'ts', 'tabq', 'ts+tabq'];

function samples(): WireTensor[] {
  const golden = goldenActivations().find((g) => g.model === 'mlperf_tiny_vww' && g.caseName === 'natural_s1001' && g.index === 66)!;
  return [
    randomInt8([1, 12, 12, 16], 'relu', 11),
    randomInt8([1, 6, 6, 32], 'runs', 12, -128),
    randomInt8([3, 5], 'uniform', 13, 4),
    golden.tensor,
  ];
}

/** Decodes `bytes`; returns the CleaveError's code, or 'decoded' when it decoded. */
function outcome(bytes: Uint8Array): string {
  try {
    decode(bytes);
    return 'decoded';
  } catch (e) {
    if (!(e instanceof CleaveError)) throw e;
    if (!/^CODEC_[A-Z_]+$/.test(e.code) || e.message.length < 20) throw new Error(`unclear error ${e.code}: ${e.message}`);
    return e.code;
  }
}

function tally(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

t.test('the obvious damage, one case each, with the message that names it', async (t) => {
  const good = encode('lossless', randomInt8([1, 8, 8, 16], 'relu', 3));
  const rejects = (bytes: Uint8Array, code: string, message: RegExp, what: string) =>
    t.throws(() => decode(bytes), { code, message }, what);

  rejects(good.subarray(0, 3), 'CODEC_TRUNCATED', /shorter than the 44-byte header/, '3 bytes');
  rejects(new Uint8Array(0), 'CODEC_TRUNCATED', /0 bytes, shorter than the 44-byte header/, 'nothing');
  const magic = Uint8Array.from(good);
  magic[0] = 0x50;
  rejects(magic, 'CODEC_BAD_MAGIC', /not a cleave wire tensor/, 'wrong magic');
  rejects(good.subarray(0, good.length - 1), 'CODEC_TRUNCATED', /header says \d+ bytes, only \d+ present \(truncated\)/, 'one byte short');
  rejects(Buffer.concat([good, Buffer.from([0])]), 'CODEC_TRAILING_BYTES', /trailing bytes/, 'one byte extra');
  const header = Uint8Array.from(good);
  header[9] ^= 0x04;
  rejects(header, 'CODEC_HEADER_CHECKSUM', /header checksum mismatch: header says \d+, computed \d+ \(damaged header\)/, 'a flipped shape bit');
  const payload = Uint8Array.from(good);
  payload[HEADER_BYTES + 20] ^= 0x80;
  rejects(payload, 'CODEC_PAYLOAD_CHECKSUM', /payload checksum mismatch/, 'a flipped payload bit');
  const version = Uint8Array.from(good);
  version[5] = 2;
  rejects(resign(version), 'CODEC_UNSUPPORTED_VERSION', /codec id 1 version 2 is not supported \(this build reads version 1\)/, 'version 2');
  const codec = Uint8Array.from(good);
  codec[4] = 9;
  rejects(resign(codec), 'CODEC_UNKNOWN_CODEC', /unknown codec id 9/, 'codec id 9');
  const rank = Uint8Array.from(good);
  rank[7] = 5;
  rejects(resign(rank), 'CODEC_BAD_HEADER', /rank 5/, 'rank 5');
  const beyond = Uint8Array.from(good);
  beyond[7] = 3;
  rejects(resign(beyond), 'CODEC_BAD_HEADER', /dimension 3 is 16 beyond rank 3 \(must be 0\)/, 'a dimension beyond the rank');
  const huge = Uint8Array.from(good);
  new DataView(huge.buffer).setUint32(8, 1 << 20, true);  // [1048576, 8, 8, 16]: 1 GiB
  rejects(resign(huge), 'CODEC_TOO_LARGE', /claims a tensor of 1073741824 bytes, more than the 67108864 allowed/, 'a 1 GiB claim');
  t.throws(() => decode(good, { expect: { shape: [1, 8, 8, 8] } }), { code: 'CODEC_UNEXPECTED_TENSOR', message: /shape \[1, 8, 8, 16\], \[1, 8, 8, 8\] expected/ });
  t.throws(() => decode(good, { expect: { dtype: 'uint8' } }), { code: 'CODEC_UNEXPECTED_TENSOR', message: /int8, uint8 expected/ });
  t.equal(decode(good, { expect: { dtype: 'int8', shape: [1, 8, 8, 16] } }).data.length, 1024, 'what was expected decodes');
  const zp = Uint8Array.from(good);
  new DataView(zp.buffer).setInt32(28, 300, true);
  rejects(resign(zp), 'CODEC_BAD_HEADER', /zero point 300 outside int8/, 'zero point 300');
  const scale = Uint8Array.from(good);
  new DataView(scale.buffer).setFloat32(24, Number.NaN, true);
  rejects(resign(scale), 'CODEC_BAD_HEADER', /scale is not finite/, 'NaN scale');
  const lossy = encode('ts', randomInt8([4, 4], 'uniform', 1));
  lossy[6] = 2;  // dtype uint8
  rejects(resign(lossy), 'CODEC_BAD_HEADER', /a lossy codec takes int8 tensors only, not dtype 2 \(byte 6\)/, 'a ts payload claiming uint8');
});

t.test('sizes that do not match the shape', async (t) => {
  // raw: one more element in the shape than bytes in the payload.
  const raw = encode('raw', randomInt8([2, 8], 'uniform', 4));
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  dv.setUint32(12, 9, true);
  t.throws(() => decode(resign(raw)), { code: 'CODEC_SHAPE_MISMATCH', message: /raw payload has 16 bytes, the shape needs 18/ });

  // lossless, stored block: the shape grows, the block does not.
  const tiny = encode('lossless', randomInt8([5], 'uniform', 5));
  t.equal(tiny[HEADER_BYTES], 0, 'a 5-byte tensor is stored');
  new DataView(tiny.buffer, tiny.byteOffset).setUint32(8, 6, true);
  t.throws(() => decode(resign(tiny)), { code: 'CODEC_TRUNCATED', message: /: lossless: entropy block at byte 44: stored block needs 6 bytes, 5 left$/ });
  const shrunk = encode('lossless', randomInt8([5], 'uniform', 5));
  new DataView(shrunk.buffer, shrunk.byteOffset).setUint32(8, 4, true);
  t.throws(() => decode(resign(shrunk)), { code: 'CODEC_TRAILING_BYTES', message: /: lossless: 1 bytes after the entropy block \(byte 49\)$/ });

  // lossless, Huffman block: a shape one element smaller leaves a run or the stream over.
  const coded = encode('lossless', randomInt8([1, 16, 16, 8], 'relu', 6));
  t.equal(coded[HEADER_BYTES], 1, 'a ReLU tensor is Huffman-coded');
  new DataView(coded.buffer, coded.byteOffset).setUint32(8 + 4 * 3, 7, true);
  t.throws(() => decode(resign(coded)), { code: /^CODEC_(SHAPE_MISMATCH|TRAILING_BYTES|CORRUPT_PAYLOAD)$/ });

  // tabq: the row length it was coded with is not the shape's last dimension.
  const tabq = encode('tabq', randomInt8([1, 4, 4, 8], 'relu', 7));
  const tv = new DataView(tabq.buffer, tabq.byteOffset);
  tv.setUint32(8 + 4 * 2, 8, true);  // [1, 4, 8, 8]: more elements, other rows
  tv.setUint32(8 + 4 * 3, 4, true);  // [1, 4, 8, 4]
  t.throws(() => decode(resign(tabq)), { code: 'CODEC_SHAPE_MISMATCH', message: /tabq: row length 8, the shape's last dimension is 4/ });
});

t.test('out-of-range and unordered sparse indices', async (t) => {
  // A tensor with exactly one outlier (value 100 at index 5, threshold 10), fixed or entropy packing.
  const q = new Int8Array(64).fill(-128);
  q[5] = 100;
  q[9] = -120;
  const tensor: WireTensor = { data: q, dtype: 'int8', shape: [64], scale: 1, zeroPoint: -128 };
  for (const codec of ['ts', 'ts+tabq'] as const) {
    const bytes = encode(codec, tensor, { threshold: 10 });
    const d = decode(bytes);
    t.equal(d.codec.outliers, 1, `${codec}: one outlier`);
    const at = HEADER_BYTES + 8;  // both codecs: 8 bytes of fields, then the u32 outlier count
    t.equal(new DataView(bytes.buffer, bytes.byteOffset).getUint32(at, true), 1, `${codec}: count where documented`);
    t.equal(bytes[at + 4], 5, `${codec}: first index gap = 5`);

    const far = Uint8Array.from(bytes);
    far[at + 4] = 70;
    t.throws(() => decode(resign(far)), { code: 'CODEC_INDEX_OUT_OF_RANGE', message: /outlier 0: index 70 outside the tensor's 64 elements/ }, `${codec}: index 70`);
    const many = Uint8Array.from(bytes);
    new DataView(many.buffer).setUint32(at, 65, true);
    t.throws(() => decode(resign(many)), { code: 'CODEC_INDEX_OUT_OF_RANGE', message: /65 outliers in a tensor of 64 elements/ }, `${codec}: 65 outliers`);
    const long = Uint8Array.from(bytes);
    long[at + 4] = 0x85;  // a varint that runs into the value byte and beyond
    t.throws(() => decode(resign(long)), { code: /^CODEC_(CORRUPT_PAYLOAD|INDEX_OUT_OF_RANGE|TRUNCATED)$/ }, `${codec}: malformed index`);
    const inside = Uint8Array.from(bytes);
    inside[at + 5] = 0x80 + 5;  // the value -123: within the threshold, so not an outlier
    t.throws(() => decode(resign(inside)), { code: 'CODEC_CORRUPT_PAYLOAD', message: /outlier 0: value -123 lies within the threshold 10/ }, `${codec}: value within threshold`);
  }
  // Two outliers: a gap that lands past the end.
  q[60] = 90;
  const two = encode('ts', tensor, { threshold: 10 });
  const at = HEADER_BYTES + 8;
  t.equal(two[at + 5], 54, 'second gap = 60 - 5 - 1');
  two[at + 5] = 58;
  t.throws(() => decode(resign(two)), { code: 'CODEC_INDEX_OUT_OF_RANGE', message: /outlier 1: index 64 outside/ });
});

for (const codec of CODECS) {
  t.test(`${codec}: 2400 accidental mutants (bit flips, truncations, extensions) are all rejected`, async (t) => {
    const rand = prng(1000 + CODECS.indexOf(codec));
    const counts = new Map<string, number>();
    const escaped: string[] = [];
    for (const [s, tensor] of samples().entries()) {
      const good = encode(codec, tensor);
      for (let i = 0; i < 600; i++) {
        let bytes: Uint8Array;
        const kind = i % 6;
        if (kind <= 1) {  // flips in the header
          bytes = Uint8Array.from(good);
          const flips = 1 + Math.floor(rand() * 3);
          for (let f = 0; f < flips; f++) bytes[Math.floor(rand() * HEADER_BYTES)]! ^= 1 << Math.floor(rand() * 8);
        } else if (kind <= 3) {  // flips in the payload
          bytes = Uint8Array.from(good);
          const flips = 1 + Math.floor(rand() * 3);
          for (let f = 0; f < flips; f++) bytes[HEADER_BYTES + Math.floor(rand() * (good.length - HEADER_BYTES))]! ^= 1 << Math.floor(rand() * 8);
        } else if (kind === 4) {
          bytes = good.subarray(0, Math.floor(rand() * good.length));
        } else {
          bytes = Buffer.concat([good, Buffer.from([Math.floor(rand() * 256)].concat(rand() < 0.5 ? [7, 7, 7] : []))]);
        }
        if (Buffer.compare(bytes, good) === 0) continue;  // flips that cancelled out
        const o = outcome(bytes);
        tally(counts, o);
        if (o === 'decoded') escaped.push(`sample ${s} mutant ${i}`);
      }
    }
    t.same(escaped, [], 'no mutant decoded');
    t.comment([...counts].map(([k, v]) => `${k} ${v}`).join(', '));
  });

  t.test(`${codec}: 2000 mutants with recomputed CRCs never crash or change shape`, async (t) => {
    const rand = prng(2000 + CODECS.indexOf(codec));
    const counts = new Map<string, number>();
    for (const tensor of samples()) {
      const good = encode(codec, tensor);
      for (let i = 0; i < 500; i++) {
        const bytes = Uint8Array.from(good);
        const payloadOnly = i % 4 !== 0;
        const flips = 1 + Math.floor(rand() * 4);
        for (let f = 0; f < flips; f++) {
          const at = payloadOnly ? HEADER_BYTES + Math.floor(rand() * (good.length - HEADER_BYTES)) : 4 + Math.floor(rand() * 28);
          bytes[at]! ^= 1 << Math.floor(rand() * 8);
        }
        resign(bytes);
        let d;
        try {
          d = decode(bytes, { maxBytes: 1 << 20 });
        } catch (e) {
          if (!(e instanceof CleaveError) || !e.code.startsWith('CODEC_')) throw e;
          tally(counts, e.code);
          continue;
        }
        tally(counts, 'decoded');
        // What decodes is a well-formed tensor of the size its header states.
        const n = d.shape.reduce((a, x) => a * x, 1) * (d.dtype === 'int8' || d.dtype === 'uint8' || d.dtype === 'bool' ? 1 : d.dtype === 'int16' ? 2 : d.dtype === 'int64' ? 8 : 4);
        if (d.data.length !== n) t.fail(`decoded ${d.data.length} bytes for shape [${d.shape}] ${d.dtype}`);
      }
    }
    t.pass('no crash');
    t.comment([...counts].map(([k, v]) => `${k} ${v}`).join(', '));
  });
}
