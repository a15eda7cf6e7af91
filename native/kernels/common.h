// Shared arithmetic of TFLite's int8 reference kernels: shapes, fixed-point requantization and
// activation clamps. Plain C++17 without exceptions, heap or N-API, so the same code builds for
// Cortex-M firmware. Semantics follow tensorflow/lite/kernels/internal/common.h (double rounding:
// TFLITE_SINGLE_ROUNDING is not defined in TFLite Micro's reference build) and gemmlowp's
// fixedpoint.h, which that file builds on.
#pragma once
#include <cstdint>

namespace cleave {
namespace kernels {

// A tensor shape of up to 4 dimensions, outermost first (NHWC for images). Unused leading
// dimensions are 1, so a [10] vector is {1, 1, 1, 10} with rank 1. Every kernel reads all four
// entries of `dims`; `rank` is informational.
struct Shape {
  int32_t rank;
  int32_t dims[4];
  int32_t Dim(int i) const { return dims[i]; }
  int64_t FlatSize() const;
};

// Index of element [b][y][x][c] in a row-major 4-D tensor of shape `s`.
inline int64_t Offset(const Shape& s, int32_t b, int32_t y, int32_t x, int32_t c) {
  return ((static_cast<int64_t>(b) * s.dims[1] + y) * s.dims[2] + x) * s.dims[3] + c;
}

// x * multiplier * 2^shift with TFLite's rounding: SaturatingRoundingDoublingHighMul followed by
// RoundingDivideByPOT. `shift` > 0 shifts left, < 0 shifts right.
int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift);
// TFLite's 64-bit-accumulator overload (int16 activations with int64 bias): the multiplier is
// first reduced to 16 bits and the product rounded once, so it is NOT the int32 overload widened.
int32_t MultiplyByQuantizedMultiplier(int64_t x, int32_t multiplier, int shift);
// The variants TFLite keeps for multipliers known to be below one or above one.
int32_t MultiplyByQuantizedMultiplierSmallerThanOneExp(int32_t x, int32_t multiplier, int shift);
int32_t MultiplyByQuantizedMultiplierGreaterThanOne(int32_t x, int32_t multiplier, int left_shift);
int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b);
int32_t RoundingDivideByPOT(int32_t x, int exponent);

// max(v, lo) first, then min(., hi): the order TFLite applies fused activation bounds in.
inline int32_t Clamp(int32_t v, int32_t lo, int32_t hi) {
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

// The output stage of conv, depthwise and fully connected: the int32 accumulator rescaled to the
// output scale, shifted by the output zero point and clamped to the fused activation's range.
inline int32_t RequantizeAccumulator(int32_t acc, int32_t multiplier, int shift, int32_t output_offset,
                                     int32_t act_min, int32_t act_max) {
  return Clamp(MultiplyByQuantizedMultiplier(acc, multiplier, shift) + output_offset, act_min, act_max);
}

// Two's-complement wrapping arithmetic. TFLite writes these as plain int32 operations whose
// overflow is undefined behaviour; the machines the golden data came from wrap, and so do we,
// without handing the optimizer an excuse.
inline int32_t WrapAdd(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
inline int32_t WrapSub(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
inline int32_t WrapMul(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) * static_cast<uint32_t>(b));
}

}  // namespace kernels
}  // namespace cleave
