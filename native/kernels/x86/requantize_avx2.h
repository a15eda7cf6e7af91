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
// where no lane shifts left or by 0 (full_form below); a separate high multiply and
// RoundingDivideByPOT took 16. docs/benchmarks.md has the counts and the A/B figures.
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

// The constants of 8 channels, one vector each. Lanes 0, 2, 4, 6 ("even") and 1, 3, 5, 7 ("odd")
// form their 64-bit products in separate registers, so each 64-bit constant comes as one vector per
// half.
enum LaneField : int32_t {
  kMultiplier,     // per lane; vpmuldq reads the even lanes' from it
  kOddMultiplier,  // the odd lanes' multipliers in the low dword of each quadword
  kLeftShift,
  kEvenNudgeNonnegative,
  kEvenNudgeNegative,
  kOddNudgeNonnegative,
  kOddNudgeNegative,
  kEvenShift,  // 64-bit counts
  kOddShift,
  kRightShift,
  kLaneFields
};

// The constants in registers (UniformLanes, OutputStageTables::Lanes).
struct RequantizeLanes {
  __m256i fields[kLaneFields];
  // Whether some lane has shift >= 0 (a left shift, or none to the right). Where none has, as in
  // nearly every convolution, the 10-instruction form below runs: no left shift, and the results
  // all sit in the high dword of P + N. A branch per block, the same way for a whole layer.
  bool full_form;
  __m256i operator[](LaneField f) const { return fields[f]; }
};

// The same constants for every lane (a per-tensor multiplier and shift).
static inline RequantizeLanes UniformLanes(int32_t multiplier, int32_t shift) {
  const ChannelRequantization c = ChannelConstants(multiplier, shift);
  return {{_mm256_set1_epi32(c.multiplier), _mm256_set1_epi64x(c.multiplier), _mm256_set1_epi32(c.left_shift),
           _mm256_set1_epi64x(c.nudge_nonnegative), _mm256_set1_epi64x(c.nudge_negative), _mm256_set1_epi64x(c.nudge_nonnegative),
           _mm256_set1_epi64x(c.nudge_negative), _mm256_set1_epi64x(c.even_shift), _mm256_set1_epi64x(c.odd_shift),
           _mm256_set1_epi32(c.right_shift)},
          c.full_form};
}

// The per-channel constants a packer writes once per layer: for each block of 8 channels,
// kRequantizeRows vectors of 8 int32, one per LaneField in order (a 64-bit field holds the
// quadwords of its four lanes), so that one address reaches all of a block. full_form rides in the
// high dword of kOddMultiplier's first quadword, which vpmuldq ignores.
constexpr int32_t kRequantizeRows = kLaneFields;
constexpr int32_t kFullFormAt = 8 * kOddMultiplier + 1;

static inline void StoreBlockConstants(int32_t* blocks, int32_t ch, const ChannelRequantization (&lanes)[8]) {
  int32_t* block = blocks + size_t(ch) * kRequantizeRows;
  auto dwords = [&](LaneField f, int32_t quad, int32_t even, int32_t odd) {
    block[8 * f + 2 * quad] = even;
    block[8 * f + 2 * quad + 1] = odd;
  };
  auto quadword = [&](LaneField f, int32_t quad, int64_t v) {
    dwords(f, quad, int32_t(uint32_t(uint64_t(v))), int32_t(uint32_t(uint64_t(v) >> 32)));
  };
  bool full_form = false;
  for (int32_t quad = 0; quad < 4; ++quad) {
    const ChannelRequantization &even = lanes[2 * quad], &odd = lanes[2 * quad + 1];
    dwords(kMultiplier, quad, even.multiplier, odd.multiplier);
    quadword(kOddMultiplier, quad, odd.multiplier);
    dwords(kLeftShift, quad, even.left_shift, odd.left_shift);
    quadword(kEvenNudgeNonnegative, quad, even.nudge_nonnegative);
    quadword(kEvenNudgeNegative, quad, even.nudge_negative);
    quadword(kOddNudgeNonnegative, quad, odd.nudge_nonnegative);
    quadword(kOddNudgeNegative, quad, odd.nudge_negative);
    quadword(kEvenShift, quad, even.even_shift);
    quadword(kOddShift, quad, odd.odd_shift);
    dwords(kRightShift, quad, even.right_shift, odd.right_shift);
    full_form |= even.full_form || odd.full_form;
  }
  block[kFullFormAt] = full_form;
}

