#include "kernels/concatenation.h"

#include <cstring>

namespace cleave {
namespace kernels {

void ConcatenationCopyInput(int32_t element_size, int32_t axis, const Shape& input_shape,
                            const void* input, int32_t offset, const Shape& output_shape,
                            void* output) {
  if (axis < 0 || axis > 3) return;
  // Row-major layout: for each index of the dimensions before `axis`, the output holds each
  // input's contiguous block of (its extent along axis) x (product of the later dimensions).
  int64_t outer = 1;
  for (int d = 0; d < axis; ++d) outer *= output_shape.dims[d];
  int64_t inner = static_cast<int64_t>(element_size);
  for (int d = axis + 1; d < 4; ++d) inner *= output_shape.dims[d];
  const int64_t block = input_shape.dims[axis] * inner;
  const int64_t out_block = output_shape.dims[axis] * inner;
  const uint8_t* src = static_cast<const uint8_t*>(input);
  uint8_t* dst = static_cast<uint8_t*>(output) + offset * inner;
  for (int64_t k = 0; k < outer; ++k) {
    std::memcpy(dst + k * out_block, src + k * block, static_cast<size_t>(block));
  }
}

}  // namespace kernels
}  // namespace cleave
