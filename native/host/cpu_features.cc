#include "host/cpu_features.h"

#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace cleave {

CpuFeatures DetectCpuFeatures() {
  CpuFeatures f;
#if defined(__x86_64__)
  f.arch = "x64";
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.avx512vnni = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl");
#elif defined(__aarch64__)
  f.arch = "arm64";
  f.neon = true;  // Advanced SIMD is mandatory on AArch64.
#if defined(__linux__)
  const unsigned long hwcap = getauxval(AT_HWCAP);
  f.dotprod = (hwcap & HWCAP_ASIMDDP) != 0;
#endif
#else
  f.arch = "other";
#endif
  return f;
}

}  // namespace cleave
