#include "kernels/int4.h"

namespace cleave {
namespace kernels {

void UnpackInt4(const uint8_t* packed, int64_t count, int8_t* out) {
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t byte = packed[i / 2];
    const int32_t nibble = (i % 2 == 0) ? (byte & 0x0f) : (byte >> 4);
    out[i] = static_cast<int8_t>(nibble >= 8 ? nibble - 16 : nibble);
  }
}

}  // namespace kernels
}  // namespace cleave
