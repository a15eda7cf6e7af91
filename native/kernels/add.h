// ADD, int8 (and int16) with requantization and NumPy broadcasting: TFLite's reference
// integer_ops::Add / BroadcastAdd4DSlow (int8) and reference_ops::AddElementwise /
// BroadcastAdd4DSlow (int16, general scales) with the parameters of TFLite Micro's add Prepare.
#pragma once
#include "kernels/common.h"

namespace cleave {
namespace kernels {

struct AddParams {
  int32_t left_shift;  // 20 for int8, 15 for int16
  int32_t input1_offset, input2_offset, output_offset;  // -zp1, -zp2, +zp_out
  // QuantizeMultiplierSmallerThanOneExp of, with m = 2 * max(s1, s2) in double:
  int32_t input1_multiplier, input1_shift;  // s1 / m
  int32_t input2_multiplier, input2_shift;  // s2 / m
  int32_t output_multiplier, output_shift;  // m / (2^left_shift * s_out)
  int32_t act_min, act_max;
};

// Shapes are right-aligned to rank 4 (Shape's convention); along each dimension the two input
// extents are equal or one of them is 1, and the output has the larger extent.
void AddInt8(const AddParams& p, const Shape& input1_shape, const int8_t* input1,
             const Shape& input2_shape, const int8_t* input2, const Shape& output_shape,
             int8_t* output);
void AddInt16(const AddParams& p, const Shape& input1_shape, const int16_t* input1,
              const Shape& input2_shape, const int16_t* input2, const Shape& output_shape,
              int16_t* output);

}  // namespace kernels
}  // namespace cleave