// The constants of channels [ch, ch + 8) (ch a multiple of 8) as StoreBlockConstants wrote them,
// each loaded where it is used: a form that does not need a constant then holds no register for
// it (with all ten loaded up front, GCC spilled in the product loops of small-channel layers).
struct PackedLanes {
  const __m256i* block;
  bool full_form;
  __m256i operator[](LaneField f) const { return _mm256_loadu_si256(block + f); }
};

static inline PackedLanes PackedLanesAt(const int32_t* blocks, int32_t ch) {
  const int32_t* block = blocks + size_t(ch) * kRequantizeRows;
  return {reinterpret_cast<const __m256i*>(block), block[kFullFormAt] != 0};
}

static inline RequantizeLanes LoadRequantizeLanes(const int32_t* blocks, int32_t ch) {
  const PackedLanes packed = PackedLanesAt(blocks, ch);
  RequantizeLanes q;
  for (int32_t f = 0; f < kLaneFields; ++f) q.fields[f] = packed[LaneField(f)];
  q.full_form = packed.full_form;
  return q;
}

// P + N of the four lanes whose x and multiplier sit in the low dwords of x and multiplier.
static inline __m256i NudgedProduct4(__m256i x, __m256i multiplier, __m256i nudge_nonnegative, __m256i nudge_negative) {
  const __m256i product = _mm256_mul_epi32(x, multiplier);
  // blendv takes each quadword's sign bit: the sign of the product.
  const __m256i nudge = _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(nudge_nonnegative),
                                                             _mm256_castsi256_pd(nudge_negative), _mm256_castsi256_pd(product)));
  return _mm256_add_epi64(product, nudge);
}

// Lanes: RequantizeLanes or PackedLanes.
template <class Lanes>
static inline __m256i MultiplyByQuantizedMultiplier8(__m256i x, const Lanes& q) {
  if (__builtin_expect(q.full_form, 0)) {
    const __m256i shifted = _mm256_sllv_epi32(x, q[kLeftShift]);
    const __m256i even = NudgedProduct4(shifted, q[kMultiplier], q[kEvenNudgeNonnegative], q[kEvenNudgeNegative]);
    const __m256i odd = NudgedProduct4(_mm256_srli_epi64(shifted, 32), q[kOddMultiplier], q[kOddNudgeNonnegative], q[kOddNudgeNegative]);
    const __m256i high = _mm256_blend_epi32(_mm256_srlv_epi64(even, q[kEvenShift]), _mm256_sllv_epi64(odd, q[kOddShift]), 0xAA);
    return _mm256_srav_epi32(high, q[kRightShift]);
  }
  const __m256i even = NudgedProduct4(x, q[kMultiplier], q[kEvenNudgeNonnegative], q[kEvenNudgeNegative]);
  const __m256i odd = NudgedProduct4(_mm256_srli_epi64(x, 32), q[kOddMultiplier], q[kOddNudgeNonnegative], q[kOddNudgeNegative]);
  return _mm256_srav_epi32(_mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA), q[kRightShift]);
}

// acc -> MultiplyByQuantizedMultiplier(acc) + output_offset, clamped to [act_min, act_max].
template <class Lanes>
static inline __m256i Requantize8(__m256i acc, const Lanes& q, __m256i output_offset, __m256i act_min, __m256i act_max) {
  const __m256i v = _mm256_add_epi32(MultiplyByQuantizedMultiplier8(acc, q), output_offset);
  return _mm256_min_epi32(_mm256_max_epi32(v, act_min), act_max);
}

}  // namespace x86
}  // namespace kernels
}  // namespace cleave
#endif
