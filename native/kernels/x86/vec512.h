// The 512-bit operations of the avx512-vnni set's u8s8 tile (gemm_u8s8_512.inc), as AVX-512
// intrinsics. The tile uses nothing else of 512 bits, so the same source also compiles with each of
// these emulated on two 256-bit halves (test/native/vec512_emulated.h) and is checked on CPUs
// without AVX-512.
#pragma once
#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512VNNI__)
#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace cleave {
namespace kernels {
namespace x86 {
namespace v512 {

using I32x16 = __m512i;

inline I32x16 Zero() { return _mm512_setzero_si512(); }
// 64 bytes from a 64-byte aligned address.
inline I32x16 LoadAligned(const int8_t* p) { return _mm512_load_si512(p); }
// The four bytes at p in every 32-bit lane (vpbroadcastd from memory).
inline I32x16 Broadcast4(const uint8_t* p) {
  int32_t bits;
  std::memcpy(&bits, p, 4);
  return _mm512_set1_epi32(bits);
}
// Each 32-bit lane of acc plus the sum of its four products u8 x s8 (vpdpbusd: no saturation).
inline I32x16 DotU8S8(I32x16 acc, I32x16 u8, I32x16 s8) { return _mm512_dpbusd_epi32(acc, u8, s8); }
// The 16 lanes to 64-byte aligned memory.
inline void StoreAligned(int32_t* p, I32x16 v) { _mm512_store_si512(p, v); }

}  // namespace v512
}  // namespace x86
}  // namespace kernels
}  // namespace cleave
#endif
