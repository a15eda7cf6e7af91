// Wire codecs for the tensor that crosses a cut between two model segments (docs/codecs.md).
// `encode` turns a quantized tensor into a self-describing payload (header with shape, scale, zero
// point and CRCs, then the codec's bytes); `decode` validates and restores it. Arguments are checked
// here with messages that name the argument; the native codecs (native/codec) do the work.
import { CleaveError, fromNative } from '../errors';
import { codecDecode, codecEncode, type NativeCodecInfo, type NativeDType } from './binding';

export type CodecName = 'raw' | 'lossless' | 'ts' | 'tabq' | 'ts+tabq';
export type WireDType = NativeDType;

/** Options of every codec; each codec uses those it takes (CODECS[i].options) and ignores the rest. */
export interface CodecOptions {
  /** ts, ts+tabq: |q - zeroPoint| above this (0..255, quantized units) is sent exactly; absent = automatic. */
  threshold?: number;
  /** tabq, ts+tabq: the largest |decoded - original| allowed per element, 0..127 quantized units. */
  errorBudget?: number;
  /** ts: bits per in-threshold value, 1..8. */
  bits?: number;
}

export interface CodecDescription {
  name: CodecName;
  /** The codec id in the header. */
  id: number;
  /** The format version this build writes (and the only one it reads). */
  version: number;
  lossless: boolean;
  /** The options the codec takes. */
  options: readonly (keyof CodecOptions)[];
  /** The dtypes it encodes. */
  dtypes: readonly WireDType[];
  summary: string;
}

const ALL_DTYPES: readonly WireDType[] = ['int8', 'uint8', 'int16', 'int32', 'float32', 'int64', 'bool'];

export const CODECS: readonly CodecDescription[] = [
  { name: 'raw', id: 0, version: 1, lossless: true, options: [], dtypes: ALL_DTYPES, summary: 'header + the tensor bytes' },
  {
    name: 'lossless', id: 1, version: 1, lossless: true, options: [], dtypes: ALL_DTYPES,
    summary: 'zero-point runs + canonical Huffman (one table per tensor), stored when that is not smaller',
  },
  {
    name: 'ts', id: 2, version: 1, lossless: false, options: ['threshold', 'bits'], dtypes: ['int8'],
    summary: 'threshold splitting: outliers exact as sparse (index, value), the rest on 2^bits levels around the zero point',
  },
  {
    name: 'tabq', id: 3, version: 1, lossless: false, options: ['errorBudget'], dtypes: ['int8'],
    summary: 'token-wise adaptive bits: per row (last dimension) min/max and the fewest bits within the error budget',
  },
  {
    name: 'ts+tabq', id: 4, version: 1, lossless: false, options: ['threshold', 'errorBudget'], dtypes: ['int8'],
    summary: 'outliers split off as in ts, the rest coded by tabq',
  },
];

/** Values used when an option is absent (threshold: chosen per tensor, see docs/codecs.md). */
export const DEFAULT_OPTIONS = { bits: 4, errorBudget: 2 } as const;

export interface WireTensor {
  /** The tensor's bytes, little-endian, product(shape) * element size of them. */
  data: ArrayBufferView;
  dtype: WireDType;
  /** Outermost first, at most 4 dimensions; [] is a scalar. */
  shape: readonly number[];
  scale: number;
  zeroPoint: number;
}

/** The decoded header's codec fields, as the native side reports them but with names for enums. */
export interface DecodedCodecInfo extends Omit<NativeCodecInfo, 'name' | 'packing'> {
  name: CodecName;
  packing?: 'fixed' | 'entropy';
}

export interface DecodedTensor {
  data: Buffer;
  dtype: WireDType;
  shape: number[];
  scale: number;
  zeroPoint: number;
  codec: DecodedCodecInfo;
}

/** Size of the header every encoded tensor starts with. */
export const HEADER_BYTES = 44;

