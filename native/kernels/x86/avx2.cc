// AVX2 kernels. Products are formed exactly in int16 x int16 -> int32 (vpmaddwd): activations are
// widened with the input offset added ((x + offset) lies in [-255, 255]), weights are widened at
// pack time, so no intermediate can saturate (the trap of u8 x s8 vpmaddubsw).
#include "kernels/optimized.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include <cstring>
#include <vector>

#include "kernels/common.h"
#include "kernels/x86/requantize_avx2.h"

namespace cleave {
namespace kernels {
namespace {

constexpr int32_t kBlock = 8;   // output channels per 256-bit accumulator
constexpr int32_t kRows = 4;    // rows of A per micro-kernel

int32_t PairsOf(int32_t k) { return (k + 1) / 2; }
int32_t BlocksOf(int32_t n) { return (n + kBlock - 1) / kBlock; }

// Packed B: for each block of 8 channels, for each pair of k: 8 x (w[k], w[k+1]) as int16, then
// an int32 bias per padded channel.
size_t GemmPackedSize(int32_t n, int32_t k) {
  return size_t(BlocksOf(n)) * PairsOf(k) * kBlock * 2 * sizeof(int16_t) + size_t(BlocksOf(n)) * kBlock * sizeof(int32_t);
}

void PackGemmB(const int8_t* b, const int32_t* bias, int32_t n, int32_t k, int32_t /*input_offset*/, void* packed) {
  int16_t* w = static_cast<int16_t*>(packed);
  const int32_t pairs = PairsOf(k), blocks = BlocksOf(n);
  for (int32_t nb = 0; nb < blocks; ++nb) {
    for (int32_t p = 0; p < pairs; ++p) {
      for (int32_t j = 0; j < kBlock; ++j) {
        const int32_t ch = nb * kBlock + j;
        for (int32_t h = 0; h < 2; ++h) {
          const int32_t kk = 2 * p + h;
          *w++ = (ch < n && kk < k) ? b[int64_t(ch) * k + kk] : 0;
        }
      }
    }
  }
  int32_t* bias_out = reinterpret_cast<int32_t*>(w);
  for (int32_t ch = 0; ch < blocks * kBlock; ++ch) bias_out[ch] = (bias && ch < n) ? bias[ch] : 0;
}

struct OutputStage {
  __m256i output_offset, act_min, act_max;
};

void StoreBlock(const GemmArgs& g, const OutputStage& o, __m256i acc, const int32_t* bias, int32_t m, int32_t n0) {
  const int32_t valid = g.n - n0 < kBlock ? g.n - n0 : kBlock;
  __m256i mult, shift;
  if (g.per_channel && valid == kBlock) {
    mult = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.multiplier + n0));
    shift = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.shift + n0));
  } else if (g.per_channel) {
    int32_t mb[kBlock] = {0}, sb[kBlock] = {0};
    for (int32_t j = 0; j < valid; ++j) { mb[j] = g.multiplier[n0 + j]; sb[j] = g.shift[n0 + j]; }
    mult = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(mb));
    shift = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sb));
  } else {
    mult = _mm256_set1_epi32(g.multiplier[0]);
    shift = _mm256_set1_epi32(g.shift[0]);
  }
  __m256i left, right;
  x86::SplitShift(shift, &left, &right);
  acc = _mm256_add_epi32(acc, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + n0)));
  const __m256i v = x86::Requantize8(acc, mult, left, right, o.output_offset, o.act_min, o.act_max);
  alignas(32) int32_t out[kBlock];
  _mm256_store_si256(reinterpret_cast<__m256i*>(out), v);
  int8_t* c = g.c + int64_t(m) * g.ldc + n0;
  for (int32_t j = 0; j < valid; ++j) c[j] = static_cast<int8_t>(out[j]);
}

// Rows of A widened to int16 with the input offset added, k padded to even with zeros.
void WidenRows(const GemmArgs& g, int32_t input_offset, int32_t m, int32_t rows, int16_t* dst, int32_t padded_k) {
  for (int32_t r = 0; r < kRows; ++r) {
    int16_t* d = dst + r * padded_k;
    if (r >= rows) {
      std::memset(d, 0, sizeof(int16_t) * padded_k);
      continue;
    }
    const int8_t* a = g.a + int64_t(m + r) * g.lda;
    const __m256i offset = _mm256_set1_epi16(static_cast<int16_t>(input_offset));
    int32_t k = 0;
    for (; k + 16 <= g.k; k += 16) {
      const __m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + k)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + k), _mm256_add_epi16(x, offset));
    }
    for (; k < g.k; ++k) d[k] = static_cast<int16_t>(a[k] + input_offset);
    for (; k < padded_k; ++k) d[k] = 0;
  }
}

// The packed blob starts with a 32-byte header holding the input offset, applied while A is
// widened, so GemmArgs stays the same for every implementation.
struct PackedHeader {
  int32_t input_offset;
  int32_t reserved[7];
};

