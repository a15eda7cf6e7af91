#include "interp/crc32.h"

namespace cleave {

uint32_t Crc32(const uint8_t* data, size_t size) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < size; ++i) {
    c ^= data[i];
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (0xedb88320u ^ (c >> 1)) : (c >> 1);
  }
  return c ^ 0xffffffffu;
}

}  // namespace cleave
