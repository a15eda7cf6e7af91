// The AVX-512 VNNI set's u8s8 matrix product (x + 128 as u8, (offset - 128) * sum(w) folded into the
// bias, any weight, every row and channel tile) built from kernels.inc with the avx512_vnni.cc macros
// except vpdpbusd itself, emulated in AVX2, and checked equal to the s16 form (which the
// differential suite checks against the reference). Runs where the CPU lacks VNNI; the real
// instruction is covered by the differential suite on CPUs that have it.
#include <immintrin.h>
#define CLEAVE_X86_ENABLED 1
#define CLEAVE_X86_MAC(acc, a, w) _mm256_add_epi32((acc), _mm256_madd_epi16((a), (w)))
static inline __m256i EmulatedDpbusd(__m256i acc, __m256i a, __m256i w) {
  const __m256i lo = _mm256_set1_epi16(0xff);
  const __m256i a_lo = _mm256_and_si256(a, lo), a_hi = _mm256_srli_epi16(a, 8);
  const __m256i w_lo = _mm256_srai_epi16(_mm256_slli_epi16(w, 8), 8), w_hi = _mm256_srai_epi16(w, 8);
  return _mm256_add_epi32(acc, _mm256_add_epi32(_mm256_madd_epi16(a_lo, w_lo), _mm256_madd_epi16(a_hi, w_hi)));
}
#define CLEAVE_X86_U8S8_PREP(raw) _mm256_xor_si256((raw), _mm256_set1_epi8(-128))
#define CLEAVE_X86_U8S8_MAC(acc, raw, prepared, w) EmulatedDpbusd((acc), (prepared), (w))
#define CLEAVE_X86_U8S8_SHIFT 128
#define CLEAVE_X86_U8S8_ANY_WEIGHTS true
#define CLEAVE_X86_U8S8_MAX_SHALLOW_K 0
#define CLEAVE_X86_U8S8_DIRECT_CONV 0
#define CLEAVE_X86_U8S8_MAX_ROWS INT32_MAX
#define CLEAVE_X86_SET "vnni-emulated"
#define CLEAVE_X86_ENTRY EmulatedKernels
#include "kernels/x86/kernels.inc"
#include <cstdio>
#include <string>
#include <cstdlib>
#include <vector>
using namespace cleave::kernels;
int main() {
  unsigned s = 7;
  auto rnd = [&] { return (s = s * 1103515245 + 12345) >> 16; };
  int cases = 0, bad = 0;
  for (int m : {1, 2, 3, 4, 5, 7, 64, 131}) for (int n : {1, 8, 9, 16, 17, 40}) for (int k : {1, 3, 4, 5, 8, 37, 576})
  for (int offset : {-127, 0, 3, 128}) for (int fill : {0, -128, 127}) {
    std::vector<int8_t> a(size_t(m) * k), b(size_t(n) * k), c1(size_t(m) * n), c2(size_t(m) * n);
    for (auto& x : a) x = int8_t(rnd());
    if (fill) for (auto& x : a) x = int8_t(rnd() & 1 ? -128 : 127);
    for (auto& x : b) x = fill ? int8_t(fill) : int8_t(rnd());
    std::vector<int32_t> bias(n), mult(n), shift(n);
    for (int i = 0; i < n; ++i) { bias[i] = int32_t(rnd() % 4000) - 2000; mult[i] = (1 << 30) + int32_t(rnd()); shift[i] = -int32_t(rnd() % 14); }
    const size_t size = GemmPackedSize(n, k);
    void* p16 = std::aligned_alloc(64, (size + 63) / 64 * 64);
    void* p8 = std::aligned_alloc(64, (size + 63) / 64 * 64);
    PackS16(b.data(), bias.data(), mult.data(), shift.data(), true, n, k, offset, p16);
    PackGemmB(b.data(), bias.data(), mult.data(), shift.data(), true, m, n, k, offset, p8);
    if (std::string(GemmVariant(p8)) != "gemm-u8s8") { printf("not u8s8\n"); return 1; }
    GemmArgs g{a.data(), k, m, n, k, p16, mult.data(), shift.data(), true, -3, -128, 127, c1.data(), n};
    Gemm(g, 0, m);
    g.packed_b = p8; g.c = c2.data();
    Gemm(g, 0, m);
    ++cases; if (c1 != c2) { ++bad; if (bad < 5) printf("differs m=%d n=%d k=%d offset=%d fill=%d\n", m, n, k, offset, fill); }
    std::free(p16); std::free(p8);
  }
  if (bad == 0) printf("ok 1 - %d emulated vpdpbusd products equal the s16 form\n", cases);
  else printf("not ok 1 - %d of %d emulated vpdpbusd products differ from the s16 form\n", bad, cases);
  return bad != 0;
}
