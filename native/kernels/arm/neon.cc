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

void StoreRow8(const GemmArgs& g, const int32_t* acc, const int32_t* bias, int32_t m, int32_t n0) {
  const int32_t valid = g.n - n0 < 8 ? g.n - n0 : 8;
  int32_t mult[8], shift[8], out[8];
  for (int32_t j = 0; j < 8; ++j) {
    const bool in = j < valid;
    mult[j] = g.per_channel ? (in ? g.multiplier[n0 + j] : 0) : g.multiplier[0];
    shift[j] = g.per_channel ? (in ? g.shift[n0 + j] : 0) : g.shift[0];
  }
  for (int32_t h = 0; h < 2; ++h) {
    const int32x4_t a = vaddq_s32(vld1q_s32(acc + 4 * h), vld1q_s32(bias + n0 + 4 * h));
    vst1q_s32(out + 4 * h, Requantize4(a, vld1q_s32(mult + 4 * h), vld1q_s32(shift + 4 * h), vdupq_n_s32(g.output_offset),
                                       vdupq_n_s32(g.act_min), vdupq_n_s32(g.act_max)));
  }
  int8_t* c = g.c + int64_t(m) * g.ldc + n0;
  for (int32_t j = 0; j < valid; ++j) c[j] = static_cast<int8_t>(out[j]);
}

namespace {

constexpr int32_t kRows = 4;
constexpr int32_t kBlock = 8;

int32_t BlocksOf(int32_t n) { return (n + kBlock - 1) / kBlock; }

struct PackedHeader {
  int32_t input_offset;
  int32_t reserved[3];
};

// Blob: header, then per block of 8 channels, per k: 8 int16 weights; then int32 bias per padded channel.
size_t GemmPackedSize(int32_t n, int32_t k) {
  return sizeof(PackedHeader) + size_t(BlocksOf(n)) * k * kBlock * sizeof(int16_t) + size_t(BlocksOf(n)) * kBlock * sizeof(int32_t);
}

void PackGemmB(const int8_t* b, const int32_t* bias, const int32_t* /*multiplier*/, const int32_t* /*shift*/,
               bool /*per_channel*/, int32_t /*m*/, int32_t n, int32_t k, int32_t input_offset, void* packed) {
  PackedHeader* h = static_cast<PackedHeader*>(packed);
  std::memset(h, 0, sizeof(*h));
  h->input_offset = input_offset;
  int16_t* w = reinterpret_cast<int16_t*>(h + 1);
  for (int32_t nb = 0; nb < BlocksOf(n); ++nb)
    for (int32_t kk = 0; kk < k; ++kk)
      for (int32_t j = 0; j < kBlock; ++j) {
        const int32_t ch = nb * kBlock + j;
        *w++ = ch < n ? b[int64_t(ch) * k + kk] : 0;
      }
  int32_t* bias_out = reinterpret_cast<int32_t*>(w);
  for (int32_t ch = 0; ch < BlocksOf(n) * kBlock; ++ch) bias_out[ch] = (bias && ch < n) ? bias[ch] : 0;
}

void Gemm(const GemmArgs& g, int32_t m_begin, int32_t m_end) {
  const PackedHeader* header = static_cast<const PackedHeader*>(g.packed_b);
  const int16_t* packed = reinterpret_cast<const int16_t*>(header + 1);
  const int32_t blocks = BlocksOf(g.n);
  const int32_t* bias = reinterpret_cast<const int32_t*>(packed + size_t(blocks) * g.k * kBlock);
  thread_local std::vector<int16_t> widened;
  if (widened.size() < size_t(kRows) * g.k) widened.resize(size_t(kRows) * g.k);
  for (int32_t m = m_begin; m < m_end; m += kRows) {
    const int32_t rows = m_end - m < kRows ? m_end - m : kRows;
    for (int32_t r = 0; r < kRows; ++r) {
      int16_t* d = widened.data() + size_t(r) * g.k;
      if (r >= rows) {
        std::memset(d, 0, sizeof(int16_t) * g.k);
        continue;
      }
      const int8_t* a = g.a + int64_t(m + r) * g.lda;
      for (int32_t kk = 0; kk < g.k; ++kk) d[kk] = static_cast<int16_t>(a[kk] + header->input_offset);
    }
    const int16_t* a0 = widened.data();
    const int16_t* a1 = a0 + g.k;
    const int16_t* a2 = a1 + g.k;
    const int16_t* a3 = a2 + g.k;
    for (int32_t nb = 0; nb < blocks; ++nb) {
      const int16_t* w = packed + size_t(nb) * g.k * kBlock;
      int32x4_t c0l = vdupq_n_s32(0), c0h = c0l, c1l = c0l, c1h = c0l, c2l = c0l, c2h = c0l, c3l = c0l, c3h = c0l;
      for (int32_t kk = 0; kk < g.k; ++kk) {
        const int16x8_t wv = vld1q_s16(w + size_t(kk) * kBlock);
        const int16x4_t wl = vget_low_s16(wv);
        c0l = vmlal_n_s16(c0l, wl, a0[kk]);
        c0h = vmlal_high_n_s16(c0h, wv, a0[kk]);
        c1l = vmlal_n_s16(c1l, wl, a1[kk]);
        c1h = vmlal_high_n_s16(c1h, wv, a1[kk]);
        c2l = vmlal_n_s16(c2l, wl, a2[kk]);
        c2h = vmlal_high_n_s16(c2h, wv, a2[kk]);
        c3l = vmlal_n_s16(c3l, wl, a3[kk]);
        c3h = vmlal_high_n_s16(c3h, wv, a3[kk]);
      }
      int32_t acc[kRows][8];
      vst1q_s32(acc[0], c0l); vst1q_s32(acc[0] + 4, c0h);
      vst1q_s32(acc[1], c1l); vst1q_s32(acc[1] + 4, c1h);
      vst1q_s32(acc[2], c2l); vst1q_s32(acc[2] + 4, c2h);
      vst1q_s32(acc[3], c3l); vst1q_s32(acc[3] + 4, c3h);
      for (int32_t r = 0; r < rows; ++r) StoreRow8(g, acc[r], bias, m + r, nb * kBlock);
    }
  }
}

}  // namespace

