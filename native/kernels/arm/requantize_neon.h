// The NEON output stage: TFLite's MultiplyByQuantizedMultiplier, output offset and activation clamp
// on 8 int32 accumulators held in registers, bit-exact with kernels/common.cc. vqrdmulh is
// SaturatingRoundingDoublingHighMul, and the fixup + rounding shift is RoundingDivideByPOT
// (gemmlowp's formulation). The per-channel constants come from tables packed at load
// (OutputStageBlock), in the order the kernels read them, so nothing is gathered per call.
//
// Functions here are `static inline`: neon_dot.cc is compiled with +dotprod and neon.cc without,
// and a shared (inline, external-linkage) copy could be the one the linker keeps for both.
#pragma once
#if defined(__aarch64__)
#include <arm_neon.h>

#include <cstdint>
#include <cstring>

namespace cleave {
namespace kernels {
namespace arm {

// Output stage of 8 consecutive output channels: the bias (any folded input-offset term included),
// the multiplier, the left shift and the right shift negated (vrshl's rounding right shift).
struct OutputStageBlock {
  int32_t bias[8];
  int32_t multiplier[8];
  int32_t left_shift[8];
  int32_t right_shift_neg[8];
};

// One block's constants in registers, loaded once and used for every row of a tile.
struct OutputStage8 {
  int32x4_t multiplier[2], left_shift[2], right_shift_neg[2];
};

// What every output channel shares. The clamp bounds are int8: act_min/act_max lie in [-128, 127]
// for int8 outputs, so clamping after the saturating narrow gives the reference's value.
struct OutputClamp {
  int32x4_t output_offset;
  int8x8_t act_min, act_max;
};

static inline OutputStage8 LoadOutputStage(const OutputStageBlock& b) {
  return {{vld1q_s32(b.multiplier), vld1q_s32(b.multiplier + 4)},
          {vld1q_s32(b.left_shift), vld1q_s32(b.left_shift + 4)},
          {vld1q_s32(b.right_shift_neg), vld1q_s32(b.right_shift_neg + 4)}};
}

static inline OutputClamp MakeOutputClamp(int32_t output_offset, int32_t act_min, int32_t act_max) {
  const int32_t lo = act_min < -128 ? -128 : act_min, hi = act_max > 127 ? 127 : act_max;
  return {vdupq_n_s32(output_offset), vdup_n_s8(static_cast<int8_t>(lo)), vdup_n_s8(static_cast<int8_t>(hi))};
}

static inline int32x4_t Scale4(int32x4_t acc, int32x4_t multiplier, int32x4_t left_shift, int32x4_t right_shift_neg) {
  const int32x4_t v = vqrdmulhq_s32(vshlq_s32(acc, left_shift), multiplier);
  const int32x4_t fixup = vshrq_n_s32(vandq_s32(v, right_shift_neg), 31);
  return vrshlq_s32(vqaddq_s32(v, fixup), right_shift_neg);
}

// Accumulators (bias already in them) of channels 0-3 and 4-7 -> 8 output bytes. The narrows
// saturate, so a value outside int8 becomes -128 or 127 and the int8 clamp then gives the
// reference's clamp(value, act_min, act_max).
static inline int8x8_t Requantize8(int32x4_t lo, int32x4_t hi, const OutputStage8& s, const OutputClamp& c) {
  const int32x4_t v0 = vaddq_s32(Scale4(lo, s.multiplier[0], s.left_shift[0], s.right_shift_neg[0]), c.output_offset);
  const int32x4_t v1 = vaddq_s32(Scale4(hi, s.multiplier[1], s.left_shift[1], s.right_shift_neg[1]), c.output_offset);
  const int8x8_t bytes = vqmovn_s16(vcombine_s16(vqmovn_s32(v0), vqmovn_s32(v1)));
  return vmin_s8(vmax_s8(bytes, c.act_min), c.act_max);
}

// Stores the first `valid` of 8 bytes: all 8 at once when the row has them, never past the row.
static inline void StoreBytes8(int8_t* dst, int8x8_t bytes, int32_t valid) {
  if (valid >= 8) {
    vst1_s8(dst, bytes);
    return;
  }
  int8_t tmp[8];
  vst1_s8(tmp, bytes);
  std::memcpy(dst, tmp, size_t(valid));
}

}  // namespace arm
}  // namespace kernels
}  // namespace cleave
#endif
