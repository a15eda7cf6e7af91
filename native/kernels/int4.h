// Packed int4 weights (TFLite's layout: two values per byte, the first in the low nibble,
// sign-extended from 4 bits). Kernels run on the unpacked int8 values, exactly as TFLite's int4
// filters are unpacked before the int8 arithmetic.
#pragma once
#include <cstdint>

namespace cleave {
namespace kernels {

void UnpackInt4(const uint8_t* packed, int64_t count, int8_t* out);

}  // namespace kernels
}  // namespace cleave
