// TFLite's MultiplyByQuantizedMultiplier on 8 int32 lanes, bit-exact with kernels/common.cc.
//
// SaturatingRoundingDoublingHighMul(a, b) adds a nudge of 2^30 (a*b >= 0) or 1 - 2^30 (a*b < 0)
// and divides by 2^31 truncating toward zero. For a negative product that truncation equals
// floor((a*b + 1 - 2^30 + 2^31 - 1) / 2^31) = floor((a*b + 2^30) / 2^31), the same expression as
// for a non-negative one, so one add and one shift of the 64-bit product give it exactly. (The
// saturating case a = b = INT32_MIN cannot occur: multipliers are never negative.)
// RoundingDivideByPOT(x, r) = (x >> r) + (remainder > threshold), with the mask and half-mask of
// each channel precomputed once at pack time.
#pragma once
#if defined(__x86_64__)
#include <immintrin.h>

#include <cstdint>

namespace cleave {
namespace kernels {
namespace x86 {

// Per-channel constants of the output stage, 8 channels at a time.
struct RequantizeLanes {
  __m256i multiplier, left_shift, right_shift, mask, half_mask;
};

static inline __m256i SaturatingRoundingDoublingHighMul8(__m256i a, __m256i b) {
  const __m256i nudge = _mm256_set1_epi64x(int64_t(1) << 30);
  // Even lanes: the result is bits 31..62 of (a*b + 2^30), moved into the low dword.
  const __m256i even = _mm256_srli_epi64(_mm256_add_epi64(_mm256_mul_epi32(a, b), nudge), 31);
  // Odd lanes: the same bits moved into the high dword by a left shift of one.
  const __m256i odd = _mm256_slli_epi64(
      _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32)), nudge), 1);
  return _mm256_blend_epi32(even, odd, 0xAA);
}

static inline __m256i RoundingDivideByPOT8(__m256i x, const RequantizeLanes& q) {
  const __m256i remainder = _mm256_and_si256(x, q.mask);
  const __m256i threshold = _mm256_add_epi32(q.half_mask, _mm256_srli_epi32(x, 31));
  // cmpgt yields -1 where the quotient rounds up; subtracting it adds one.
  return _mm256_sub_epi32(_mm256_srav_epi32(x, q.right_shift), _mm256_cmpgt_epi32(remainder, threshold));
}

// The same constants for every lane (a per-tensor multiplier and shift).
static inline RequantizeLanes UniformLanes(int32_t multiplier, int32_t shift) {
  const int32_t right = shift > 0 ? 0 : -shift;
  const int32_t mask = right >= 31 ? 0x7fffffff : int32_t((uint32_t(1) << right) - 1);
  return {_mm256_set1_epi32(multiplier), _mm256_set1_epi32(shift > 0 ? shift : 0), _mm256_set1_epi32(right),
          _mm256_set1_epi32(mask), _mm256_set1_epi32(mask >> 1)};
}

static inline __m256i MultiplyByQuantizedMultiplier8(__m256i x, const RequantizeLanes& q) {
  return RoundingDivideByPOT8(SaturatingRoundingDoublingHighMul8(_mm256_sllv_epi32(x, q.left_shift), q.multiplier), q);
}

// acc -> MultiplyByQuantizedMultiplier(acc) + output_offset, clamped to [act_min, act_max].
static inline __m256i Requantize8(__m256i acc, const RequantizeLanes& q, __m256i output_offset, __m256i act_min,
                                  __m256i act_max) {
  const __m256i v = _mm256_add_epi32(MultiplyByQuantizedMultiplier8(acc, q), output_offset);
  return _mm256_min_epi32(_mm256_max_epi32(v, act_min), act_max);
}

}  // namespace x86
}  // namespace kernels
}  // namespace cleave
#endif
