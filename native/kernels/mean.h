// MEAN over a set of axes, int8 and int16: TFLite Micro's reduce_common.cc EvalIntegerMean, which
// (since TFLite Micro aligned MEAN with TFLite in 2023) always takes reference_ops::
// QuantizedMeanOrSum: the zero-point-corrected sum requantized with a multiplier into which 1/count
// is folded (see mean.cc), whether or not input and output quantization are equal. With equal
// quantization that rounds the average to nearest instead of truncating it.
#pragma once
#include "kernels/common.h"

namespace cleave {
namespace kernels {

struct MeanParams {
  int32_t input_zero_point, output_zero_point;
  // QuantizeMultiplier(double(input_scale) / double(output_scale)), as TFLite Micro's Prepare
  // computes it: NOT yet divided by the element count, the kernel folds that in.
  int32_t multiplier, shift;
  int32_t num_axes;
  int32_t axes[4];            // indices into Shape::dims (0..3, rank-4 aligned); duplicates ignored
};

// `output_shape` is the input shape with the reduced dimensions removed or set to 1 (keep_dims
// does not change the layout). `temp_sum` has one int32 per output element (arena scratch).
void MeanInt8(const MeanParams& p, const Shape& input_shape, const int8_t* input,
              const Shape& output_shape, int8_t* output, int32_t* temp_sum);
void MeanInt16(const MeanParams& p, const Shape& input_shape, const int16_t* input,
               const Shape& output_shape, int16_t* output, int32_t* temp_sum);

}  // namespace kernels
}  // namespace cleave
