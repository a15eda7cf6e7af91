// The AVX2 kernel set: vpmaddwd multiplies int16 pairs and sums them into int32, vpaddd accumulates.
#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#define CLEAVE_X86_ENABLED 1
#include <immintrin.h>
#define CLEAVE_X86_MAC(acc, a, w) _mm256_add_epi32((acc), _mm256_madd_epi16((a), (w)))
#endif
#define CLEAVE_X86_SET "avx2"
#define CLEAVE_X86_ENTRY Avx2Kernels
#include "kernels/x86/kernels.inc"
