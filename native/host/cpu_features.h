// Run-time CPU feature detection: the build targets a baseline ISA, and faster paths are chosen
// from what the CPU we actually run on reports.
#pragma once
#include <string>

namespace cleave {

struct CpuFeatures {
  std::string arch;  // "x64", "arm64" or "other"
  bool avx2 = false;
  bool fma = false;
  bool avx512vnni = false;  // with AVX512VL: VNNI on 256-bit registers
  bool neon = false;
  bool dotprod = false;
};

CpuFeatures DetectCpuFeatures();

}  // namespace cleave
