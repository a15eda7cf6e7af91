// SOFTMAX: int8 input (gemmlowp fixed-point exp, TFLite's reference_ops::Softmax for int8 with
// int8 or int16 output) and int16 input (TFLite's SoftmaxInt16 with exp and 1/(1+x) lookup tables).
#pragma once
#include "kernels/common.h"

namespace cleave {
namespace kernels {

struct SoftmaxParams {
  // int8 input: from PreprocessSoftmaxScaling(beta, input_scale, 5) and
  // diff_min = -CalculateInputRadius(5, input_left_shift).
  int32_t input_multiplier;
  int32_t input_left_shift;
  int32_t diff_min;
  // Not read by the kernels: TFLite Micro requires -128 (int8 output, scale 1/256), -32768 (int16
  // output of int8 input, scale 1/65536) or 0 (int16 input, scale 1/32768), and the arithmetic
  // bakes those in.
  int32_t output_zero_point;
  // int16 input: QuantizeMultiplier(input_scale * beta / (10 / 65535)), which maps differences
  // in [-65535, 0] onto the exp table's [-10, 0], and the two 513-entry tables
  // (SoftmaxInt16PrepareTables).
  int32_t int16_input_multiplier, int16_input_left_shift;
  const int16_t* exp_lut;
  const int16_t* one_over_one_plus_x_lut;
};

// `outer` rows of `depth` values each (the last dimension is the softmax axis).
void SoftmaxInt8ToInt8(const SoftmaxParams& p, int32_t outer, int32_t depth, const int8_t* input,
                       int8_t* output);
void SoftmaxInt8ToInt16(const SoftmaxParams& p, int32_t outer, int32_t depth, const int8_t* input,
                        int16_t* output);
void SoftmaxInt16(const SoftmaxParams& p, int32_t outer, int32_t depth, const int16_t* input,
                  int16_t* output);
// Fills the two 513-entry int16 tables exactly as TFLite Micro's Prepare does (gen_lut over
// float with std::exp). The values depend on the libm's expf: build them on the host and ship
// them if a target's libm may differ.
void SoftmaxInt16PrepareTables(int16_t* exp_lut, int16_t* one_over_one_plus_x_lut);

}  // namespace kernels
}  // namespace cleave
