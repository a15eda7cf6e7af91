// TFLite's MultiplyByQuantizedMultiplier on 8 int32 lanes, bit-exact with kernels/common.cc:
// SaturatingRoundingDoublingHighMul (64-bit product, nudge, division truncating toward zero)
// followed by RoundingDivideByPOT. Multipliers are never INT32_MIN, so the one saturating case of
// the high multiply cannot occur.
#pragma once
#if defined(__x86_64__)
#include <immintrin.h>

#include <cstdint>

namespace cleave {
namespace kernels {
namespace x86 {

// High 32 bits of the rounded doubled product for the even lanes (0, 2, 4, 6) of a and b.
static inline __m256i HighMulEven(__m256i a, __m256i b) {
  const __m256i product = _mm256_mul_epi32(a, b);  // signed 32x32 -> 64
  const __m256i negative = _mm256_cmpgt_epi64(_mm256_setzero_si256(), product);
  // nudge = product >= 0 ? 2^30 : 1 - 2^30
  const __m256i nudge = _mm256_blendv_epi8(_mm256_set1_epi64x(1ll << 30), _mm256_set1_epi64x(1 - (1ll << 30)), negative);
  __m256i v = _mm256_add_epi64(product, nudge);
  // Division by 2^31 truncating toward zero: add 2^31 - 1 to negative values, then shift. Only
  // bits 31..62 are kept, so a logical shift serves as an arithmetic one.
  const __m256i v_negative = _mm256_cmpgt_epi64(_mm256_setzero_si256(), v);
  v = _mm256_add_epi64(v, _mm256_and_si256(v_negative, _mm256_set1_epi64x((1ll << 31) - 1)));
  return _mm256_srli_epi64(v, 31);  // result in the low 32 bits of each 64-bit lane
}

static inline __m256i SaturatingRoundingDoublingHighMul8(__m256i a, __m256i b) {
  const __m256i even = HighMulEven(a, b);
  const __m256i odd = HighMulEven(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32));
  return _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
}

static inline __m256i RoundingDivideByPOT8(__m256i x, __m256i exponent) {
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, exponent), one);
  const __m256i remainder = _mm256_and_si256(x, mask);
  const __m256i threshold = _mm256_add_epi32(_mm256_srai_epi32(mask, 1), _mm256_and_si256(_mm256_cmpgt_epi32(_mm256_setzero_si256(), x), one));
  return _mm256_add_epi32(_mm256_srav_epi32(x, exponent), _mm256_and_si256(_mm256_cmpgt_epi32(remainder, threshold), one));
}

// acc -> int32 result of MultiplyByQuantizedMultiplier + output_offset, clamped.
static inline __m256i Requantize8(__m256i acc, __m256i multiplier, __m256i left_shift, __m256i right_shift,
                                  __m256i output_offset, __m256i act_min, __m256i act_max) {
  const __m256i shifted = _mm256_sllv_epi32(acc, left_shift);
  __m256i v = RoundingDivideByPOT8(SaturatingRoundingDoublingHighMul8(shifted, multiplier), right_shift);
  v = _mm256_add_epi32(v, output_offset);
  return _mm256_min_epi32(_mm256_max_epi32(v, act_min), act_max);
}

// Per-channel shift as the (left, right) pair the vector code uses.
static inline void SplitShift(__m256i shift, __m256i* left, __m256i* right) {
  const __m256i zero = _mm256_setzero_si256();
  *left = _mm256_max_epi32(shift, zero);
  *right = _mm256_max_epi32(_mm256_sub_epi32(zero, shift), zero);
}

}  // namespace x86
}  // namespace kernels
}  // namespace cleave
#endif
