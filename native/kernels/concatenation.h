// CONCATENATION along one axis, any element type, inputs sharing the output's quantization (as
// TFLite Micro requires for int8, whose kernel copies bytes and never requantizes): TFLite's
// reference Concatenation.
#pragma once
#include "kernels/common.h"

namespace cleave {
namespace kernels {

// `inputs[i]` has shape `input_shapes[i]`; all match `output_shape` except along `axis`, which
// indexes Shape::dims (0..3, rank-4 aligned: a model axis a of a rank-r tensor is a + 4 - r).
void Concatenation(int32_t element_size, int32_t axis, int32_t num_inputs,
                   const Shape* input_shapes, const void* const* inputs,
                   const Shape& output_shape, void* output);

}  // namespace kernels
}  // namespace cleave
