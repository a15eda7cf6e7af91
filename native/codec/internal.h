// Helpers shared by the codec implementations: little-endian access, integer helpers, varints.
#pragma once
#include <cstddef>
#include <cstdint>

#include "codec/codec.h"

namespace cleave {
namespace codec {

inline void PutU16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void PutU32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint16_t GetU16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t GetU32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

inline int32_t ClampI32(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Floor division for a possibly negative numerator and a positive divisor.
inline int32_t FloorDiv(int32_t a, int32_t b) {
  int32_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}

// Unsigned LEB128 (at most 5 bytes for 32 bits).
inline size_t PutVarint(uint8_t* p, uint32_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  p[n++] = static_cast<uint8_t>(v);
  return n;
}
inline size_t VarintSize(uint32_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
// Reads a varint from [*p, end); false when truncated or longer than 5 bytes / 32 bits.
inline bool GetVarint(const uint8_t** p, const uint8_t* end, uint32_t* v) {
  uint32_t value = 0;
  for (int i = 0; i < 5; ++i) {
    if (*p >= end) return false;
    const uint8_t b = *(*p)++;
    if (i == 4 && b > 0x0f) return false;
    value |= static_cast<uint32_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      // Canonical form only: no redundant trailing zero groups.
      if (i > 0 && b == 0) return false;
      *v = value;
      return true;
    }
  }
  return false;
}

}  // namespace codec
}  // namespace cleave
