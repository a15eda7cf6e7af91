// PAD / PADV2 on up to 4-D tensors of any 1-, 2- or 4-byte element type: TFLite's reference Pad.
#pragma once
#include "kernels/common.h"

namespace cleave {
namespace kernels {

// before[i]/after[i]: padding of dimension i (rank-4 aligned, non-negative), so
// output dims[i] = before[i] + input dims[i] + after[i]. pad_value: raw bytes of one element
// (TFLite Micro uses the output zero point for PAD on quantized tensors, the constant for PADV2).
void Pad(int32_t element_size, const Shape& input_shape, const void* input, const int32_t before[4],
         const int32_t after[4], const void* pad_value, const Shape& output_shape, void* output);

}  // namespace kernels
}  // namespace cleave
