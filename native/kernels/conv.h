// CONV_2D, int8 activations, int8 per-channel weights, int32 bias: the semantics of TFLite's
// reference_integer_ops::ConvPerChannel (which TFLite Micro's conv.cc calls for int8).
#pragma once
#include "kernels/common.h"

namespace cleave {
namespace kernels {

struct ConvParams {
  int32_t stride_h, stride_w;
  int32_t dilation_h, dilation_w;
  int32_t pad_top, pad_left;  // from SAME/VALID, computed when the Program is compiled
  int32_t input_offset;       // -input zero point
  int32_t output_offset;      // output zero point
  int32_t act_min, act_max;   // fused activation range in the quantized domain
};

// input [N,H,W,Cin], filter [Cout,KH,KW,Cin/groups] (groups = Cin / filter dims[3], usually 1),
// bias [Cout] or null, output [N,OH,OW,Cout]. multiplier/shift have one entry per output channel
// (TFLite Micro fills all of them even for per-tensor weights).
void ConvPerChannel(const ConvParams& p, const int32_t* multiplier, const int32_t* shift,
                    const Shape& input_shape, const int8_t* input, const Shape& filter_shape,
                    const int8_t* filter, const int32_t* bias, const Shape& output_shape,
                    int8_t* output);

}  // namespace kernels
}  // namespace cleave
