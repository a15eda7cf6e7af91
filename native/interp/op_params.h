// Decoding of op parameter words shared by the reference interpreter and the optimized-op layer
// (layouts in docs/program-format.md).
#pragma once
#include <cstdint>

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

}  // namespace cleave