size_t GemmPackedSizeWithHeader(int32_t n, int32_t k) { return sizeof(PackedHeader) + GemmPackedSize(n, k); }

void PackGemmBWithHeader(const int8_t* b, const int32_t* bias, int32_t n, int32_t k, int32_t input_offset, void* packed) {
  PackedHeader* h = static_cast<PackedHeader*>(packed);
  std::memset(h, 0, sizeof(*h));
  h->input_offset = input_offset;
  PackGemmB(b, bias, n, k, input_offset, h + 1);
}

void Gemm(const GemmArgs& g, int32_t m_begin, int32_t m_end) {
  const PackedHeader* header = static_cast<const PackedHeader*>(g.packed_b);
  const int16_t* packed = reinterpret_cast<const int16_t*>(header + 1);
  const int32_t pairs = PairsOf(g.k), blocks = BlocksOf(g.n), padded_k = 2 * pairs;
  const int32_t* bias = reinterpret_cast<const int32_t*>(packed + size_t(blocks) * pairs * kBlock * 2);
  thread_local std::vector<int16_t> widened;
  if (widened.size() < size_t(kRows) * padded_k) widened.resize(size_t(kRows) * padded_k);
  const OutputStage o{_mm256_set1_epi32(g.output_offset), _mm256_set1_epi32(g.act_min), _mm256_set1_epi32(g.act_max)};
  for (int32_t m = m_begin; m < m_end; m += kRows) {
    const int32_t rows = m_end - m < kRows ? m_end - m : kRows;
    WidenRows(g, header->input_offset, m, rows, widened.data(), padded_k);
    const int32_t* a0 = reinterpret_cast<const int32_t*>(widened.data());
    const int32_t* a1 = a0 + pairs;
    const int32_t* a2 = a1 + pairs;
    const int32_t* a3 = a2 + pairs;
    int32_t nb = 0;
    for (; nb + 2 <= blocks; nb += 2) {
      const __m256i* b0 = reinterpret_cast<const __m256i*>(packed + size_t(nb) * pairs * kBlock * 2);
      const __m256i* b1 = b0 + pairs;
      __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      for (int32_t p = 0; p < pairs; ++p) {
        const __m256i w0 = _mm256_load_si256(b0 + p);
        const __m256i w1 = _mm256_load_si256(b1 + p);
        __m256i a = _mm256_set1_epi32(a0[p]);
        c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(a, w0));
        c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(a, w1));
        a = _mm256_set1_epi32(a1[p]);
        c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(a, w0));
        c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(a, w1));
        a = _mm256_set1_epi32(a2[p]);
        c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(a, w0));
        c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(a, w1));
        a = _mm256_set1_epi32(a3[p]);
        c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(a, w0));
        c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(a, w1));
      }
      const __m256i acc[kRows][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
      for (int32_t r = 0; r < rows; ++r) {
        StoreBlock(g, o, acc[r][0], bias, m + r, nb * kBlock);
        if ((nb + 1) * kBlock < g.n) StoreBlock(g, o, acc[r][1], bias, m + r, (nb + 1) * kBlock);
      }
    }
    for (; nb < blocks; ++nb) {
      const __m256i* b0 = reinterpret_cast<const __m256i*>(packed + size_t(nb) * pairs * kBlock * 2);
      __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0;
      for (int32_t p = 0; p < pairs; ++p) {
        const __m256i w0 = _mm256_load_si256(b0 + p);
        c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(_mm256_set1_epi32(a0[p]), w0));
        c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(_mm256_set1_epi32(a1[p]), w0));
        c2 = _mm256_add_epi32(c2, _mm256_madd_epi16(_mm256_set1_epi32(a2[p]), w0));
        c3 = _mm256_add_epi32(c3, _mm256_madd_epi16(_mm256_set1_epi32(a3[p]), w0));
      }
      const __m256i acc[kRows] = {c0, c1, c2, c3};
      for (int32_t r = 0; r < rows; ++r) StoreBlock(g, o, acc[r], bias, m + r, nb * kBlock);
    }
  }
}

// Depthwise (multiplier 1): 16 channels at a time; (x + offset) * w fits int16 exactly
// (|x + offset| <= 255, |w| <= 128), then widened to int32 and summed over the taps.
constexpr int32_t kDwLanes = 16;

int32_t DwGroups(int32_t c) { return (c + kDwLanes - 1) / kDwLanes; }

size_t DepthwisePackedSize(int32_t kh, int32_t kw, int32_t c) {
  return size_t(kh) * kw * DwGroups(c) * kDwLanes * sizeof(int16_t) + size_t(DwGroups(c)) * kDwLanes * sizeof(int32_t);
}

