// TFLite's quantization arithmetic, reproduced bit for bit in TypeScript so that Programs carry the
// exact multipliers and shifts TFLite's Prepare functions compute (quantization_util.cc,
// kernel_util.cc). Doubles behave identically in JS and C++; float32 steps use Math.fround.

export interface QuantizedMultiplier {
  multiplier: number;
  shift: number;
}

/** std::frexp for finite x: x = m * 2^e with 0.5 <= |m| < 1. Scaling by powers of two is exact. */
export function frexp(x: number): { mantissa: number; exponent: number } {
  if (x === 0 || !Number.isFinite(x)) return { mantissa: x, exponent: 0 };
  let exponent = Math.max(-1073, Math.floor(Math.log2(Math.abs(x))) + 1);
  let mantissa = x * 2 ** -exponent;
  while (Math.abs(mantissa) >= 1) { mantissa /= 2; exponent++; }
  while (Math.abs(mantissa) < 0.5) { mantissa *= 2; exponent--; }
  return { mantissa, exponent };
}

/** TfLiteRound / std::round: halves away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** QuantizeMultiplier (double rounding build): multiplier in Q31 and a power-of-two shift. */
export function quantizeMultiplier(real: number): QuantizedMultiplier {
  if (real === 0) return { multiplier: 0, shift: 0 };
  const { mantissa, exponent } = frexp(real);
  let shift = exponent;
  let qFixed = roundHalfAway(mantissa * 2 ** 31);
  if (qFixed === 2 ** 31) {
    qFixed /= 2;
    shift++;
  }
  if (shift < -31) {
    shift = 0;
    qFixed = 0;
  }
  return { multiplier: qFixed, shift };
}

/** PreprocessSoftmaxScaling + CalculateInputRadius for int8 softmax (kScaledDiffIntegerBits = 5). */
export function softmaxScaling(beta: number, inputScale: number): { multiplier: number; leftShift: number; diffMin: number } {
  const inputIntegerBits = 5;
  const real = Math.min(beta * inputScale * (1 << (31 - inputIntegerBits)), 2 ** 31 - 1);
  const { multiplier, shift } = quantizeMultiplier(real);
  const maxInputRescaled = (1.0 * ((1 << inputIntegerBits) - 1) * 2 ** (31 - inputIntegerBits)) / 2 ** shift;
  const radius = Math.floor(maxInputRescaled);
  return { multiplier, leftShift: shift, diffMin: -radius };
}

export type Activation = 'NONE' | 'RELU' | 'RELU_N1_TO_1' | 'RELU6';

/** CalculateActivationRangeQuantized: the fused activation's clamp in the output's integer domain. */
export function activationRange(activation: string, scale: number, zeroPoint: number, qmin: number, qmax: number): { min: number; max: number } {
  // Quantize(f) = zero_point + (int)TfLiteRound(f / scale), computed in float32 as TFLite does.
  const q = (f: number) => zeroPoint + roundHalfAway(Math.fround(Math.fround(f) / Math.fround(scale)));
  switch (activation) {
    case 'NONE': return { min: qmin, max: qmax };
    case 'RELU': return { min: Math.max(qmin, q(0)), max: qmax };
    case 'RELU6': return { min: Math.max(qmin, q(0)), max: Math.min(qmax, q(6)) };
    case 'RELU_N1_TO_1': return { min: Math.max(qmin, q(-1)), max: Math.min(qmax, q(1)) };
    default: throw new Error(`unsupported fused activation ${activation}`);
  }
}

export const INT_RANGE: Record<string, { min: number; max: number }> = {
  int8: { min: -128, max: 127 },
  uint8: { min: 0, max: 255 },
  int16: { min: -32768, max: 32767 },
  int32: { min: -(2 ** 31), max: 2 ** 31 - 1 },
};
