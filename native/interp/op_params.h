// Decoding of op parameter words shared by the reference interpreter and the optimized-op layer
// (layouts in docs/program-format.md).
#pragma once
#include <cstdint>

#include "kernels/add.h"
#include "kernels/conv.h"

namespace cleave {

// CONV_2D and DEPTHWISE_CONV_2D params 0..9.
inline kernels::ConvParams ConvParamsFrom(const int32_t* p) {
  kernels::ConvParams c;
  c.stride_h = p[0];
  c.stride_w = p[1];
  c.dilation_h = p[2];
  c.dilation_w = p[3];
  c.pad_top = p[4];
  c.pad_left = p[5];
  c.input_offset = p[6];
  c.output_offset = p[7];
  c.act_min = p[8];
  c.act_max = p[9];
  return c;
}

// ADD params 0..11.
inline kernels::AddParams AddParamsFrom(const int32_t* p) {
  kernels::AddParams a;
  a.left_shift = p[0];
  a.input1_offset = p[1];
  a.input2_offset = p[2];
  a.output_offset = p[3];
  a.input1_multiplier = p[4];
  a.input1_shift = p[5];
  a.input2_multiplier = p[6];
  a.input2_shift = p[7];
  a.output_multiplier = p[8];
  a.output_shift = p[9];
  a.act_min = p[10];
  a.act_max = p[11];
  return a;
}

}  // namespace cleave
