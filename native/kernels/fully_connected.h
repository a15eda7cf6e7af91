// FULLY_CONNECTED, int8 activations and weights, int32 bias: TFLite's
// reference_integer_ops::FullyConnected (per-tensor) and FullyConnectedPerChannel; and the
// int16-activation variant (int8 weights, int64 bias) TFLite Micro runs for 16x8 models.
#pragma once
#include "kernels/common.h"

namespace cleave {
namespace kernels {

struct FullyConnectedParams {
  int32_t input_offset;   // -input zero point (unused by the int16 variant: zero point is 0)
  int32_t filter_offset;  // -filter zero point; TFLite applies it on the per-tensor path only
  int32_t output_offset;  // output zero point (unused by the int16 variant)
  int32_t act_min, act_max;
  bool per_channel;       // multiplier/shift hold output_depth entries, else one
};

// input [batches, accum_depth], filter [output_depth, accum_depth], bias [output_depth] or null,
// output [batches, output_depth].
void FullyConnected(const FullyConnectedParams& p, const int32_t* multiplier, const int32_t* shift,
                    int32_t batches, int32_t accum_depth, int32_t output_depth, const int8_t* input,
                    const int8_t* filter, const int32_t* bias, int8_t* output);

// int16 input and output, int8 weights, int64 bias: accumulates in 64 bits and requantizes with
// the int64 MultiplyByQuantizedMultiplier, as TFLite's FullyConnected<int64_t> does.
void FullyConnectedInt16(const FullyConnectedParams& p, const int32_t* multiplier,
                         const int32_t* shift, int32_t batches, int32_t accum_depth,
                         int32_t output_depth, const int16_t* input, const int8_t* filter,
                         const int64_t* bias, int16_t* output);

}  // namespace kernels
}  // namespace cleave
