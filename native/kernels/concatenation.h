// CONCATENATION along one axis, any element type, inputs sharing the output's quantization (as
// TFLite Micro requires for int8, whose kernel copies bytes and never requantizes): TFLite's
// reference Concatenation, one input at a time so any number of inputs needs no table of them.
#pragma once
#include "kernels/common.h"

namespace cleave {
namespace kernels {

// Copies `input` (shape `input_shape`) into its place in `output`: `axis` indexes Shape::dims
// (0..3, rank-4 aligned: a model axis a of a rank-r tensor is a + 4 - r), and `offset` is the sum
// of the earlier inputs' extents along it. Called for every input in order, it fills the output.
void ConcatenationCopyInput(int32_t element_size, int32_t axis, const Shape& input_shape,
                            const void* input, int32_t offset, const Shape& output_shape,
                            void* output);

}  // namespace kernels
}  // namespace cleave
