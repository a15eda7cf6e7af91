// DEPTHWISE_CONV_2D, int8, per-channel weights, any depth multiplier: TFLite's
// reference_integer_ops::DepthwiseConvPerChannel.
#pragma once
#include "kernels/conv.h"

namespace cleave {
namespace kernels {

// input [N,H,W,Cin], filter [1,KH,KW,Cin*depth_multiplier], bias [Cin*depth_multiplier] or null,
// output [N,OH,OW,Cin*depth_multiplier]. Output channel oc reads input channel
// oc / depth_multiplier; multiplier/shift have one entry per output channel.
void DepthwiseConvPerChannel(const ConvParams& p, int32_t depth_multiplier,
                             const int32_t* multiplier, const int32_t* shift,
                             const Shape& input_shape, const int8_t* input,
                             const Shape& filter_shape, const int8_t* filter, const int32_t* bias,
                             const Shape& output_shape, int8_t* output);

}  // namespace kernels
}  // namespace cleave
