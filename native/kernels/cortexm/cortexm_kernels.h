// Int8 CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and same-shape ADD restructured for Cortex-M: bounds hoisted out
// of the tap loops (padding is a range of taps, never a test per tap), pointer walks instead of
// 4-D index arithmetic, four output channels per pass so each input byte is loaded once for four
// multiply-accumulates, and dual 16-bit MACs (SMLAD) where the core has the DSP extension. Results
// are byte-equal to the reference kernels in native/kernels/ (the specification): the sums are the
// same integers modulo 2^32 and the requantization is the reference's arithmetic.
// Plain C++ without heap or exceptions; builds for the host too, where the differential tests run.
#pragma once
#include <cstdint>

#include "kernels/add.h"
#include "kernels/common.h"
#include "kernels/conv.h"
#include "kernels/fully_connected.h"

namespace cleave {
namespace cortexm {

// kernels::MultiplyByQuantizedMultiplier(int32) in 32-bit steps (one 32x32->64 multiply), for
// right shifts up to 31; it hands larger shifts to the reference function.
int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift);

// As kernels::ConvPerChannel for groups == 1 (filter depth == input depth); returns false, having
// written nothing, for any other conv.
bool ConvPerChannel(const kernels::ConvParams& p, const int32_t* multiplier, const int32_t* shift,
                    const kernels::Shape& input_shape, const int8_t* input, const kernels::Shape& filter_shape,
                    const int8_t* filter, const int32_t* bias, const kernels::Shape& output_shape, int8_t* output);

// As kernels::DepthwiseConvPerChannel.
void DepthwiseConvPerChannel(const kernels::ConvParams& p, int32_t depth_multiplier, const int32_t* multiplier,
                             const int32_t* shift, const kernels::Shape& input_shape, const int8_t* input,
                             const kernels::Shape& filter_shape, const int8_t* filter, const int32_t* bias,
                             const kernels::Shape& output_shape, int8_t* output);

// As kernels::FullyConnected (int8) for per-channel weights, or per-tensor weights whose filter
// offset is 0 (the caller checks).
void FullyConnected(const kernels::FullyConnectedParams& p, const int32_t* multiplier, const int32_t* shift,
                    int32_t batches, int32_t accum_depth, int32_t output_depth, const int8_t* input,
                    const int8_t* filter, const int32_t* bias, int8_t* output);

// As kernels::AddInt8 for two inputs of the output's shape (`count` elements each); returns false,
// having written nothing, for a left shift outside [0, 31].
bool AddInt8(const kernels::AddParams& p, int64_t count, const int8_t* input1, const int8_t* input2, int8_t* output);

}  // namespace cortexm
}  // namespace cleave
