// Pieces shared by the NEON kernel sets (with and without the dot-product extension).
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/optimized.h"

namespace cleave {
namespace kernels {
namespace arm {

size_t DepthwisePackedSize(int32_t kernel_h, int32_t kernel_w, int32_t channels);
void PackDepthwise(const int8_t* filter, const int32_t* bias, const int32_t* multiplier, const int32_t* shift,
                   int32_t kernel_h, int32_t kernel_w, int32_t channels, void* packed);
void Depthwise(const DepthwiseArgs& args, int32_t batch, int32_t oy_begin, int32_t oy_end);

// Requantizes 8 accumulators (plus bias) of channels [n0, n0 + 8) of row m and stores the valid ones.
void StoreRow8(const GemmArgs& g, const int32_t* acc, const int32_t* bias, int32_t m, int32_t n0);

}  // namespace arm
}  // namespace kernels
}  // namespace cleave
