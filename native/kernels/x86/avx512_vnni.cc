// The AVX-512 VNNI kernel set (on 256-bit registers, AVX512VL). kU8S8: vpdpbusd multiplies x + 128
// (u8) by w (s8) four at a time and adds straight into int32: exact for any weight, so every
// matrix product takes it. kS16 (vpdpwssd, int16 pairs, the same wrapping int32 arithmetic as
// vpmaddwd + vpaddd) stays compiled for the shared code but is not chosen.
#if defined(__x86_64__) && defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define CLEAVE_X86_ENABLED 1
#include <immintrin.h>
#define CLEAVE_X86_MAC(acc, a, w) _mm256_dpwssd_epi32((acc), (a), (w))
#define CLEAVE_X86_U8S8_PREP(raw) _mm256_xor_si256((raw), _mm256_set1_epi8(-128))
#define CLEAVE_X86_U8S8_MAC(acc, raw, prepared, w) _mm256_dpbusd_epi32((acc), (prepared), (w))
#define CLEAVE_X86_U8S8_SHIFT 128
#define CLEAVE_X86_U8S8_ANY_WEIGHTS true
#define CLEAVE_X86_U8S8_MAX_SHALLOW_K 0
#define CLEAVE_X86_U8S8_DIRECT_CONV 0
#define CLEAVE_X86_U8S8_MAX_ROWS INT32_MAX
#endif
#define CLEAVE_X86_SET "avx512-vnni"
#define CLEAVE_X86_ENTRY Avx512VnniKernels
#include "kernels/x86/kernels.inc"
