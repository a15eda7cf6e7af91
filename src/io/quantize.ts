// Real values to a tensor's quantized integers and back, with the tensor's scale and zero point,
// as TFLite's QUANTIZE op does it: q = round(x / scale) + zero_point in float32, halves rounded
// away from zero, clamped to the type's range.
import { CleaveError } from '../errors';
import type { TensorData, TensorSpec } from '../session';

const RANGES: Partial<Record<TensorSpec['dtype'], [number, number, new (n: number) => TensorData]>> = {
  int8: [-128, 127, Int8Array],
  uint8: [0, 255, Uint8Array],
  int16: [-32768, 32767, Int16Array],
};

/** The smallest and largest quantized value of an integer tensor type (null for float32 and others). */
export function quantizedRange(spec: TensorSpec): [number, number] | null {
  const r = RANGES[spec.dtype];
  return r ? [r[0], r[1]] : null;
}

function roundHalfAwayFromZero(v: number): number {
  return Math.sign(v) * Math.round(Math.abs(v));
}

/** `values` (real units) as the tensor's data: quantized for integer tensors, as they are for float32. */
export function quantize(values: ArrayLike<number>, spec: TensorSpec, source: string): TensorData {
  if (spec.dtype === 'float32') return Float32Array.from(values);
  const range = RANGES[spec.dtype];
  if (!range) throw new CleaveError('BAD_INPUT', `${source}: input "${spec.name}" is ${spec.dtype}: real-valued input can only go to int8, uint8, int16 or float32 tensors`);
  if (!(spec.scale > 0)) throw new CleaveError('BAD_INPUT', `${source}: input "${spec.name}" has no quantization scale, so real values cannot be quantized for it; give its raw ${spec.dtype} bytes`);
  const [min, max, Ctor] = range;
  const out = new Ctor(values.length);
  const scale = Math.fround(spec.scale);
  for (let i = 0; i < values.length; i++) {
    const q = roundHalfAwayFromZero(Math.fround(Math.fround(values[i]!) / scale)) + spec.zeroPoint;
    out[i] = Number.isNaN(q) ? spec.zeroPoint : Math.min(max, Math.max(min, q));
  }
  return out;
}

/** The tensor's values in real units: (q - zero_point) * scale, or as they are when not quantized. */
export function dequantize(data: TensorData, spec: TensorSpec): Float64Array {
  const out = new Float64Array(data.length);
  const quantized = spec.dtype !== 'float32' && spec.scale > 0;
  for (let i = 0; i < data.length; i++) out[i] = quantized ? (data[i]! - spec.zeroPoint) * spec.scale : data[i]!;
  return out;
}
