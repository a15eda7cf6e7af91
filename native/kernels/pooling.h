// AVERAGE_POOL_2D and MAX_POOL_2D, int8 and int16: TFLite's reference_integer_ops::AveragePool /
// MaxPool.
#pragma once
#include "kernels/common.h"

namespace cleave {
namespace kernels {

struct PoolParams {
  int32_t stride_h, stride_w;
  int32_t filter_h, filter_w;
  int32_t pad_top, pad_left;
  int32_t act_min, act_max;
};

// Averages only the taps inside the input (padding is not counted), rounding half away from
// zero. Returns false, like TFLite's AveragePool, when some window has no tap inside the input;
// the output is then incomplete and the op has failed.
bool AveragePoolInt8(const PoolParams& p, const Shape& input_shape, const int8_t* input,
                     const Shape& output_shape, int8_t* output);
bool AveragePoolInt16(const PoolParams& p, const Shape& input_shape, const int16_t* input,
                      const Shape& output_shape, int16_t* output);
void MaxPoolInt8(const PoolParams& p, const Shape& input_shape, const int8_t* input,
                 const Shape& output_shape, int8_t* output);
void MaxPoolInt16(const PoolParams& p, const Shape& input_shape, const int16_t* input,
                  const Shape& output_shape, int16_t* output);

}  // namespace kernels
}  // namespace cleave
