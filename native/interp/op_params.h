// Kernel parameter structs decoded from an op's parameter words through its op_params view
// (op_param_layout.h, generated from scripts/op-params/table.js), shared by the reference
// interpreter (op_eval.cc) and the optimized-op layer.
#pragma once
#include <cstdint>

#include "interp/op_param_layout.h"
#include "kernels/add.h"
#include "kernels/conv.h"

namespace cleave {

// CONV_2D and DEPTHWISE_CONV_2D (whose words begin with CONV_2D's).
inline kernels::ConvParams ConvParamsFrom(const int32_t* words) {
  const op_params::Conv2D p(words);
  kernels::ConvParams c;
  c.stride_h = p.stride_h();
  c.stride_w = p.stride_w();
  c.dilation_h = p.dilation_h();
  c.dilation_w = p.dilation_w();
  c.pad_top = p.pad_top();
  c.pad_left = p.pad_left();
  c.input_offset = p.input_offset();
  c.output_offset = p.output_offset();
  c.act_min = p.act_min();
  c.act_max = p.act_max();
  return c;
}

inline kernels::AddParams AddParamsFrom(const int32_t* words) {
  const op_params::Add p(words);
  kernels::AddParams a;
  a.left_shift = p.left_shift();
  a.input1_offset = p.input1_offset();
  a.input2_offset = p.input2_offset();
  a.output_offset = p.output_offset();
  a.input1_multiplier = p.input1_multiplier();
  a.input1_shift = p.input1_shift();
  a.input2_multiplier = p.input2_multiplier();
  a.input2_shift = p.input2_shift();
  a.output_multiplier = p.output_multiplier();
  a.output_shift = p.output_shift();
  a.act_min = p.act_min();
  a.act_max = p.act_max();
  return a;
}

}  // namespace cleave
