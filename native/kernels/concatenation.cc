#include "kernels/concatenation.h"

#include <cstring>

namespace cleave {
namespace kernels {

void Concatenation(int32_t element_size, int32_t axis, int32_t num_inputs,
                   const Shape* input_shapes, const void* const* inputs,
                   const Shape& output_shape, void* output) {
  if (axis < 0 || axis > 3) return;
  // Row-major layout: for each index of the dimensions before `axis`, the output holds each
  // input's contiguous block of (its extent along axis) x (product of the later dimensions).
  int64_t outer = 1;
  for (int d = 0; d < axis; ++d) outer *= output_shape.dims[d];
  int64_t inner = static_cast<int64_t>(element_size);
  for (int d = axis + 1; d < 4; ++d) inner *= output_shape.dims[d];
  uint8_t* out = static_cast<uint8_t*>(output);
  for (int64_t k = 0; k < outer; ++k) {
    for (int32_t i = 0; i < num_inputs; ++i) {
      const int64_t block = input_shapes[i].dims[axis] * inner;
      const uint8_t* src = static_cast<const uint8_t*>(inputs[i]) + k * block;
      std::memcpy(out, src, static_cast<size_t>(block));
      out += block;
    }
  }
}

}  // namespace kernels
}  // namespace cleave
