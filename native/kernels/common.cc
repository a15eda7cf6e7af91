#include "kernels/common.h"

namespace cleave {
namespace kernels {

int64_t Shape::FlatSize() const {
  return static_cast<int64_t>(dims[0]) * dims[1] * dims[2] * dims[3];
}

// gemmlowp's scalar VQRDMULH: round(a * b / 2^31), with the single overflowing case
// (-2^31 * -2^31) saturated. The nudge makes the truncating division round half away from zero.
int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int64_t nudge = ab >= 0 ? (int64_t{1} << 30) : (1 - (int64_t{1} << 30));
  return static_cast<int32_t>((ab + nudge) / (int64_t{1} << 31));
}

// gemmlowp's rounding arithmetic right shift: ties round away from zero (the threshold is one
// larger for negative x). Computed in 64 bits so exponent 31 (mask 0x7fffffff) needs no care.
int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  if (exponent <= 0) return x;
  if (exponent > 62) exponent = 62;
  const int64_t v = x;
  const int64_t mask = (int64_t{1} << exponent) - 1;
  const int64_t remainder = v & mask;
  const int64_t threshold = (mask >> 1) + (v < 0 ? 1 : 0);
  return static_cast<int32_t>((v >> exponent) + (remainder > threshold ? 1 : 0));
}

// Double rounding, as TFLite Micro builds it: the left part of the shift is applied before the
// high multiply (wrapping on overflow, as the int32 product in TFLite does on real machines) and
// the right part rounds a second time.
int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift) {
  const int left_shift = shift > 0 ? (shift < 31 ? shift : 31) : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  return RoundingDivideByPOT(
      SaturatingRoundingDoublingHighMul(WrapMul(x, static_cast<int32_t>(1u << left_shift)),
                                        multiplier),
      right_shift);
}

int32_t MultiplyByQuantizedMultiplier(int64_t x, int32_t multiplier, int shift) {
  // TFLite reduces the Q31 multiplier to Q15 (rounding, saturating at 0x7fff) so that the
  // product with a 48-bit accumulator fits in 64 bits, then rounds once (half up).
  const int32_t reduced = multiplier < 0x7FFF0000 ? ((multiplier + (1 << 15)) >> 16) : 0x7FFF;
  const int total_shift = 15 - shift;
  const int64_t round = total_shift > 0 ? (int64_t{1} << (total_shift - 1)) : 0;
  const uint64_t product = static_cast<uint64_t>(x) * static_cast<uint64_t>(int64_t{reduced});
  const int64_t sum = static_cast<int64_t>(product + static_cast<uint64_t>(round));
  return static_cast<int32_t>(total_shift > 0 ? (sum >> total_shift) : sum);
}

int32_t MultiplyByQuantizedMultiplierSmallerThanOneExp(int32_t x, int32_t multiplier, int shift) {
  return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x, multiplier), -shift);
}

int32_t MultiplyByQuantizedMultiplierGreaterThanOne(int32_t x, int32_t multiplier, int left_shift) {
  if (left_shift < 0) left_shift = 0;
  if (left_shift > 31) left_shift = 31;
  return SaturatingRoundingDoublingHighMul(WrapMul(x, static_cast<int32_t>(1u << left_shift)),
                                           multiplier);
}

}  // namespace kernels
}  // namespace cleave
