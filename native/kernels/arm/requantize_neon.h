// TFLite's MultiplyByQuantizedMultiplier on 4 int32 lanes with NEON, bit-exact with
// kernels/common.cc: vqrdmulh is SaturatingRoundingDoublingHighMul, and the fixup + rounding shift
// is RoundingDivideByPOT (gemmlowp's formulation).
#pragma once
#if defined(__aarch64__)
#include <arm_neon.h>

namespace cleave {
namespace kernels {
namespace arm {

static inline int32x4_t Requantize4(int32x4_t acc, int32x4_t multiplier, int32x4_t shift, int32x4_t output_offset,
                                    int32x4_t act_min, int32x4_t act_max) {
  const int32x4_t zero = vdupq_n_s32(0);
  const int32x4_t left = vmaxq_s32(shift, zero);
  const int32x4_t right_neg = vminq_s32(shift, zero);  // -right_shift
  int32x4_t v = vqrdmulhq_s32(vshlq_s32(acc, left), multiplier);
  const int32x4_t fixup = vshrq_n_s32(vandq_s32(v, right_neg), 31);
  v = vrshlq_s32(vqaddq_s32(v, fixup), right_neg);
  v = vaddq_s32(v, output_offset);
  return vminq_s32(vmaxq_s32(v, act_min), act_max);
}

}  // namespace arm
}  // namespace kernels
}  // namespace cleave
#endif
