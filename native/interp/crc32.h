// CRC-32 (IEEE, reflected, zlib's): the Program checksum. Same function as src/compile/crc32.ts.
#pragma once
#include <cstddef>
#include <cstdint>

namespace cleave {

uint32_t Crc32(const uint8_t* data, size_t size);

}  // namespace cleave
