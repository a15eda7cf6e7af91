// NEON kernels for arm64 CPUs with the dot-product extension (Pi 5 class, built with +dotprod and
// chosen only when the CPU reports it). sdot multiplies raw int8 activations by int8 weights
// exactly into int32; the input offset enters as offset * sum(weights), folded into the bias at pack
// time, and padding taps hold the input zero point so they contribute nothing.
#include "kernels/optimized.h"

#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)
#include <arm_neon.h>

#include <cstring>
#include <vector>

#include "kernels/arm/neon_common.h"

namespace cleave {
namespace kernels {
namespace {

constexpr int32_t kRows = 4;
constexpr int32_t kBlock = 8;   // channels per block: two int32x4 accumulators
constexpr int32_t kDepth = 16;  // k per step: four sdot lanes of 4

int32_t BlocksOf(int32_t n) { return (n + kBlock - 1) / kBlock; }
int32_t PaddedK(int32_t k) { return (k + kDepth - 1) / kDepth * kDepth; }

// Blob: per block, per group of 4 k: channels 0-3 then 4-7, each 4 channels x 4 k bytes; then
// int32 bias + input_offset * sum(weights) per padded channel.
size_t GemmPackedSize(int32_t n, int32_t k) {
  return size_t(BlocksOf(n)) * PaddedK(k) * kBlock + size_t(BlocksOf(n)) * kBlock * sizeof(int32_t);
}

void PackGemmB(const int8_t* b, const int32_t* bias, const int32_t* /*multiplier*/, const int32_t* /*shift*/,
               bool /*per_channel*/, int32_t /*m*/, int32_t n, int32_t k, int32_t input_offset, void* packed) {
  int8_t* w = static_cast<int8_t*>(packed);
  const int32_t pk = PaddedK(k);
  for (int32_t nb = 0; nb < BlocksOf(n); ++nb)
    for (int32_t k4 = 0; k4 < pk; k4 += 4)
      for (int32_t half = 0; half < 2; ++half)
        for (int32_t j = 0; j < 4; ++j)
          for (int32_t t = 0; t < 4; ++t) {
            const int32_t ch = nb * kBlock + half * 4 + j, kk = k4 + t;
            *w++ = (ch < n && kk < k) ? b[int64_t(ch) * k + kk] : 0;
          }
  int32_t* bias_out = reinterpret_cast<int32_t*>(w);
  for (int32_t ch = 0; ch < BlocksOf(n) * kBlock; ++ch) {
    int32_t sum = 0;
    if (ch < n) for (int32_t kk = 0; kk < k; ++kk) sum += b[int64_t(ch) * k + kk];
    // Wrapping int32 arithmetic: the final sum equals the reference's modulo 2^32, like its own.
    bias_out[ch] = static_cast<int32_t>(uint32_t((bias && ch < n) ? bias[ch] : 0) + uint32_t(input_offset) * uint32_t(sum));
  }
}

void Gemm(const GemmArgs& g, int32_t m_begin, int32_t m_end) {
  const int8_t* packed = static_cast<const int8_t*>(g.packed_b);
  const int32_t blocks = BlocksOf(g.n), pk = PaddedK(g.k);
  const int32_t* bias = reinterpret_cast<const int32_t*>(packed + size_t(blocks) * pk * kBlock);
  thread_local std::vector<int8_t> rows_buf;
  if (rows_buf.size() < size_t(kRows) * pk) rows_buf.resize(size_t(kRows) * pk);
  for (int32_t m = m_begin; m < m_end; m += kRows) {
    const int32_t rows = m_end - m < kRows ? m_end - m : kRows;
    std::memset(rows_buf.data(), 0, size_t(kRows) * pk);
    for (int32_t r = 0; r < rows; ++r) std::memcpy(rows_buf.data() + size_t(r) * pk, g.a + int64_t(m + r) * g.lda, g.k);
    const int8_t* a0 = rows_buf.data();
    for (int32_t nb = 0; nb < blocks; ++nb) {
      const int8_t* w = packed + size_t(nb) * pk * kBlock;
      int32x4_t c[kRows][2];
      for (int32_t r = 0; r < kRows; ++r) c[r][0] = c[r][1] = vdupq_n_s32(0);
      for (int32_t k16 = 0; k16 < pk; k16 += kDepth) {
        int8x16_t a[kRows];
        for (int32_t r = 0; r < kRows; ++r) a[r] = vld1q_s8(a0 + size_t(r) * pk + k16);
        const int8_t* wk = w + size_t(k16) * kBlock;
#define CLEAVE_SDOT_STEP(lane)                                            \
  {                                                                       \
    const int8x16_t w0 = vld1q_s8(wk + (lane) * 32);                      \
    const int8x16_t w1 = vld1q_s8(wk + (lane) * 32 + 16);                 \
    for (int32_t r = 0; r < kRows; ++r) {                                 \
      c[r][0] = vdotq_laneq_s32(c[r][0], w0, a[r], lane);                 \
      c[r][1] = vdotq_laneq_s32(c[r][1], w1, a[r], lane);                 \
    }                                                                     \
  }
        CLEAVE_SDOT_STEP(0)
        CLEAVE_SDOT_STEP(1)
        CLEAVE_SDOT_STEP(2)
        CLEAVE_SDOT_STEP(3)
#undef CLEAVE_SDOT_STEP
      }
      for (int32_t r = 0; r < rows; ++r) {
        int32_t acc[8];
        vst1q_s32(acc, c[r][0]);
        vst1q_s32(acc + 4, c[r][1]);
        arm::StoreRow8(g, acc, bias, m + r, nb * kBlock);
      }
    }
  }
}

const OptimizedKernels kNeonDot = {
    "neon-dotprod", kRows, GemmPackedSize, PackGemmB, Gemm, arm::DepthwisePackedSize, arm::PackDepthwise, arm::Depthwise, nullptr, nullptr, nullptr, nullptr, nullptr,
};

}  // namespace

const OptimizedKernels* NeonDotKernels() { return &kNeonDot; }

}  // namespace kernels
}  // namespace cleave

#else

namespace cleave {
namespace kernels {
const OptimizedKernels* NeonDotKernels() { return nullptr; }
}  // namespace kernels
}  // namespace cleave

#endif