// Depthwise, any depth multiplier: 8 output channels at a time, (x + offset) * w exact in
// int16 -> int32.
constexpr int32_t kDwLanes = 8;

static int32_t DwGroups(int32_t c) { return (c + kDwLanes - 1) / kDwLanes; }

size_t DepthwisePackedSize(int32_t kh, int32_t kw, int32_t c) {
  return size_t(kh) * kw * DwGroups(c) * kDwLanes * sizeof(int16_t) + size_t(DwGroups(c)) * kDwLanes * sizeof(int32_t);
}

void PackDepthwise(const int8_t* filter, const int32_t* bias, const int32_t* /*multiplier*/, const int32_t* /*shift*/,
                   int32_t kh, int32_t kw, int32_t c, void* packed) {
  int16_t* w = static_cast<int16_t*>(packed);
  const int32_t padded = DwGroups(c) * kDwLanes;
  for (int32_t t = 0; t < kh * kw; ++t)
    for (int32_t ch = 0; ch < padded; ++ch) *w++ = ch < c ? filter[int64_t(t) * c + ch] : 0;
  int32_t* b = reinterpret_cast<int32_t*>(w);
  for (int32_t ch = 0; ch < padded; ++ch) b[ch] = (bias && ch < c) ? bias[ch] : 0;
}

void Depthwise(const DepthwiseArgs& d, int32_t batch, int32_t oy_begin, int32_t oy_end) {
  const ConvParams& p = d.params;
  const int32_t in_h = d.input_shape->dims[1], in_w = d.input_shape->dims[2], in_c = d.input_shape->dims[3];
  const int32_t out_w = d.output_shape->dims[2], c = d.output_shape->dims[3];
  const int32_t padded = DwGroups(c) * kDwLanes;
  const int16_t* weights = static_cast<const int16_t*>(d.packed_filter);
  const int32_t* bias = reinterpret_cast<const int32_t*>(weights + size_t(d.kernel_h) * d.kernel_w * padded);
  const int16x8_t offset = vdupq_n_s16(static_cast<int16_t>(p.input_offset));
  for (int32_t oy = oy_begin; oy < oy_end; ++oy) {
    for (int32_t ox = 0; ox < out_w; ++ox) {
      const int32_t iy0 = oy * p.stride_h - p.pad_top, ix0 = ox * p.stride_w - p.pad_left;
      int8_t* out = d.output + ((int64_t(batch) * d.output_shape->dims[1] + oy) * out_w + ox) * c;
      for (int32_t g = 0; g < padded; g += kDwLanes) {
        const int32_t lanes = c - g < kDwLanes ? c - g : kDwLanes;
        int32x4_t lo = vld1q_s32(bias + g), hi = vld1q_s32(bias + g + 4);
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
        int32_t mult[8] = {0}, shift[8] = {0}, res[8];
        for (int32_t j = 0; j < lanes; ++j) { mult[j] = d.multiplier[g + j]; shift[j] = d.shift[g + j]; }
        const int32x4_t oo = vdupq_n_s32(p.output_offset), mn = vdupq_n_s32(p.act_min), mx = vdupq_n_s32(p.act_max);
        vst1q_s32(res, Requantize4(lo, vld1q_s32(mult), vld1q_s32(shift), oo, mn, mx));
        vst1q_s32(res + 4, Requantize4(hi, vld1q_s32(mult + 4), vld1q_s32(shift + 4), oo, mn, mx));
        for (int32_t j = 0; j < lanes; ++j) out[g + j] = static_cast<int8_t>(res[j]);
      }
    }
  }
}

}  // namespace arm

namespace {
const OptimizedKernels kNeon = {
    "neon", 4, arm::GemmPackedSize, arm::PackGemmB, arm::Gemm, arm::DepthwisePackedSize, arm::PackDepthwise, arm::Depthwise, nullptr, nullptr, nullptr, nullptr, nullptr,
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
