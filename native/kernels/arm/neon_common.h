// Pieces shared by the NEON kernel sets (with and without the dot-product extension).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/optimized.h"

namespace cleave {
namespace kernels {
namespace arm {

struct OutputStageBlock;

// Output stage tables of `blocks` blocks of 8 channels (channels n and up get zeros): per channel
// the bias (0 when null), multiplier and shift, the last two per channel or, when !per_channel,
// entry 0 for every channel.
void FillOutputStage(OutputStageBlock* out, const int32_t* bias, const int32_t* multiplier, const int32_t* shift,
                     bool per_channel, int32_t n, int32_t blocks);

size_t DepthwisePackedSize(int32_t kernel_h, int32_t kernel_w, int32_t channels);
void PackDepthwise(const int8_t* filter, const int32_t* bias, const int32_t* multiplier, const int32_t* shift,
                   int32_t kernel_h, int32_t kernel_w, int32_t channels, void* packed);
void Depthwise(const DepthwiseArgs& args, int32_t batch, int32_t oy_begin, int32_t oy_end);
// "depthwise-3x3" for the shapes Depthwise specializes (3x3, dilation 1, multiplier 1), else
// "depthwise".
const char* DepthwiseVariant(int32_t kernel_h, int32_t kernel_w, int32_t dilation_h, int32_t dilation_w, int32_t depth_multiplier);

}  // namespace arm
}  // namespace kernels
}  // namespace cleave
