// The AVX-512 VNNI kernel set. kU8S8: vpdpbusd on 512-bit registers (gemm_u8s8_512.inc, with the
// choices of avx512_vnni_u8s8.h), for every matrix product. kS16 (vpdpwssd on 256-bit registers,
// AVX512VL: int16 pairs, the same wrapping int32 arithmetic as vpmaddwd + vpaddd) stays compiled
// for the shared code but is not chosen. Depthwise, ADD and the output stage run on 256-bit
// registers, as in the AVX2 set.
#if defined(__x86_64__) && defined(__AVX512F__) && defined(__AVX512VNNI__) && defined(__AVX512VL__)
#define CLEAVE_X86_ENABLED 1
#include <immintrin.h>

#include "kernels/x86/avx512_vnni_u8s8.h"
#include "kernels/x86/vec512.h"
#define CLEAVE_X86_MAC(acc, a, w) _mm256_dpwssd_epi32((acc), (a), (w))
#endif
#define CLEAVE_X86_SET "avx512-vnni"
#define CLEAVE_X86_ENTRY Avx512VnniKernels
#include "kernels/x86/kernels.inc"
