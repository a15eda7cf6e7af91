// TFLite's MultiplyByQuantizedMultiplier on 8 int32 lanes, bit-exact with kernels/common.cc.
//
// The reference rounds twice: y = SaturatingRoundingDoublingHighMul(x', M) with x' = x << left
// (wrapping), then RoundingDivideByPOT(y, s) with s = the right shift. Here both roundings are one
// floor of the 64-bit product P = x' * M:
// - y = floor((P + 2^30) / 2^31): the reference's nudge for a negative product, 1 - 2^30, with its
//   truncation toward zero, is the same floor. (Saturation needs x' = M = INT32_MIN; M >= 0.)
// - RoundingDivideByPOT(y, s) = floor((y + 2^(s-1) - [y < 0]) / 2^s) for s >= 1 (ties away from
//   zero), and floor((floor(a / m) + c) / n) = floor((a + c * m) / (m * n)) for integers, so
//   result = floor((P + N) / 2^(31+s)) with the nudge N = 2^30 + 2^(30+s) - [y < 0] * 2^31.
//   [y < 0] may be replaced by [P < 0]: they differ only for -2^30 <= P < 0, where y = 0 and
//   P + N lies in [2^31 * (2^(s-1) - 1), 2^31 * (2^(s-1) - 1) + 2^30), which floors to 0 as well.
//   For s = 0 the result is y itself: N = 2^30 for either sign.
// - |P| < 2^62 and N <= 2^30 + 2^61, so P + N fits int64. AVX2 has no 64-bit arithmetic shift, and
//   a logical one's low dword equals the arithmetic one's only for shifts up to 32, so the floor is
//   taken in two steps: the high dword of P + N is floor((P + N) / 2^32) exactly, and an int32
//   arithmetic shift by s - 1 finishes it (s = 0: the dword at bit 31 instead, shift 0).
// Per 8 lanes that is 12 instructions (sllv, 2 x vpmuldq, a move of the odd lanes, 2 x blendv of the
// nudge on the product's sign, 2 x add, 2 x variable shift of 64-bit lanes, blend, srav), and 10
// where no lane shifts left or by 0 (full_form below), where the form of RoundingDivideByPOT after
// a separate high multiply took 16; docs/benchmarks.md.
#pragma once
#if defined(__x86_64__)
#include <immintrin.h>

#include <cstdint>