const ELEMENT_BYTES: Record<WireDType, number> = { int8: 1, uint8: 1, bool: 1, int16: 2, int32: 4, float32: 4, int64: 8 };
const OPTION_RANGES: Record<keyof CodecOptions, [number, number]> = { threshold: [0, 255], errorBudget: [0, 127], bits: [1, 8] };

export function codecInfo(name: string): CodecDescription {
  const c = CODECS.find((x) => x.name === name);
  if (!c) throw new CleaveError('UNKNOWN_CODEC', `unknown codec ${JSON.stringify(name)} (known: ${CODECS.map((x) => x.name).join(', ')})`);
  return c;
}

function bad(message: string): never {
  throw new CleaveError('BAD_TENSOR', message);
}

function checkTensor(c: CodecDescription, t: WireTensor): void {
  if (typeof t !== 'object' || t === null) bad('tensor must be an object {data, dtype, shape, scale, zeroPoint}');
  if (!ArrayBuffer.isView(t.data)) bad('tensor.data must be a typed array or Buffer');
  if (!ALL_DTYPES.includes(t.dtype)) bad(`tensor.dtype ${JSON.stringify(t.dtype)} is not one of ${ALL_DTYPES.join(', ')}`);
  if (!c.dtypes.includes(t.dtype)) bad(`codec ${c.name} encodes ${c.dtypes.join(', ')} tensors, not ${t.dtype}`);
  if (!Array.isArray(t.shape) || t.shape.length > 4) bad('tensor.shape must be an array of at most 4 dimensions');
  t.shape.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0 || d > 0x7fffffff) bad(`tensor.shape[${i}] is ${d}: dimensions are integers from 0 to 2^31-1`);
  });
  const bytes = t.shape.reduce((a, d) => a * d, 1) * ELEMENT_BYTES[t.dtype];
  if (bytes > 0x7fffffff) bad(`tensor of shape [${t.shape.join(', ')}] is larger than 2^31-1 bytes`);
  if (t.data.byteLength !== bytes) {
    bad(`tensor.data has ${t.data.byteLength} bytes, shape [${t.shape.join(', ')}] of ${t.dtype} needs ${bytes}`);
  }
  if (typeof t.scale !== 'number' || !Number.isFinite(t.scale) || t.scale < 0) bad(`tensor.scale is ${t.scale}: a finite number >= 0`);
  const zp = t.zeroPoint;
  const [lo, hi] = t.dtype === 'int8' ? [-128, 127] : t.dtype === 'uint8' ? [0, 255] : [-(2 ** 31), 2 ** 31 - 1];
  if (!Number.isInteger(zp) || zp < lo || zp > hi) bad(`tensor.zeroPoint is ${zp}: an integer from ${lo} to ${hi} for ${t.dtype}`);
}

function checkOptions(c: CodecDescription, options: CodecOptions): CodecOptions {
  if (typeof options !== 'object' || options === null) throw new CleaveError('BAD_CODEC_OPTION', 'options must be an object');
  const out: CodecOptions = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!(key in OPTION_RANGES)) {
      throw new CleaveError('BAD_CODEC_OPTION', `unknown option ${JSON.stringify(key)} (options: threshold, errorBudget, bits)`);
    }
    const k = key as keyof CodecOptions;
    const [lo, hi] = OPTION_RANGES[k];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi) {
      throw new CleaveError('BAD_CODEC_OPTION', `option ${key} is ${JSON.stringify(value)}: an integer from ${lo} to ${hi}`);
    }
    // Options another codec takes are checked but not passed on, so that one options object can
    // serve every codec (a table over CODECS).
    if (c.options.includes(k)) out[k] = value;
  }
  if (c.options.includes('bits') && out.bits === undefined) out.bits = DEFAULT_OPTIONS.bits;
  if (c.options.includes('errorBudget') && out.errorBudget === undefined) out.errorBudget = DEFAULT_OPTIONS.errorBudget;
  return out;
}

