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
#include "kernels/arm/requantize_neon.h"

namespace cleave {
namespace kernels {
namespace {

// The tile: 8 rows x 8 channels, 16 accumulators. sdot by element issues two per cycle with a
// latency of 3-4 on Cortex-A76/A78-class cores, so it wants at least 8 independent accumulators;
// 8 x 8 has 16, and per 16 k it loads 8 row vectors + 8 weight vectors for 64 sdot (1,024 MACs):
// one load per 64 MACs, against 1.5 for the 4 x 8 tile and 1.25 for 4 x 16 (4 rows + 16 weight
// vectors). Registers: 16 accumulators + 8 rows + the step's weights fit the 32 without spills
// (checked in the objdump: GCC keeps all 8 weight vectors of a step live). Keeping 8 channels per
// block also keeps the padding of odd channel counts (and the packed layout) as it was. The rows
// left over at the end (fewer than 8) run through the 4 x 8 tile.
constexpr int32_t kRows = 8;
constexpr int32_t kTailRows = 4;
constexpr int32_t kBlock = 8;   // channels per block: two int32x4 accumulators
constexpr int32_t kDepth = 16;  // k per step: four sdot lanes of 4

int32_t BlocksOf(int32_t n) { return (n + kBlock - 1) / kBlock; }
int32_t PaddedK(int32_t k) { return (k + kDepth - 1) / kDepth * kDepth; }

using arm::OutputStageBlock;

// Blob: per block, per group of 4 k: channels 0-3 then 4-7, each 4 channels x 4 k bytes; then one
// OutputStageBlock per block, its bias holding bias + input_offset * sum(weights).
size_t GemmPackedSize(int32_t n, int32_t k) {
  return size_t(BlocksOf(n)) * PaddedK(k) * kBlock + size_t(BlocksOf(n)) * sizeof(OutputStageBlock);
}

void PackGemmB(const int8_t* b, const int32_t* bias, const int32_t* multiplier, const int32_t* shift, bool per_channel,
               int32_t /*m*/, int32_t n, int32_t k, int32_t input_offset, void* packed) {
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
  OutputStageBlock* stages = reinterpret_cast<OutputStageBlock*>(w);
  arm::FillOutputStage(stages, bias, multiplier, shift, per_channel, n, BlocksOf(n));
  for (int32_t ch = 0; ch < n; ++ch) {
    int32_t sum = 0;
    for (int32_t kk = 0; kk < k; ++kk) sum += b[int64_t(ch) * k + kk];
    // Wrapping int32 arithmetic: the final sum equals the reference's modulo 2^32, like its own.
    int32_t& folded = stages[ch / kBlock].bias[ch % kBlock];
    folded = static_cast<int32_t>(uint32_t(folded) + uint32_t(input_offset) * uint32_t(sum));
  }
}

// Rows [m, m + Rows) of C (of which the first `rows` exist), channels of block nb: Rows x 8
// accumulators starting at the bias, sdot by element over k, then requantized from the registers.
// `a` holds Rows rows of A, each padded with zeros to pk.
template <int Rows>
inline void DotTile(const GemmArgs& g, const int8_t* a, int32_t pk, const int8_t* w, const OutputStageBlock& stage,
                    const arm::OutputClamp& clamp, int32_t m, int32_t rows, int32_t nb) {
  int32x4_t c[Rows][2];
  const int32x4_t bias_lo = vld1q_s32(stage.bias), bias_hi = vld1q_s32(stage.bias + 4);
#pragma GCC unroll 8
  for (int r = 0; r < Rows; ++r) c[r][0] = bias_lo, c[r][1] = bias_hi;
  for (int32_t k16 = 0; k16 < pk; k16 += kDepth) {
    int8x16_t x[Rows];
    for (int r = 0; r < Rows; ++r) x[r] = vld1q_s8(a + size_t(r) * pk + k16);
    const int8_t* wk = w + size_t(k16) * kBlock;
#define CLEAVE_SDOT_STEP(lane)                                   \
  {                                                              \
    const int8x16_t w0 = vld1q_s8(wk + (lane) * 32);             \
    const int8x16_t w1 = vld1q_s8(wk + (lane) * 32 + 16);        \
    for (int r = 0; r < Rows; ++r) {                             \
      c[r][0] = vdotq_laneq_s32(c[r][0], w0, x[r], lane);        \
      c[r][1] = vdotq_laneq_s32(c[r][1], w1, x[r], lane);        \
    }                                                            \
  }
    CLEAVE_SDOT_STEP(0)
    CLEAVE_SDOT_STEP(1)
    CLEAVE_SDOT_STEP(2)
    CLEAVE_SDOT_STEP(3)
#undef CLEAVE_SDOT_STEP
  }
  const arm::OutputStage8 s = arm::LoadOutputStage(stage);
  const int32_t n0 = nb * kBlock;
  int8_t* out = g.c + int64_t(m) * g.ldc + n0;
#pragma GCC unroll 8
  for (int r = 0; r < Rows; ++r)
    if (r < rows) arm::StoreBytes8(out + int64_t(r) * g.ldc, arm::Requantize8(c[r][0], c[r][1], s, clamp), g.n - n0);
}

// Rows [m, m + rows) of A copied into `buf` (tile rows, each padded with zeros to pk; tile rows
// past `rows` all zeros).
void CopyRows(const GemmArgs& g, int32_t m, int32_t rows, int32_t tile_rows, int32_t pk, int8_t* buf) {
  std::memset(buf, 0, size_t(tile_rows) * pk);
  for (int32_t r = 0; r < rows; ++r) std::memcpy(buf + size_t(r) * pk, g.a + int64_t(m + r) * g.lda, g.k);
}

void Gemm(const GemmArgs& g, int32_t m_begin, int32_t m_end) {
  const int8_t* packed = static_cast<const int8_t*>(g.packed_b);
  const int32_t blocks = BlocksOf(g.n), pk = PaddedK(g.k);
  const OutputStageBlock* stages = reinterpret_cast<const OutputStageBlock*>(packed + size_t(blocks) * pk * kBlock);
  const arm::OutputClamp clamp = arm::MakeOutputClamp(g.output_offset, g.act_min, g.act_max);
  thread_local std::vector<int8_t> rows_buf;
  if (rows_buf.size() < size_t(kRows) * pk) rows_buf.resize(size_t(kRows) * pk);
  int32_t m = m_begin;
  for (; m + kRows <= m_end; m += kRows) {
    CopyRows(g, m, kRows, kRows, pk, rows_buf.data());
    for (int32_t nb = 0; nb < blocks; ++nb)
      DotTile<kRows>(g, rows_buf.data(), pk, packed + size_t(nb) * pk * kBlock, stages[nb], clamp, m, kRows, nb);
  }
  // The last rows (fewer than kRows) in tiles of kTailRows.
  for (; m < m_end; m += kTailRows) {
    const int32_t rows = m_end - m < kTailRows ? m_end - m : kTailRows;
    CopyRows(g, m, rows, kTailRows, pk, rows_buf.data());
    for (int32_t nb = 0; nb < blocks; ++nb)
      DotTile<kTailRows>(g, rows_buf.data(), pk, packed + size_t(nb) * pk * kBlock, stages[nb], clamp, m, rows, nb);
  }
}

const OptimizedKernels kNeonDot = {
    "neon-dotprod", kRows, GemmPackedSize, PackGemmB, Gemm, arm::DepthwisePackedSize, arm::PackDepthwise, arm::Depthwise, nullptr, nullptr, arm::DepthwiseVariant, nullptr, nullptr,
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
