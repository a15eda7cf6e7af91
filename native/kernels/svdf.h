// SVDF, int8 input/weights_feature, int32 bias, int8 output, with the state and weights_time
// either both int16 or both int8: TFLite Micro's EvalIntegerSvdfReference<int16_t / int8_t>.
#pragma once
#include "kernels/common.h"

namespace cleave {
namespace kernels {

struct SvdfParams {
  int32_t batch_size, input_size, num_filters, num_units, memory_size, rank;
  int32_t input_zero_point, output_zero_point;
  int32_t state_zero_point;  // activation state's zero point (0 for the usual int16 state)
  // QuantizeMultiplier(double(float(input_scale * weights_feature_scale / state_scale))): TFLite
  // Micro forms the ratio in float and only then widens it to double.
  int32_t effective_scale_1_a, effective_scale_1_b;
  // QuantizeMultiplier(double(float(state_scale * weights_time_scale / output_scale))).
  int32_t effective_scale_2_a, effective_scale_2_b;
  // No activation range: TFLite Micro's integer SVDF clamps the output to the full int8 range
  // and ignores the fused activation (output quantization carries a RELU's lower bound).
};

// state [batch, num_filters * memory_size] is updated in place (a variable tensor): shifted left
// by one element, then each filter's newest slot gets this step's feature projection.
// scratch: batch*num_filters int32; scratch_output: batch*num_units int32.
void SvdfInt8(const SvdfParams& p, const int8_t* input, const int8_t* weights_feature,
              const int16_t* weights_time, const int32_t* bias, int16_t* state, int8_t* output,
              int32_t* scratch, int32_t* scratch_output);
// The same with int8 weights_time and an int8 state.
void SvdfInt8StateInt8(const SvdfParams& p, const int8_t* input, const int8_t* weights_feature,
                       const int8_t* weights_time, const int32_t* bias, int8_t* state,
                       int8_t* output, int32_t* scratch, int32_t* scratch_output);

}  // namespace kernels
}  // namespace cleave