/** Encodes `tensor` with `codec`: the 44-byte header, then the codec's payload. */
export function encode(codec: CodecName, tensor: WireTensor, options: CodecOptions = {}): Buffer {
  const c = codecInfo(codec);
  checkTensor(c, tensor);
  const opts = checkOptions(c, options);
  try {
    return codecEncode(c.name, tensor.data, { dtype: tensor.dtype, shape: [...tensor.shape], scale: tensor.scale, zeroPoint: tensor.zeroPoint }, opts);
  } catch (e) {
    throw fromNative(e, `cannot encode with ${c.name}`);
  }
}

export interface DecodeOptions {
  /** The largest tensor (in bytes) a header may claim; checked before anything is allocated. Default 64 MiB. */
  maxBytes?: number;
  /** What the receiver expects: a tensor of another dtype or shape is refused (CODEC_UNEXPECTED_TENSOR). */
  expect?: { dtype?: WireDType; shape?: readonly number[] };
}

export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Validates and decodes an encoded tensor. Throws CleaveError with code CODEC_<STATUS> (CODEC_BAD_MAGIC,
 * CODEC_TRUNCATED, CODEC_PAYLOAD_CHECKSUM, ...) and a message saying what is wrong; never returns a
 * tensor that failed a check.
 */
export function decode(bytes: Uint8Array, options: DecodeOptions = {}): DecodedTensor {
  if (!(bytes instanceof Uint8Array)) throw new CleaveError('BAD_TENSOR', 'decode(bytes): bytes must be a Uint8Array or Buffer');
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new CleaveError('BAD_CODEC_OPTION', `option maxBytes is ${JSON.stringify(maxBytes)}: a non-negative integer`);
  }
  let r;
  try {
    r = codecDecode(bytes, maxBytes);
  } catch (e) {
    throw fromNative(e, `cannot decode a ${bytes.byteLength}-byte wire tensor`);
  }
  const expect = options.expect;
  if (expect?.dtype !== undefined && expect.dtype !== r.meta.dtype) {
    throw new CleaveError('CODEC_UNEXPECTED_TENSOR', `wire tensor is ${r.meta.dtype}, ${expect.dtype} expected`);
  }
  if (expect?.shape !== undefined && JSON.stringify([...expect.shape]) !== JSON.stringify(r.meta.shape)) {
    throw new CleaveError('CODEC_UNEXPECTED_TENSOR', `wire tensor has shape [${r.meta.shape.join(', ')}], [${expect.shape.join(', ')}] expected`);
  }
  const { codec } = r;
  const info: DecodedCodecInfo = {
    name: codec.name as CodecName,
    id: codec.id,
    version: codec.version,
    lossless: codec.lossless,
    errorBound: codec.errorBound,
    payloadBytes: codec.payloadBytes,
  };
  for (const k of ['threshold', 'bits', 'step', 'errorBudget', 'outliers'] as const) {
    if (codec[k] !== undefined) info[k] = codec[k];
  }
  if (codec.packing !== undefined) info.packing = codec.packing === 1 ? 'entropy' : 'fixed';
  return { data: r.data, dtype: r.meta.dtype, shape: r.meta.shape, scale: r.meta.scale, zeroPoint: r.meta.zeroPoint, codec: info };
}

/** Largest and mean |a - b| of two int8 (or uint8) tensors of the same length, in quantized units. */
export function absoluteError(a: ArrayBufferView, b: ArrayBufferView, dtype: 'int8' | 'uint8' = 'int8'): { max: number; mean: number } {
  if (a.byteLength !== b.byteLength) throw new CleaveError('BAD_TENSOR', `tensors of ${a.byteLength} and ${b.byteLength} bytes`);
  const view = (v: ArrayBufferView) =>
    dtype === 'int8' ? new Int8Array(v.buffer, v.byteOffset, v.byteLength) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  const x = view(a);
  const y = view(b);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    if (d > max) max = d;
    sum += d;
  }
  return { max, mean: x.length ? sum / x.length : 0 };
}
