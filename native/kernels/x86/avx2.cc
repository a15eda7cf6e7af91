// The AVX2 kernel set. kS16: vpmaddwd multiplies int16 pairs and sums them into int32, vpaddd
// accumulates. kU8S8: vpmaddubsw on |x| and sign(x) * w (pair sums at most 2 * 128 * 127, no
// saturation), vpmaddwd with ones sums the pairs into int32; weights must avoid -128.
#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#define CLEAVE_X86_ENABLED 1
#include <immintrin.h>
#define CLEAVE_X86_MAC(acc, a, w) _mm256_add_epi32((acc), _mm256_madd_epi16((a), (w)))
#define CLEAVE_X86_U8S8_PREP(raw) _mm256_abs_epi8(raw)
#define CLEAVE_X86_U8S8_MAC(acc, raw, prepared, w) \
  _mm256_add_epi32((acc), _mm256_madd_epi16(_mm256_maddubs_epi16((prepared), _mm256_sign_epi8((w), (raw))), _mm256_set1_epi16(1)))
#define CLEAVE_X86_U8S8_SHIFT 0
#define CLEAVE_X86_U8S8_ANY_WEIGHTS false
#define CLEAVE_X86_U8S8_MAX_SHALLOW_K 8
#define CLEAVE_X86_U8S8_DIRECT_CONV 1
#define CLEAVE_X86_U8S8_MAX_ROWS 8
#define CLEAVE_X86_U8S8_512 0
#endif
#define CLEAVE_X86_SET "avx2"
#define CLEAVE_X86_ENTRY Avx2Kernels
#include "kernels/x86/kernels.inc"
