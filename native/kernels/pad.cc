#include "kernels/pad.h"

#include <cstring>

namespace cleave {
namespace kernels {

void Pad(int32_t element_size, const Shape& input_shape, const void* input, const int32_t before[4],
         const int32_t after[4], const void* pad_value, const Shape& output_shape, void* output) {
  (void)after;  // implied by the output shape
  const uint8_t* in = static_cast<const uint8_t*>(input);
  uint8_t* out = static_cast<uint8_t*>(output);
  const size_t es = static_cast<size_t>(element_size);
  const int32_t* od = output_shape.dims;
  const int32_t* id = input_shape.dims;
  // Output-driven walk, as TFLite's PadImpl: every output element is either the input element
  // it maps to or the pad value, so the result does not depend on the traversal order.
  int64_t o = 0;
  for (int32_t i0 = 0; i0 < od[0]; ++i0) {
    const int32_t s0 = i0 - before[0];
    for (int32_t i1 = 0; i1 < od[1]; ++i1) {
      const int32_t s1 = i1 - before[1];
      for (int32_t i2 = 0; i2 < od[2]; ++i2) {
        const int32_t s2 = i2 - before[2];
        const bool row_inside = s0 >= 0 && s0 < id[0] && s1 >= 0 && s1 < id[1] && s2 >= 0 &&
                                s2 < id[2];
        for (int32_t i3 = 0; i3 < od[3]; ++i3, ++o) {
          const int32_t s3 = i3 - before[3];
          uint8_t* dst = out + o * static_cast<int64_t>(es);
          if (row_inside && s3 >= 0 && s3 < id[3]) {
            const int64_t src = Offset(input_shape, s0, s1, s2, s3) * static_cast<int64_t>(es);
            std::memcpy(dst, in + src, es);
          } else {
            std::memcpy(dst, pad_value, es);
          }
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace cleave
