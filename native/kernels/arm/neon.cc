// NEON kernels for arm64 without the dot-product extension (Pi 4 class). Products are exact in
// int16 x int16 -> int32 (vmlal): activations widened with the input offset added, weights widened
// at pack time.
#include "kernels/optimized.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#include <cstring>
#include <vector>

#include "kernels/arm/neon_common.h"
#include "kernels/arm/requantize_neon.h"

namespace cleave {
namespace kernels {
namespace arm {

void FillOutputStage(OutputStageBlock* out, const int32_t* bias, const int32_t* multiplier, const int32_t* shift,
                     bool per_channel, int32_t n, int32_t blocks) {
  for (int32_t ch = 0; ch < blocks * 8; ++ch) {
    OutputStageBlock& b = out[ch / 8];
    const int32_t j = ch % 8;
    const bool valid = ch < n;
    const int32_t s = valid ? shift[per_channel ? ch : 0] : 0;
    b.bias[j] = (bias && valid) ? bias[ch] : 0;
    b.multiplier[j] = valid ? multiplier[per_channel ? ch : 0] : 0;
    b.left_shift[j] = s > 0 ? s : 0;
    b.right_shift_neg[j] = s > 0 ? 0 : s;
  }
}

namespace {

constexpr int32_t kRows = 4;
constexpr int32_t kBlock = 8;
constexpr int32_t kDepth = 8;  // k per step: the 8 int16 lanes of one widened row load

int32_t BlocksOf(int32_t n) { return (n + kBlock - 1) / kBlock; }
int32_t PaddedK(int32_t k) { return (k + kDepth - 1) / kDepth * kDepth; }

struct PackedHeader {
  int32_t input_offset;
  int32_t reserved[3];
};

// Blob: header; per block of 8 channels, per k (padded to kDepth with zeros): 8 int16 weights;
// then one OutputStageBlock per block.
size_t GemmPackedSize(int32_t n, int32_t k) {
  return sizeof(PackedHeader) + size_t(BlocksOf(n)) * PaddedK(k) * kBlock * sizeof(int16_t) +
         size_t(BlocksOf(n)) * sizeof(OutputStageBlock);
}

void PackGemmB(const int8_t* b, const int32_t* bias, const int32_t* multiplier, const int32_t* shift, bool per_channel,
               int32_t /*m*/, int32_t n, int32_t k, int32_t input_offset, void* packed) {
  PackedHeader* h = static_cast<PackedHeader*>(packed);
  std::memset(h, 0, sizeof(*h));
  h->input_offset = input_offset;
  int16_t* w = reinterpret_cast<int16_t*>(h + 1);
  const int32_t pk = PaddedK(k);
  for (int32_t nb = 0; nb < BlocksOf(n); ++nb)
    for (int32_t kk = 0; kk < pk; ++kk)
      for (int32_t j = 0; j < kBlock; ++j) {
        const int32_t ch = nb * kBlock + j;
        *w++ = (ch < n && kk < k) ? b[int64_t(ch) * k + kk] : 0;
      }
  FillOutputStage(reinterpret_cast<OutputStageBlock*>(w), bias, multiplier, shift, per_channel, n, BlocksOf(n));
}

// Rows [m, m + rows) of A widened to int16 with the input offset added, each padded with zeros to
// pk; rows past `rows` (up to kRows) all zeros.
void WidenRows(const GemmArgs& g, int32_t input_offset, int32_t m, int32_t rows, int32_t pk, int16_t* dst) {
  const int16x8_t offset = vdupq_n_s16(static_cast<int16_t>(input_offset));
  for (int32_t r = 0; r < kRows; ++r) {
    int16_t* d = dst + size_t(r) * pk;
    int32_t kk = 0;
    if (r < rows) {
      const int8_t* a = g.a + int64_t(m + r) * g.lda;
      for (; kk + 8 <= g.k; kk += 8) vst1q_s16(d + kk, vaddq_s16(vmovl_s8(vld1_s8(a + kk)), offset));
      for (; kk < g.k; ++kk) d[kk] = static_cast<int16_t>(a[kk] + input_offset);
    }
    for (; kk < pk; ++kk) d[kk] = 0;
  }
}

void Gemm(const GemmArgs& g, int32_t m_begin, int32_t m_end) {
  const PackedHeader* header = static_cast<const PackedHeader*>(g.packed_b);
  const int16_t* packed = reinterpret_cast<const int16_t*>(header + 1);
  const int32_t blocks = BlocksOf(g.n), pk = PaddedK(g.k);
  const OutputStageBlock* stages = reinterpret_cast<const OutputStageBlock*>(packed + size_t(blocks) * pk * kBlock);
  const OutputClamp clamp = MakeOutputClamp(g.output_offset, g.act_min, g.act_max);
  thread_local std::vector<int16_t> widened;
  if (widened.size() < size_t(kRows) * pk) widened.resize(size_t(kRows) * pk);
  for (int32_t m = m_begin; m < m_end; m += kRows) {
    const int32_t rows = m_end - m < kRows ? m_end - m : kRows;
    WidenRows(g, header->input_offset, m, rows, pk, widened.data());
    const int16_t* a0 = widened.data();
    const int16_t* a1 = a0 + pk;
    const int16_t* a2 = a1 + pk;
    const int16_t* a3 = a2 + pk;
    for (int32_t nb = 0; nb < blocks; ++nb) {
      const int16_t* w = packed + size_t(nb) * pk * kBlock;
      const OutputStageBlock& stage = stages[nb];
      const int32x4_t bias_lo = vld1q_s32(stage.bias), bias_hi = vld1q_s32(stage.bias + 4);
      int32x4_t c0l = bias_lo, c0h = bias_hi, c1l = bias_lo, c1h = bias_hi, c2l = bias_lo, c2h = bias_hi, c3l = bias_lo,
                c3h = bias_hi;
      // Eight k per step: one load of each row's 8 activations, each multiplied by lane.
      for (int32_t k8 = 0; k8 < pk; k8 += kDepth) {
        const int16x8_t x0 = vld1q_s16(a0 + k8), x1 = vld1q_s16(a1 + k8), x2 = vld1q_s16(a2 + k8), x3 = vld1q_s16(a3 + k8);
        const int16_t* wk = w + size_t(k8) * kBlock;
#define CLEAVE_SMLAL_STEP(lane)                              \
  {                                                          \
    const int16x8_t wv = vld1q_s16(wk + (lane) * kBlock);    \
    const int16x4_t wl = vget_low_s16(wv);                   \
    c0l = vmlal_laneq_s16(c0l, wl, x0, lane);                \
    c0h = vmlal_high_laneq_s16(c0h, wv, x0, lane);           \
    c1l = vmlal_laneq_s16(c1l, wl, x1, lane);                \
    c1h = vmlal_high_laneq_s16(c1h, wv, x1, lane);           \
    c2l = vmlal_laneq_s16(c2l, wl, x2, lane);                \
    c2h = vmlal_high_laneq_s16(c2h, wv, x2, lane);           \
    c3l = vmlal_laneq_s16(c3l, wl, x3, lane);                \
    c3h = vmlal_high_laneq_s16(c3h, wv, x3, lane);           \
  }
        CLEAVE_SMLAL_STEP(0)
        CLEAVE_SMLAL_STEP(1)
        CLEAVE_SMLAL_STEP(2)
        CLEAVE_SMLAL_STEP(3)
        CLEAVE_SMLAL_STEP(4)
        CLEAVE_SMLAL_STEP(5)
        CLEAVE_SMLAL_STEP(6)
        CLEAVE_SMLAL_STEP(7)
#undef CLEAVE_SMLAL_STEP
      }
      const OutputStage8 s = LoadOutputStage(stage);
      const int32_t n0 = nb * kBlock, valid = g.n - n0;
      int8_t* c = g.c + int64_t(m) * g.ldc + n0;
      StoreBytes8(c, Requantize8(c0l, c0h, s, clamp), valid);
      if (rows > 1) StoreBytes8(c + g.ldc, Requantize8(c1l, c1h, s, clamp), valid);
      if (rows > 2) StoreBytes8(c + 2 * int64_t(g.ldc), Requantize8(c2l, c2h, s, clamp), valid);
      if (rows > 3) StoreBytes8(c + 3 * int64_t(g.ldc), Requantize8(c3l, c3h, s, clamp), valid);
    }
  }
}

}  // namespace

// Depthwise, any depth multiplier: 8 output channels at a time, (x + offset) * w exact in
// int16 -> int32.
constexpr int32_t kDwLanes = 8;

static int32_t DwGroups(int32_t c) { return (c + kDwLanes - 1) / kDwLanes; }

// Blob: per tap, the channels padded to 8 as int16; then one OutputStageBlock per group of 8.
size_t DepthwisePackedSize(int32_t kh, int32_t kw, int32_t c) {
  return size_t(kh) * kw * DwGroups(c) * kDwLanes * sizeof(int16_t) + size_t(DwGroups(c)) * sizeof(OutputStageBlock);
}

void PackDepthwise(const int8_t* filter, const int32_t* bias, const int32_t* multiplier, const int32_t* shift,
                   int32_t kh, int32_t kw, int32_t c, void* packed) {
  int16_t* w = static_cast<int16_t*>(packed);
  const int32_t padded = DwGroups(c) * kDwLanes;
  for (int32_t t = 0; t < kh * kw; ++t)
    for (int32_t ch = 0; ch < padded; ++ch) *w++ = ch < c ? filter[int64_t(t) * c + ch] : 0;
  FillOutputStage(reinterpret_cast<OutputStageBlock*>(w), bias, multiplier, shift, true, c, DwGroups(c));
}

// 8 channels widened to int16 with the input offset added. A partial group (kFull false: the last
// of a channel count off the multiple of 8) copies its `lanes` bytes first, never reading past
// them; lanes past them get the offset alone and meet zero weights.
template <bool kFull>
static inline int16x8_t WidenLanes(const int8_t* p, int32_t lanes, int16x8_t offset) {
  if (kFull) return vaddq_s16(vmovl_s8(vld1_s8(p)), offset);
  int8_t tmp[8] = {0};
  std::memcpy(tmp, p, size_t(lanes));
  return vaddq_s16(vmovl_s8(vld1_s8(tmp)), offset);
}

// One input column of a 3x3 window, 8 channels: rows 0-2 widened, the input offset added.
struct DwColumn {
  int16x8_t row[3];
};

static bool Is3x3(int32_t kh, int32_t kw, int32_t dilation_h, int32_t dilation_w, int32_t multiplier) {
  return kh == 3 && kw == 3 && dilation_h == 1 && dilation_w == 1 && multiplier == 1;
}

const char* DepthwiseVariant(int32_t kh, int32_t kw, int32_t dilation_h, int32_t dilation_w, int32_t multiplier) {
  return Is3x3(kh, kw, dilation_h, dilation_w, multiplier) ? "depthwise-3x3" : "depthwise";
}

// Where one output row of a 3x3 depthwise convolution reads and writes.
struct Dw3x3Row {
  const int8_t* rows[3];  // input rows oy * stride - pad + 0..2 (a row of zero points outside)
  int8_t* out;            // output row
  int32_t in_w, out_w, c, stride_w, pad_left;
};

// Channels [g, g + lanes) of one output row: the group's nine weight vectors stay in registers
// for the whole row, and each input column is widened once for the up to three output pixels that
// read it (18 smlal per pixel and group, against 9 loads, 9 widenings, 18 smlal and the bounds
// tests per pixel of the generic loop). Columns left or right of the input are zero:
// (zp + offset) * w = 0, as the reference's skipped taps. The output stage constants are read per
// pixel (from L1) to leave the registers to the weights and columns. Not inlined: inside Depthwise,
// GCC spilled weight vectors to the stack in the pixel loop.
template <bool kFull>
__attribute__((noinline)) static void Depthwise3x3Group(const Dw3x3Row& r, int32_t g, int32_t lanes, const int16_t* weights, int32_t padded,
                              const OutputStageBlock& stage, int16x8_t offset, const OutputClamp& clamp) {
  int16x8_t w[3][3];
  for (int32_t ky = 0; ky < 3; ++ky)
    for (int32_t kx = 0; kx < 3; ++kx) w[ky][kx] = vld1q_s16(weights + size_t(ky * 3 + kx) * padded + g);
  auto column = [&](int32_t ix) -> DwColumn {
    if (ix < 0 || ix >= r.in_w) return {{vdupq_n_s16(0), vdupq_n_s16(0), vdupq_n_s16(0)}};
    const int64_t at = int64_t(ix) * r.c + g;
    return {{WidenLanes<kFull>(r.rows[0] + at, lanes, offset), WidenLanes<kFull>(r.rows[1] + at, lanes, offset),
             WidenLanes<kFull>(r.rows[2] + at, lanes, offset)}};
  };
  // The window's three columns, from window_ix; stepping right keeps the columns it shares.
  DwColumn c0{}, c1{}, c2{};
  int64_t window_ix = INT64_MIN / 2;
  for (int32_t ox = 0; ox < r.out_w; ++ox) {
    const int32_t ix0 = ox * r.stride_w - r.pad_left;
    const int64_t step = ix0 - window_ix;
    if (step == 1) {
      c0 = c1, c1 = c2, c2 = column(ix0 + 2);
    } else if (step == 2) {
      c0 = c2, c1 = column(ix0 + 1), c2 = column(ix0 + 2);
    } else {
      c0 = column(ix0), c1 = column(ix0 + 1), c2 = column(ix0 + 2);
    }
    window_ix = ix0;
    int32x4_t lo = vld1q_s32(stage.bias), hi = vld1q_s32(stage.bias + 4);
    const DwColumn* cols[3] = {&c0, &c1, &c2};
    for (int32_t kx = 0; kx < 3; ++kx)
      for (int32_t ky = 0; ky < 3; ++ky) {
        lo = vmlal_s16(lo, vget_low_s16(cols[kx]->row[ky]), vget_low_s16(w[ky][kx]));
        hi = vmlal_high_s16(hi, cols[kx]->row[ky], w[ky][kx]);
      }
    StoreBytes8(r.out + int64_t(ox) * r.c + g, Requantize8(lo, hi, LoadOutputStage(stage), clamp), kFull ? kDwLanes : lanes);
  }
}

// The common 3x3, dilation 1, multiplier 1 case, output row by output row and group by group.
static void Depthwise3x3(const DepthwiseArgs& d, int32_t batch, int32_t oy_begin, int32_t oy_end) {
  const ConvParams& p = d.params;
  const int32_t in_h = d.input_shape->dims[1], in_w = d.input_shape->dims[2], c = d.input_shape->dims[3];
  const int32_t out_w = d.output_shape->dims[2];
  const int32_t padded = DwGroups(c) * kDwLanes;
  const int16_t* weights = static_cast<const int16_t*>(d.packed_filter);
  const OutputStageBlock* stages = reinterpret_cast<const OutputStageBlock*>(weights + size_t(9) * padded);
  const int16x8_t offset = vdupq_n_s16(static_cast<int16_t>(p.input_offset));
  const OutputClamp clamp = MakeOutputClamp(p.output_offset, p.act_min, p.act_max);
  const int8_t* input = d.input + int64_t(batch) * in_h * in_w * c;
  const int64_t row_stride = int64_t(in_w) * c;
  // Rows above or below the input read zero points: (zp + offset) * w = 0.
  thread_local std::vector<int8_t> zero_point_row;
  if (zero_point_row.size() < size_t(row_stride)) zero_point_row.resize(size_t(row_stride));
  std::memset(zero_point_row.data(), static_cast<int8_t>(-p.input_offset), size_t(row_stride));
  for (int32_t oy = oy_begin; oy < oy_end; ++oy) {
    Dw3x3Row r;
    const int32_t iy0 = oy * p.stride_h - p.pad_top;
    for (int32_t ky = 0; ky < 3; ++ky) {
      const int32_t iy = iy0 + ky;
      r.rows[ky] = iy >= 0 && iy < in_h ? input + iy * row_stride : zero_point_row.data();
    }
    r.out = d.output + (int64_t(batch) * d.output_shape->dims[1] + oy) * out_w * c;
    r.in_w = in_w, r.out_w = out_w, r.c = c, r.stride_w = p.stride_w, r.pad_left = p.pad_left;
    for (int32_t g = 0; g < padded; g += kDwLanes) {
      const int32_t lanes = c - g;
      if (lanes >= kDwLanes) Depthwise3x3Group<true>(r, g, lanes, weights, padded, stages[g / kDwLanes], offset, clamp);
      else Depthwise3x3Group<false>(r, g, lanes, weights, padded, stages[g / kDwLanes], offset, clamp);
    }
  }
}

void Depthwise(const DepthwiseArgs& d, int32_t batch, int32_t oy_begin, int32_t oy_end) {
  if (Is3x3(d.kernel_h, d.kernel_w, d.params.dilation_h, d.params.dilation_w, d.depth_multiplier)) {
    Depthwise3x3(d, batch, oy_begin, oy_end);
    return;
  }
  const ConvParams& p = d.params;
  const int32_t in_h = d.input_shape->dims[1], in_w = d.input_shape->dims[2], in_c = d.input_shape->dims[3];
  const int32_t out_w = d.output_shape->dims[2], c = d.output_shape->dims[3];
  const int32_t padded = DwGroups(c) * kDwLanes;
  const int16_t* weights = static_cast<const int16_t*>(d.packed_filter);
  const OutputStageBlock* stages = reinterpret_cast<const OutputStageBlock*>(weights + size_t(d.kernel_h) * d.kernel_w * padded);
  const int16x8_t offset = vdupq_n_s16(static_cast<int16_t>(p.input_offset));
  const OutputClamp clamp = MakeOutputClamp(p.output_offset, p.act_min, p.act_max);
  for (int32_t oy = oy_begin; oy < oy_end; ++oy) {
    for (int32_t ox = 0; ox < out_w; ++ox) {
      const int32_t iy0 = oy * p.stride_h - p.pad_top, ix0 = ox * p.stride_w - p.pad_left;
      int8_t* out = d.output + ((int64_t(batch) * d.output_shape->dims[1] + oy) * out_w + ox) * c;
      for (int32_t g = 0; g < padded; g += kDwLanes) {
        const int32_t lanes = c - g < kDwLanes ? c - g : kDwLanes;
        const OutputStageBlock& stage = stages[g / kDwLanes];
        int32x4_t lo = vld1q_s32(stage.bias), hi = vld1q_s32(stage.bias + 4);
        for (int32_t ky = 0; ky < d.kernel_h; ++ky) {
          const int32_t iy = iy0 + ky * p.dilation_h;
          if (iy < 0 || iy >= in_h) continue;
          for (int32_t kx = 0; kx < d.kernel_w; ++kx) {
            const int32_t ix = ix0 + kx * p.dilation_w;
            if (ix < 0 || ix >= in_w) continue;
            // Output channel g + j reads input channel (g + j) / multiplier.
            const int8_t* pixel = d.input + ((int64_t(batch) * in_h + iy) * in_w + ix) * in_c;
            int8x8_t x8;
            if (d.depth_multiplier == 1 && lanes == kDwLanes) {
              x8 = vld1_s8(pixel + g);
            } else if (d.depth_multiplier % kDwLanes == 0 && lanes >= kDwLanes) {
              x8 = vdup_n_s8(pixel[g / d.depth_multiplier]);  // all lanes read one input channel
            } else {
              int8_t gathered[8] = {0};
              for (int32_t j = 0; j < lanes && j < kDwLanes; ++j) gathered[j] = pixel[(g + j) / d.depth_multiplier];
              x8 = vld1_s8(gathered);
            }
            const int16x8_t x = vaddq_s16(vmovl_s8(x8), offset);
            const int16x8_t w = vld1q_s16(weights + (size_t(ky) * d.kernel_w + kx) * padded + g);
            lo = vmlal_s16(lo, vget_low_s16(x), vget_low_s16(w));
            hi = vmlal_high_s16(hi, x, w);
          }
        }
        StoreBytes8(out + g, Requantize8(lo, hi, LoadOutputStage(stage), clamp), lanes);
      }
    }
  }
}

}  // namespace arm

namespace {
const OptimizedKernels kNeon = {
    "neon", 4, arm::GemmPackedSize, arm::PackGemmB, arm::Gemm, arm::DepthwisePackedSize, arm::PackDepthwise, arm::Depthwise, nullptr, nullptr, arm::DepthwiseVariant, nullptr, nullptr,
};
}  // namespace

const OptimizedKernels* NeonKernels() { return &kNeon; }

}  // namespace kernels
}  // namespace cleave

#else

namespace cleave {
namespace kernels {
const OptimizedKernels* NeonKernels() { return nullptr; }
}  // namespace kernels
}  // namespace cleave

#endif
