// The wire codecs' part of the native surface (native/addon/codec_glue.cc), as TypeScript types:
// src/native.ts declares `codecEncode` and `codecDecode` with these types, and this file re-exports
// them from that one door. src/codec/index.ts is the API to use; it validates arguments first.
import { CleaveError } from '../errors';
import { binding } from '../native';

export type NativeDType = 'int8' | 'uint8' | 'int16' | 'int32' | 'float32' | 'int64' | 'bool';

export interface NativeTensorMeta {
  dtype: NativeDType;
  /** Outermost first, at most 4 dimensions; [] is a scalar. */
  shape: number[];
  scale: number;
  zeroPoint: number;
}

export interface NativeCodecOptions {
  /** ts, ts+tabq: 0..255 in quantized units; -1 or absent = automatic. */
  threshold?: number;
  /** tabq, ts+tabq: 0..127 in quantized units (default 2). */
  errorBudget?: number;
  /** ts: 1..8 (default 4). */
  bits?: number;
}

export interface NativeCodecInfo {
  name: string;
  id: number;
  version: number;
  lossless: boolean;
  /** Guaranteed max |decoded - original| per element, in quantized units (0 when lossless). */
  errorBound: number;
  /** Bytes after the 44-byte header. */
  payloadBytes: number;
  threshold?: number;
  bits?: number;
  /** ts: the spacing of the levels. */
  step?: number;
  errorBudget?: number;
  /** ts, ts+tabq: elements sent exactly as (index, value). */
  outliers?: number;
  /** 0: fixed-width bit packing, 1: entropy-coded planes. */
  packing?: number;
}

export interface NativeDecoded {
  /** The tensor's bytes, freshly allocated. */
  data: Buffer;
  meta: NativeTensorMeta;
  codec: NativeCodecInfo;
}

/**
 * Encodes one tensor: header + payload. Throws TypeError for arguments of the wrong type and an
 * Error with `code` "CODEC_<STATUS>" (e.g. CODEC_INVALID_ARGUMENT) for values the codec refuses.
 */
export type NativeCodecEncode = (name: string, data: ArrayBufferView, meta: NativeTensorMeta, options?: NativeCodecOptions) => Buffer;

/**
 * Validates and decodes one encoded tensor, refusing (CODEC_TOO_LARGE) a header that claims more than
 * `maxBytes` before allocating. Throws an Error with `code` "CODEC_<STATUS>" (CODEC_BAD_MAGIC,
 * CODEC_TRUNCATED, CODEC_PAYLOAD_CHECKSUM, CODEC_INDEX_OUT_OF_RANGE, ...) and a message saying what is wrong.
 */
export type NativeCodecDecode = (payload: Uint8Array, maxBytes: number) => NativeDecoded;

function missing(): never {
  throw new CleaveError(
    'NO_CODECS',
    'the native addon was built without the wire codecs (binding.gyp must compile native/codec/*.cc and native/addon/codec_glue.cc)',
  );
}

export const codecEncode: NativeCodecEncode = (name, data, meta, options) =>
  typeof binding.codecEncode === 'function' ? binding.codecEncode(name, data, meta, options) : missing();

export const codecDecode: NativeCodecDecode = (payload, maxBytes) =>
  typeof binding.codecDecode === 'function' ? binding.codecDecode(payload, maxBytes) : missing();
