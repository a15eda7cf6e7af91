// The AVX-512 VNNI kernel set (on 256-bit registers, AVX512VL): vpdpwssd multiplies int16 pairs and
// accumulates in one instruction, with the same wrapping int32 arithmetic as vpmaddwd + vpaddd (and
// no overflow either way: products of (x + offset) in [-255, 255] and weights in [-128, 127]).
#if defined(__x86_64__) && defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define CLEAVE_X86_ENABLED 1
#include <immintrin.h>
#define CLEAVE_X86_MAC(acc, a, w) _mm256_dpwssd_epi32((acc), (a), (w))
#endif
#define CLEAVE_X86_SET "avx512-vnni"
#define CLEAVE_X86_ENTRY Avx512VnniKernels
#include "kernels/x86/kernels.inc"