namespace cleave {
namespace kernels {
namespace x86 {

// One channel's constants of the output stage in the form above (packed once per layer).
struct ChannelRequantization {
  int32_t multiplier;
  int32_t left_shift;           // applied to x before the product, wrapping as the reference does
  int64_t nudge_nonnegative;    // N for a product P >= 0
  int64_t nudge_negative;       // N for P < 0
  int64_t even_shift;           // right shift of a lane's P + N that leaves its result dword low
  int64_t odd_shift;            // left shift of a lane's P + N that leaves its result dword high
  int32_t right_shift;          // arithmetic shift of that dword that finishes the floor
  bool full_form;               // shift >= 0: see RequantizeLanes::full_form
};

// Multipliers are 0 or in [2^30, 2^31) and shifts in [-31, 30] (QuantizeMultiplier's range);
// shifts outside are clamped to [-31, 31] so that no shift here is undefined.
static inline ChannelRequantization ChannelConstants(int32_t multiplier, int32_t shift) {
  const int32_t s = shift > 0 ? 0 : (shift < -31 ? 31 : -shift);
  const int64_t nudge = (int64_t(1) << 30) + (s > 0 ? int64_t(1) << (30 + s) : 0);
  return {multiplier,
          shift > 31 ? 31 : (shift > 0 ? shift : 0),
          nudge,
          nudge - (s > 0 ? int64_t(1) << 31 : 0),
          s > 0 ? 32 : 31,
          s > 0 ? 0 : 1,
          s > 0 ? s - 1 : 0,
          shift >= 0};
}

// The constants of 8 channels. Lanes 0, 2, 4, 6 ("even") and 1, 3, 5, 7 ("odd") form their 64-bit
// products in separate registers, so each 64-bit constant comes as one register per half.
struct RequantizeLanes {
  __m256i multiplier;      // per lane; vpmuldq reads the even lanes' from it
  __m256i odd_multiplier;  // the odd lanes' multipliers in the low dword of each quadword
  __m256i left_shift;
  __m256i even_nudge_nonnegative, even_nudge_negative, odd_nudge_nonnegative, odd_nudge_negative;
  __m256i even_shift, odd_shift;  // 64-bit counts
  __m256i right_shift;
  // Whether some lane has shift >= 0 (a left shift, or none to the right). Where none has, as in
  // nearly every convolution, the 10-instruction form below runs: no left shift, and the results
  // all sit in the high dword of P + N. A branch per block, the same way for a whole layer.
  bool full_form;
};

// The same constants for every lane (a per-tensor multiplier and shift).
static inline RequantizeLanes UniformLanes(int32_t multiplier, int32_t shift) {
  const ChannelRequantization c = ChannelConstants(multiplier, shift);
  return {_mm256_set1_epi32(c.multiplier),        _mm256_set1_epi64x(c.multiplier),
          _mm256_set1_epi32(c.left_shift),        _mm256_set1_epi64x(c.nudge_nonnegative),
          _mm256_set1_epi64x(c.nudge_negative),   _mm256_set1_epi64x(c.nudge_nonnegative),
          _mm256_set1_epi64x(c.nudge_negative),   _mm256_set1_epi64x(c.even_shift),
          _mm256_set1_epi64x(c.odd_shift),        _mm256_set1_epi32(c.right_shift),
          c.full_form};
}

// The per-channel constants a packer writes once per layer: for each block of 8 channels,
// kRequantizeRows vectors of 8 int32, one per vector field of RequantizeLanes in field order (a
// 64-bit field holds the quadwords of its four lanes), so that one address reaches all of a block.
// full_form rides in the high dword of odd_multiplier's first quadword, which vpmuldq ignores.
constexpr int32_t kRequantizeRows = 10;
constexpr int32_t kFullFormAt = 8 * 1 + 1;

static inline void StoreBlockConstants(int32_t* blocks, int32_t ch, const ChannelRequantization (&lanes)[8]) {
  int32_t* block = blocks + size_t(ch) * kRequantizeRows;
  auto quadword = [&](int32_t row, int32_t quad, int64_t v) {
    block[8 * row + 2 * quad] = int32_t(uint32_t(uint64_t(v)));
    block[8 * row + 2 * quad + 1] = int32_t(uint32_t(uint64_t(v) >> 32));
  };
  for (int32_t quad = 0; quad < 4; ++quad) {
    const ChannelRequantization &even = lanes[2 * quad], &odd = lanes[2 * quad + 1];
    block[2 * quad] = even.multiplier;
    block[2 * quad + 1] = odd.multiplier;
    quadword(1, quad, odd.multiplier);
    block[8 * 2 + 2 * quad] = even.left_shift;
    block[8 * 2 + 2 * quad + 1] = odd.left_shift;
    quadword(3, quad, even.nudge_nonnegative);
    quadword(4, quad, even.nudge_negative);
    quadword(5, quad, odd.nudge_nonnegative);
    quadword(6, quad, odd.nudge_negative);
    quadword(7, quad, even.even_shift);
    quadword(8, quad, odd.odd_shift);
    block[8 * 9 + 2 * quad] = even.right_shift;
    block[8 * 9 + 2 * quad + 1] = odd.right_shift;
  }
  bool full_form = false;
  for (const ChannelRequantization& lane : lanes) full_form |= lane.full_form;
  block[kFullFormAt] = full_form;
}

// Channels [ch, ch + 8) of constants written by StoreBlockConstants (ch a multiple of 8).
static inline RequantizeLanes LoadRequantizeLanes(const int32_t* blocks, int32_t ch) {
  const int32_t* block = blocks + size_t(ch) * kRequantizeRows;
  auto at = [&](int32_t row) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block) + row); };
  return {at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7), at(8), at(9), block[kFullFormAt] != 0};
}

// P + N of the four lanes whose x and multiplier sit in the low dwords of x and multiplier.
static inline __m256i NudgedProduct4(__m256i x, __m256i multiplier, __m256i nudge_nonnegative, __m256i nudge_negative) {
  const __m256i product = _mm256_mul_epi32(x, multiplier);
  // blendv takes each quadword's sign bit: the sign of the product.
  const __m256i nudge = _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(nudge_nonnegative),
                                                             _mm256_castsi256_pd(nudge_negative), _mm256_castsi256_pd(product)));
  return _mm256_add_epi64(product, nudge);
}

static inline __m256i MultiplyByQuantizedMultiplier8(__m256i x, const RequantizeLanes& q) {
  if (__builtin_expect(q.full_form, 0)) {
    const __m256i shifted = _mm256_sllv_epi32(x, q.left_shift);
    const __m256i even = NudgedProduct4(shifted, q.multiplier, q.even_nudge_nonnegative, q.even_nudge_negative);
    const __m256i odd = NudgedProduct4(_mm256_srli_epi64(shifted, 32), q.odd_multiplier, q.odd_nudge_nonnegative, q.odd_nudge_negative);
    const __m256i high = _mm256_blend_epi32(_mm256_srlv_epi64(even, q.even_shift), _mm256_sllv_epi64(odd, q.odd_shift), 0xAA);
    return _mm256_srav_epi32(high, q.right_shift);
  }
  const __m256i even = NudgedProduct4(x, q.multiplier, q.even_nudge_nonnegative, q.even_nudge_negative);
  const __m256i odd = NudgedProduct4(_mm256_srli_epi64(x, 32), q.odd_multiplier, q.odd_nudge_nonnegative, q.odd_nudge_negative);
  return _mm256_srav_epi32(_mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA), q.right_shift);
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
