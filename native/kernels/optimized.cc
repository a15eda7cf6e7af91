#include "kernels/optimized.h"

namespace cleave {
namespace kernels {

const OptimizedKernels* SelectOptimizedKernels(bool avx2, bool neon, bool dotprod) {
  if (dotprod && NeonDotKernels()) return NeonDotKernels();
  if (neon && NeonKernels()) return NeonKernels();
  if (avx2 && Avx2Kernels()) return Avx2Kernels();
  return nullptr;
}

}  // namespace kernels
}  // namespace cleave