// Layout: for each tap, channels padded to 16 as int16; then bias per padded channel.
void PackDepthwise(const int8_t* filter, const int32_t* bias, int32_t kh, int32_t kw, int32_t c, void* packed) {
  int16_t* w = static_cast<int16_t*>(packed);
  const int32_t padded = DwGroups(c) * kDwLanes;
  for (int32_t t = 0; t < kh * kw; ++t)
    for (int32_t ch = 0; ch < padded; ++ch) *w++ = ch < c ? filter[int64_t(t) * c + ch] : 0;
  int32_t* b = reinterpret_cast<int32_t*>(w);
  for (int32_t ch = 0; ch < padded; ++ch) b[ch] = (bias && ch < c) ? bias[ch] : 0;
}

void Depthwise(const DepthwiseArgs& d, int32_t batch, int32_t oy_begin, int32_t oy_end) {
  const ConvParams& p = d.params;
  const int32_t in_h = d.input_shape->dims[1], in_w = d.input_shape->dims[2], c = d.input_shape->dims[3];
  const int32_t out_w = d.output_shape->dims[2];
  const int32_t padded = DwGroups(c) * kDwLanes;
  const int16_t* weights = static_cast<const int16_t*>(d.packed_filter);
  const int32_t* bias = reinterpret_cast<const int32_t*>(weights + size_t(d.kernel_h) * d.kernel_w * padded);
  const __m256i offset = _mm256_set1_epi16(static_cast<int16_t>(p.input_offset));
  const OutputStage o{_mm256_set1_epi32(p.output_offset), _mm256_set1_epi32(p.act_min), _mm256_set1_epi32(p.act_max)};
  alignas(32) int8_t tail_in[kDwLanes];
  for (int32_t oy = oy_begin; oy < oy_end; ++oy) {
    for (int32_t ox = 0; ox < out_w; ++ox) {
      const int32_t iy0 = oy * p.stride_h - p.pad_top, ix0 = ox * p.stride_w - p.pad_left;
      int8_t* out = d.output + ((int64_t(batch) * d.output_shape->dims[1] + oy) * out_w + ox) * c;
      for (int32_t g = 0; g < padded; g += kDwLanes) {
        const int32_t lanes = c - g < kDwLanes ? c - g : kDwLanes;
        __m256i acc_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + g));
        __m256i acc_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + g + 8));
        for (int32_t ky = 0; ky < d.kernel_h; ++ky) {
          const int32_t iy = iy0 + ky * p.dilation_h;
          if (iy < 0 || iy >= in_h) continue;
          for (int32_t kx = 0; kx < d.kernel_w; ++kx) {
            const int32_t ix = ix0 + kx * p.dilation_w;
            if (ix < 0 || ix >= in_w) continue;
            const int8_t* in = d.input + ((int64_t(batch) * in_h + iy) * in_w + ix) * c + g;
            __m128i x8;
            if (lanes == kDwLanes) {
              x8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
            } else {
              std::memset(tail_in, 0, sizeof(tail_in));
              std::memcpy(tail_in, in, lanes);
              x8 = _mm_load_si128(reinterpret_cast<const __m128i*>(tail_in));
            }
            const __m256i x = _mm256_add_epi16(_mm256_cvtepi8_epi16(x8), offset);
            const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(weights + (size_t(ky) * d.kernel_w + kx) * padded + g));
            const __m256i prod = _mm256_mullo_epi16(x, w);
            acc_lo = _mm256_add_epi32(acc_lo, _mm256_cvtepi16_epi32(_mm256_castsi256_si128(prod)));
            acc_hi = _mm256_add_epi32(acc_hi, _mm256_cvtepi16_epi32(_mm256_extracti128_si256(prod, 1)));
          }
        }
        alignas(32) int32_t ms[kDwLanes] = {0}, ss[kDwLanes] = {0};
        for (int32_t j = 0; j < lanes; ++j) { ms[j] = d.multiplier[g + j]; ss[j] = d.shift[g + j]; }
        alignas(32) int32_t res[kDwLanes];
        for (int32_t half = 0; half < 2; ++half) {
          __m256i left, right;
          x86::SplitShift(_mm256_load_si256(reinterpret_cast<const __m256i*>(ss + 8 * half)), &left, &right);
          const __m256i v = x86::Requantize8(half ? acc_hi : acc_lo, _mm256_load_si256(reinterpret_cast<const __m256i*>(ms + 8 * half)),
                                             left, right, o.output_offset, o.act_min, o.act_max);
          _mm256_store_si256(reinterpret_cast<__m256i*>(res + 8 * half), v);
        }
        for (int32_t j = 0; j < lanes; ++j) out[g + j] = static_cast<int8_t>(res[j]);
      }
    }
  }
}

const OptimizedKernels kAvx2 = {
    "avx2", kRows, GemmPackedSizeWithHeader, PackGemmBWithHeader, Gemm, DepthwisePackedSize, PackDepthwise, Depthwise,
};

}  // namespace

const OptimizedKernels* Avx2Kernels() { return &kAvx2; }

}  // namespace kernels
}  // namespace cleave

#else

namespace cleave {
namespace kernels {
const OptimizedKernels* Avx2Kernels() { return nullptr; }
}  // namespace kernels
}  // namespace cleave

#endif
