#include "kernels/softmax.h"

#include <cmath>

namespace cleave {
namespace kernels {
namespace {

// gemmlowp's FixedPoint<int32_t, N> is a raw int32 with 31 - N fractional bits ("QN"). The
// helpers below work on those raw values; a product of QA and QB values is
// SaturatingRoundingDoublingHighMul and has A + B integer bits.

inline int32_t FixedMul(int32_t a, int32_t b) { return SaturatingRoundingDoublingHighMul(a, b); }

// gemmlowp's SaturatingRoundingMultiplyByPOT: saturating left shift for exponent > 0, rounding
// right shift for exponent < 0. Rescale<Dst>(x in QSrc) is this with exponent Src - Dst.
int32_t SaturatingRoundingMultiplyByPOT(int32_t x, int exponent) {
  if (exponent == 0) return x;
  if (exponent < 0) return RoundingDivideByPOT(x, -exponent);
  const int32_t threshold = static_cast<int32_t>((1u << (31 - exponent)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return WrapMul(x, static_cast<int32_t>(1u << exponent));
}

int CountLeadingZeros32(uint32_t v) {
  if (v == 0) return 32;
  int n = 0;
  while ((v & 0x80000000u) == 0) {
    v <<= 1;
    ++n;
  }
  return n;
}

// exp(a) for a in [-1/4, 0); a and the result in Q0. gemmlowp expands the Taylor series around
// -1/8: exp(-1/8) * (1 + x + x^2/2 + x^3/6 + x^4/24) with x = a + 1/8.
int32_t ExpOnIntervalBetweenNegativeOneQuarterAnd0Excl(int32_t a) {
  const int32_t kExpMinusOneEighth = 1895147668;
  const int32_t kOneThird = 715827883;
  const int32_t x = WrapAdd(a, 1 << 28);
  const int32_t x2 = FixedMul(x, x);
  const int32_t x3 = FixedMul(x2, x);
  const int32_t x4 = FixedMul(x2, x2);
  const int32_t x4_over_4 = SaturatingRoundingMultiplyByPOT(x4, -2);
  const int32_t x4_over_24_plus_x3_over_6_plus_x2_over_2 = SaturatingRoundingMultiplyByPOT(
      WrapAdd(FixedMul(WrapAdd(x4_over_4, x3), kOneThird), x2), -1);
  return WrapAdd(kExpMinusOneEighth,
                 FixedMul(kExpMinusOneEighth,
                          WrapAdd(x, x4_over_24_plus_x3_over_6_plus_x2_over_2)));
}

// gemmlowp's exp_on_negative_values for a Q5 input (softmax's kScaledDiffIntegerBits = 5),
// result in Q0. The input splits into a part in [-1/4, 0), done by the series above, and a
// multiple of 1/4 whose bits select precomputed factors exp(-2^k) ("barrel shifter").
int32_t ExpOnNegativeValuesQ5(int32_t a) {
  constexpr int kIntegerBits = 5;
  constexpr int kFractionalBits = 31 - kIntegerBits;
  const int32_t kOneQuarter = 1 << (kFractionalBits - 2);
  const int32_t mask = kOneQuarter - 1;
  const int32_t a_mod_quarter_minus_one_quarter = WrapSub(a & mask, kOneQuarter);
  int32_t result = ExpOnIntervalBetweenNegativeOneQuarterAnd0Excl(
      SaturatingRoundingMultiplyByPOT(a_mod_quarter_minus_one_quarter, kIntegerBits));
  const int32_t remainder = WrapSub(a_mod_quarter_minus_one_quarter, a);
  // exp(-2^k) in Q0 for k = -2 .. 4: all of them, since gemmlowp keeps a factor only while
  // kIntegerBits > k.
  static const int32_t kExpOfMinusPowerOfTwo[7] = {1672461947, 1302514674, 790015084, 290630308,
                                                   39332535,   720401,     242};
  for (int k = -2; k <= 4; ++k) {
    if (remainder & (1 << (kFractionalBits + k))) {
      result = FixedMul(result, kExpOfMinusPowerOfTwo[k + 2]);
    }
  }
  // gemmlowp clamps inputs below -32 to 0 only when kIntegerBits > 5; with 5 bits the input
  // cannot go below -32 anyway.
  if (a == 0) result = INT32_MAX;  // exp(0) = 1, the largest Q0 value
  return result;
}

// gemmlowp's one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a) for a in [0, 1), Q0 in and out, by
// three Newton-Raphson steps on the half denominator in Q2, starting at 48/17 - 32/17 * d.
int32_t OneOverOnePlusXForXIn01(int32_t a) {
  const int64_t sum = static_cast<int64_t>(a) + INT32_MAX;
  const int32_t half_denominator = static_cast<int32_t>((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t kConstant48Over17 = 1515870810;
  const int32_t kConstantMinus32Over17 = -1010580540;
  const int32_t kOneQ2 = 1 << 29;  // Q2 has 29 fractional bits
  int32_t x = WrapAdd(kConstant48Over17, FixedMul(half_denominator, kConstantMinus32Over17));
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = FixedMul(half_denominator, x);
    const int32_t one_minus_half_denominator_times_x = WrapSub(kOneQ2, half_denominator_times_x);
    x = WrapAdd(x, SaturatingRoundingMultiplyByPOT(
                       FixedMul(x, one_minus_half_denominator_times_x), 2));
  }
  // x / 2 as an exact Q1 reinterpretation, rescaled to Q0.
  return SaturatingRoundingMultiplyByPOT(x, 1);
}

// TFLite's GetReciprocal: 1 / x for x in Q(x_integer_digits), returned as a Q0 value v and a
// count of bits such that 1/x = v * 2^-num_bits_over_unit.
int32_t GetReciprocal(int32_t x, int x_integer_digits, int* num_bits_over_unit) {
  const int headroom_plus_one = CountLeadingZeros32(static_cast<uint32_t>(x));
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  const uint32_t normalized =
      headroom_plus_one >= 32 ? 0u : (static_cast<uint32_t>(x) << headroom_plus_one);
  const int32_t shifted_sum_minus_one = static_cast<int32_t>(normalized - (1u << 31));
  return OneOverOnePlusXForXIn01(shifted_sum_minus_one);
}

// TFLite's reference_ops::Softmax<int8_t, OutputT>. Differences to the row maximum are scaled by
// beta * input_scale into Q5 and exponentiated in Q0; the sum of exps accumulates in Q12.
// Differences below diff_min would scale past -32 and are treated as exp = 0.
template <typename OutT>
void SoftmaxFromInt8(const SoftmaxParams& p, int32_t outer, int32_t depth, const int8_t* input,
                     OutT* output, int32_t out_min, int32_t out_max, int out_bits) {
  constexpr int kAccumulationIntegerBits = 12;
  for (int32_t i = 0; i < outer; ++i) {
    const int8_t* in_row = input + static_cast<int64_t>(i) * depth;
    OutT* out_row = output + static_cast<int64_t>(i) * depth;
    int32_t max_in_row = INT8_MIN;
    for (int32_t c = 0; c < depth; ++c) {
      if (in_row[c] > max_in_row) max_in_row = in_row[c];
    }

    int32_t sum_of_exps = 0;
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = static_cast<int32_t>(in_row[c]) - max_in_row;
      if (diff >= p.diff_min) {
        const int32_t scaled_diff = MultiplyByQuantizedMultiplierGreaterThanOne(
            diff, p.input_multiplier, p.input_left_shift);
        sum_of_exps = WrapAdd(sum_of_exps, SaturatingRoundingMultiplyByPOT(
                                               ExpOnNegativeValuesQ5(scaled_diff),
                                               -kAccumulationIntegerBits));
      }
    }

    int num_bits_over_unit = 0;
    const int32_t shifted_scale =
        GetReciprocal(sum_of_exps, kAccumulationIntegerBits, &num_bits_over_unit);
    // TFLite checks 0 <= exponent <= 31; the row maximum alone contributes exp(0) = 1, so a
    // valid row always lands there.
    const int exponent = num_bits_over_unit + 31 - out_bits;

    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = static_cast<int32_t>(in_row[c]) - max_in_row;
      if (diff >= p.diff_min) {
        const int32_t scaled_diff = MultiplyByQuantizedMultiplierGreaterThanOne(
            diff, p.input_multiplier, p.input_left_shift);
        const int32_t exp_in_0 = ExpOnNegativeValuesQ5(scaled_diff);
        const int32_t unsat = RoundingDivideByPOT(FixedMul(shifted_scale, exp_in_0), exponent);
        const int32_t shifted = WrapAdd(unsat, out_min);
        int32_t v = shifted < out_max ? shifted : out_max;
        v = v > out_min ? v : out_min;
        out_row[c] = static_cast<OutT>(v);
      } else {
        out_row[c] = static_cast<OutT>(out_min);
      }
    }
  }
}

// TFLite's LUTLookup for int16: 512 segments indexed by the top 9 bits, linear interpolation
// on the low 7 bits, the slope kept in int16 as TFLite keeps it.
int16_t LutLookup(int16_t value, const int16_t* lut) {
  const int index = 256 + (value >> 7);
  const int32_t offset = value & 0x7f;
  const int16_t base = lut[index];
  const int16_t slope = static_cast<int16_t>(lut[index + 1] - lut[index]);
  const int32_t delta = (static_cast<int32_t>(slope) * offset + 64) >> 7;
  return static_cast<int16_t>(base + delta);
}

inline int16_t SaturateInt16(int32_t v) {
  return static_cast<int16_t>(v < -32768 ? -32768 : (v > 32767 ? 32767 : v));
}

float ExpFloat(float v) { return std::exp(v); }
float OneOverOnePlusXFloat(float v) { return 1.0f / (1.0f + v); }

// TFLite Micro's gen_lut<float, int16_t, int16_t>: 512 samples of func over [input_min,
// input_max] scaled to int16, each nudged by half the error a linear interpolation would make at
// the segment midpoint, plus one final sample for the last slope. All scalings here are powers
// of two, so every product is exact and floating-point contraction cannot change the result.
void GenLut(float (*func)(float), float input_min, float input_max, float output_min,
            float output_max, int16_t* lut) {
  const int nb_steps = 512;
  const float step = (input_max - input_min) / nb_steps;
  const float half_step = step / 2;
  const float output_scaling_inv =
      static_cast<float>(32767 - (-32768) + 1) / (output_max - output_min);
  const float table_min = -32768.0f;
  const float table_max = 32767.0f;
  for (int i = 0; i < nb_steps; ++i) {
    const float val = func(input_min + static_cast<float>(i) * step);
    const float val_midpoint = func(input_min + static_cast<float>(i) * step + half_step);
    const float val_next = func(input_min + static_cast<float>(i + 1) * step);
    const float sample_val = std::round(val * output_scaling_inv);
    const float midpoint_interp_val =
        std::round((val_next * output_scaling_inv + std::round(val * output_scaling_inv)) / 2);
    const float midpoint_val = std::round(val_midpoint * output_scaling_inv);
    const float midpoint_err = midpoint_interp_val - midpoint_val;
    const float bias = std::round(midpoint_err / 2);
    float v = sample_val - bias;
    v = v < table_min ? table_min : v;
    v = v > table_max ? table_max : v;
    lut[i] = static_cast<int16_t>(v);
  }
  float last = std::round(func(input_max) * output_scaling_inv);
  last = last < table_min ? table_min : last;
  last = last > table_max ? table_max : last;
  lut[nb_steps] = static_cast<int16_t>(last);
}

}  // namespace

void SoftmaxInt8ToInt8(const SoftmaxParams& p, int32_t outer, int32_t depth, const int8_t* input,
                       int8_t* output) {
  SoftmaxFromInt8<int8_t>(p, outer, depth, input, output, INT8_MIN, INT8_MAX, 8);
}

void SoftmaxInt8ToInt16(const SoftmaxParams& p, int32_t outer, int32_t depth, const int8_t* input,
                        int16_t* output) {
  SoftmaxFromInt8<int16_t>(p, outer, depth, input, output, INT16_MIN, INT16_MAX, 16);
}

// TFLite's reference_ops::SoftmaxInt16: exp of the (non-positive) differences from the exp table,
// the sum normalized to [1, 2) and inverted through the 1/(1+x) table, then each exp scaled by the
// reciprocal. Output is Q0.15 in [0, 32767].
void SoftmaxInt16(const SoftmaxParams& p, int32_t outer, int32_t depth, const int16_t* input,
                  int16_t* output) {
  for (int32_t i = 0; i < outer; ++i) {
    const int16_t* in_row = input + static_cast<int64_t>(i) * depth;
    int16_t* out_row = output + static_cast<int64_t>(i) * depth;
    int32_t max_in_row = INT16_MIN;
    for (int32_t c = 0; c < depth; ++c) {
      if (in_row[c] > max_in_row) max_in_row = in_row[c];
    }

    // Like TFLite, the exps are parked in the output row until the reciprocal is known.
    int32_t sum_of_exps = 0;
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = static_cast<int32_t>(in_row[c]) - max_in_row;
      const int32_t scaled_diff =
          MultiplyByQuantizedMultiplier(diff, p.int16_input_multiplier, p.int16_input_left_shift);
      out_row[c] = LutLookup(SaturateInt16(scaled_diff + 32767), p.exp_lut);
      sum_of_exps += out_row[c];
    }

    const int headroom_plus_one = CountLeadingZeros32(static_cast<uint32_t>(sum_of_exps));
    const int pre_shift = headroom_plus_one > 0 ? headroom_plus_one - 1 : 0;
    const int32_t shifted_sum = static_cast<int32_t>(
        ((static_cast<int64_t>(sum_of_exps) << pre_shift) + (1 << 13)) >> 14);
    // The table computes 1/(1+x): x = sum - 1, recentred from [0, 65535] to [-32768, 32767].
    const int32_t sym_shifted_sum = shifted_sum + (-((1 << 15) + (1 << 16)));
    const int16_t reciprocal = LutLookup(SaturateInt16(sym_shifted_sum), p.one_over_one_plus_x_lut);

    int right_shift = 31 - headroom_plus_one;
    if (right_shift < 1) right_shift = 1;
    const int64_t round = int64_t{1} << (right_shift - 1);
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t result = static_cast<int32_t>(
          (static_cast<int64_t>(out_row[c]) * static_cast<int64_t>(reciprocal) + round) >>
          right_shift);
      out_row[c] = static_cast<int16_t>(result < 0 ? 0 : (result > 32767 ? 32767 : result));
    }
  }
}

void SoftmaxInt16PrepareTables(int16_t* exp_lut, int16_t* one_over_one_plus_x_lut) {
  // exp only ever sees non-positive differences, and exp(-10) is negligible in the sum.
  GenLut(ExpFloat, -10.0f, 0.0f, -1.0f, 1.0f, exp_lut);
  GenLut(OneOverOnePlusXFloat, 0.0f, 1.0f, -1.0f, 1.0f, one_over_one_plus_x_lut);
}

}  // namespace kernels
}  // namespace cleave
