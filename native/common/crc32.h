// CRC-32 (IEEE 802.3, reflected, zlib's crc32()) computed eight bytes at a time with tables built
// at compile time (they live in flash on a microcontroller). Checksums Programs and wire payloads;
// src/compile/crc32.ts computes the same values.
#pragma once
#include <cstddef>
#include <cstdint>

namespace cleave {

// `crc` continues a previous call (0 to start).
uint32_t Crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace cleave
