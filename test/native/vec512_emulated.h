// x86::v512 (native/kernels/x86/vec512.h) on two 256-bit halves with AVX2 only, each operation exact,
// so that the avx512-vnni set's u8s8 tile (native/kernels/x86/gemm_u8s8_512.inc) runs, as written,
// on CPUs without AVX-512 (test/native/vnni_u8s8_emulated_test.cc). The aligned load and store
// stop the program where the real instructions would fault (an address not 64-byte aligned).
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace cleave {
namespace kernels {
namespace x86 {
namespace v512 {

struct I32x16 {
  __m256i lo, hi;  // lanes 0-7, 8-15
};

inline void RequireAligned(const void* p, const char* what) {
  if (reinterpret_cast<uintptr_t>(p) % 64 != 0) {
    std::printf("not ok - %s of a 512-bit vector at %p, not 64-byte aligned (vmovdqa64 would fault)\n", what, p);
    std::exit(1);
  }
}

inline I32x16 Zero() { return {_mm256_setzero_si256(), _mm256_setzero_si256()}; }
inline I32x16 LoadAligned(const int8_t* p) {
  RequireAligned(p, "load");
  return {_mm256_load_si256(reinterpret_cast<const __m256i*>(p)), _mm256_load_si256(reinterpret_cast<const __m256i*>(p + 32))};
}
inline I32x16 Broadcast4(const uint8_t* p) {
  int32_t bits;
  std::memcpy(&bits, p, 4);
  const __m256i v = _mm256_set1_epi32(bits);
  return {v, v};
}
// vpdpbusd on 8 lanes: the even and odd bytes of each 32-bit lane widened to int16 (u8 zero-, s8
// sign-extended: no saturation possible) and each pair of products summed into int32 by vpmaddwd.
inline __m256i DotU8S8Half(__m256i acc, __m256i u8, __m256i s8) {
  const __m256i low_bytes = _mm256_set1_epi16(0xff);
  const __m256i u_even = _mm256_and_si256(u8, low_bytes), u_odd = _mm256_srli_epi16(u8, 8);
  const __m256i s_even = _mm256_srai_epi16(_mm256_slli_epi16(s8, 8), 8), s_odd = _mm256_srai_epi16(s8, 8);
  return _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_madd_epi16(u_even, s_even), _mm256_madd_epi16(u_odd, s_odd)));
}
inline I32x16 DotU8S8(I32x16 acc, I32x16 u8, I32x16 s8) {
  return {DotU8S8Half(acc.lo, u8.lo, s8.lo), DotU8S8Half(acc.hi, u8.hi, s8.hi)};
}
inline void StoreAligned(int32_t* p, I32x16 v) {
  RequireAligned(p, "store");
  _mm256_store_si256(reinterpret_cast<__m256i*>(p), v.lo);
  _mm256_store_si256(reinterpret_cast<__m256i*>(p + 8), v.hi);
}

}  // namespace v512
}  // namespace x86
}  // namespace kernels
}  // namespace cleave
