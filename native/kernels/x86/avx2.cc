// AVX2 kernels. Products are formed exactly: in the matrix product as int16 x int16 -> int32
// (vpmaddwd), activations widened with the input offset added ((x + offset) lies in [-255, 255]) and
// weights widened at pack time, so no intermediate can saturate (the trap of u8 x s8 vpmaddubsw);
// in depthwise as int32 products.
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

// The packed blob: a 32-byte header holding the input offset (applied while A is widened, so
// GemmArgs stays the same for every implementation); for each block of 8 channels, for each pair
// of k, 8 x (w[k], w[k+1]) as int16; then the output-stage tables (see kStageTables).
struct PackedHeader {
  int32_t input_offset;
  int32_t reserved[7];
};

// Per padded channel, one table after another: bias, multiplier, left shift, right shift, and the
// right shift's mask and half-mask (RoundingDivideByPOT's constants).
constexpr int32_t kStageTables = 6;

struct OutputStageTables {
  const int32_t* bias;
  const int32_t* table;  // kStageTables tables of `padded` entries; bias first
  int32_t padded;

  x86::RequantizeLanes Lanes(int32_t ch) const {
    auto at = [&](int32_t k) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(table + size_t(k) * padded + ch)); };
    return {at(1), at(2), at(3), at(4), at(5)};
  }
};

void FillOutputStage(int32_t* out, const int32_t* bias, const int32_t* multiplier, const int32_t* shift, bool per_channel,
                     int32_t n, int32_t padded) {
  for (int32_t ch = 0; ch < padded; ++ch) {
    const bool valid = ch < n;
    const int32_t s = valid ? shift[per_channel ? ch : 0] : 0;
    const int32_t right = s > 0 ? 0 : -s;
    const int32_t mask = right >= 31 ? 0x7fffffff : int32_t((uint32_t(1) << right) - 1);
    out[ch] = (bias && valid) ? bias[ch] : 0;
    out[padded + ch] = valid ? multiplier[per_channel ? ch : 0] : 0;
    out[2 * padded + ch] = s > 0 ? s : 0;
    out[3 * padded + ch] = right;
    out[4 * padded + ch] = mask;
    out[5 * padded + ch] = mask >> 1;
  }
}

OutputStageTables OutputStageAt(const int32_t* tables, int32_t padded) { return {tables, tables, padded}; }

size_t GemmPackedSize(int32_t n, int32_t k) {
  return sizeof(PackedHeader) + size_t(BlocksOf(n)) * PairsOf(k) * kBlock * 2 * sizeof(int16_t) +
         kStageTables * size_t(BlocksOf(n)) * kBlock * sizeof(int32_t);
}

void PackGemmB(const int8_t* b, const int32_t* bias, const int32_t* multiplier, const int32_t* shift, bool per_channel,
               int32_t n, int32_t k, int32_t input_offset, void* packed) {
  PackedHeader* h = static_cast<PackedHeader*>(packed);
  std::memset(h, 0, sizeof(*h));
  h->input_offset = input_offset;
  int16_t* w = reinterpret_cast<int16_t*>(h + 1);
  const int32_t pairs = PairsOf(k), blocks = BlocksOf(n);
  for (int32_t nb = 0; nb < blocks; ++nb) {
    for (int32_t p = 0; p < pairs; ++p) {
      for (int32_t j = 0; j < kBlock; ++j) {
        const int32_t ch = nb * kBlock + j;
        for (int32_t half = 0; half < 2; ++half) {
          const int32_t kk = 2 * p + half;
          *w++ = (ch < n && kk < k) ? b[int64_t(ch) * k + kk] : 0;
        }
      }
    }
  }
  FillOutputStage(reinterpret_cast<int32_t*>(w), bias, multiplier, shift, per_channel, n, blocks * kBlock);
}

// 8 int32 lanes already clamped to int8 range -> 8 bytes.
inline __m128i NarrowToInt8(__m256i v) {
  const __m256i pick = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                        0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  const __m256i bytes = _mm256_shuffle_epi8(v, pick);
  return _mm_unpacklo_epi32(_mm256_castsi256_si128(bytes), _mm256_extracti128_si256(bytes, 1));
}

inline void StoreBytes(int8_t* dst, __m128i bytes8, int32_t valid) {
  if (valid >= 8) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), bytes8);
  } else {
    alignas(16) int8_t tmp[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), bytes8);
    std::memcpy(dst, tmp, valid);
  }
}

struct OutputStage {
  __m256i output_offset, act_min, act_max;
};

// Adds the bias, requantizes and stores channels [n0, n0 + 8) of one row of C.
inline void StoreBlock(const GemmArgs& g, const OutputStage& o, const OutputStageTables& t, __m256i acc, int32_t m, int32_t n0) {
  const __m256i* at = reinterpret_cast<const __m256i*>(t.bias + n0);
  acc = _mm256_add_epi32(acc, _mm256_loadu_si256(at));
  const __m256i v = x86::Requantize8(acc, t.Lanes(n0), o.output_offset, o.act_min, o.act_max);
  StoreBytes(g.c + int64_t(m) * g.ldc + n0, NarrowToInt8(v), g.n - n0);
}

// Rows of A widened to int16 with the input offset added, k padded to even with zeros.
void WidenRows(const GemmArgs& g, int32_t input_offset, int32_t m, int32_t rows, int16_t* dst, int32_t padded_k) {
  const __m256i offset = _mm256_set1_epi16(static_cast<int16_t>(input_offset));
  for (int32_t r = 0; r < kRows; ++r) {
    int16_t* d = dst + r * padded_k;
    if (r >= rows) {
      std::memset(d, 0, sizeof(int16_t) * padded_k);
      continue;
    }
    const int8_t* a = g.a + int64_t(m + r) * g.lda;
    int32_t k = 0;
    for (; k + 16 <= g.k; k += 16) {
      const __m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + k)));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(d + k), _mm256_add_epi16(x, offset));
    }
    for (; k < g.k; ++k) d[k] = static_cast<int16_t>(a[k] + input_offset);
    for (; k < padded_k; ++k) d[k] = 0;
  }
}

void GemmRow(const GemmArgs& g, const OutputStage& o, const OutputStageTables& tables, const int16_t* packed, const int32_t* a,
             int32_t pairs, int32_t blocks, int32_t m) {
  int32_t nb = 0;
  for (; nb + 2 <= blocks; nb += 2) {
    const __m256i* b0 = reinterpret_cast<const __m256i*>(packed + size_t(nb) * pairs * kBlock * 2);
    const __m256i* b1 = b0 + pairs;
    __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0;
    int32_t p = 0;
    // Two independent accumulators per block hide the multiply latency.
    for (; p + 2 <= pairs; p += 2) {
      const __m256i a0 = _mm256_set1_epi32(a[p]), a1 = _mm256_set1_epi32(a[p + 1]);
      c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(a0, _mm256_load_si256(b0 + p)));
      c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(a0, _mm256_load_si256(b1 + p)));
      c2 = _mm256_add_epi32(c2, _mm256_madd_epi16(a1, _mm256_load_si256(b0 + p + 1)));
      c3 = _mm256_add_epi32(c3, _mm256_madd_epi16(a1, _mm256_load_si256(b1 + p + 1)));
    }
    for (; p < pairs; ++p) {
      const __m256i a0 = _mm256_set1_epi32(a[p]);
      c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(a0, _mm256_load_si256(b0 + p)));
      c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(a0, _mm256_load_si256(b1 + p)));
    }
    StoreBlock(g, o, tables, _mm256_add_epi32(c0, c2), m, nb * kBlock);
    if ((nb + 1) * kBlock < g.n) StoreBlock(g, o, tables, _mm256_add_epi32(c1, c3), m, (nb + 1) * kBlock);
  }
  for (; nb < blocks; ++nb) {
    const __m256i* b0 = reinterpret_cast<const __m256i*>(packed + size_t(nb) * pairs * kBlock * 2);
    __m256i c0 = _mm256_setzero_si256();
    for (int32_t p = 0; p < pairs; ++p) c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(_mm256_set1_epi32(a[p]), _mm256_load_si256(b0 + p)));
    StoreBlock(g, o, tables, c0, m, nb * kBlock);
  }
}

void Gemm(const GemmArgs& g, int32_t m_begin, int32_t m_end) {
  const PackedHeader* header = static_cast<const PackedHeader*>(g.packed_b);
  const int16_t* packed = reinterpret_cast<const int16_t*>(header + 1);
  const int32_t pairs = PairsOf(g.k), blocks = BlocksOf(g.n), padded_k = 2 * pairs;
  const OutputStageTables tables = OutputStageAt(reinterpret_cast<const int32_t*>(packed + size_t(blocks) * pairs * kBlock * 2), blocks * kBlock);
  thread_local std::vector<int16_t> widened;
  if (widened.size() < size_t(kRows) * padded_k) widened.resize(size_t(kRows) * padded_k);
  const OutputStage o{_mm256_set1_epi32(g.output_offset), _mm256_set1_epi32(g.act_min), _mm256_set1_epi32(g.act_max)};
  for (int32_t m = m_begin; m < m_end; m += kRows) {
    const int32_t rows = m_end - m < kRows ? m_end - m : kRows;
    WidenRows(g, header->input_offset, m, rows, widened.data(), padded_k);
    if (rows < kRows) {
      // Fewer rows than the micro-kernel's (a batch-1 fully connected layer, a tail): one row at a
      // time rather than multiplying padding rows.
      for (int32_t r = 0; r < rows; ++r) GemmRow(g, o, tables, packed, reinterpret_cast<const int32_t*>(widened.data()) + r * pairs, pairs, blocks, m + r);
      continue;
    }
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
        StoreBlock(g, o, tables, acc[r][0], m + r, nb * kBlock);
        if ((nb + 1) * kBlock < g.n) StoreBlock(g, o, tables, acc[r][1], m + r, (nb + 1) * kBlock);
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
      for (int32_t r = 0; r < rows; ++r) StoreBlock(g, o, tables, acc[r], m + r, nb * kBlock);
    }
  }
}

// Depthwise, any depth multiplier: 8 output channels per 256-bit accumulator; (x + offset) * w
// in int32.
// Layout: for each tap, channels padded to 8 as int32; then the output stage tables.
int32_t DwPadded(int32_t c) { return (c + kBlock - 1) / kBlock * kBlock; }

size_t DepthwisePackedSize(int32_t kh, int32_t kw, int32_t c) {
  return (size_t(kh) * kw + kStageTables) * DwPadded(c) * sizeof(int32_t);
}

void PackDepthwise(const int8_t* filter, const int32_t* bias, const int32_t* multiplier, const int32_t* shift, int32_t kh,
                   int32_t kw, int32_t c, void* packed) {
  int32_t* w = static_cast<int32_t*>(packed);
  const int32_t padded = DwPadded(c);
  for (int32_t t = 0; t < kh * kw; ++t)
    for (int32_t ch = 0; ch < padded; ++ch) *w++ = ch < c ? filter[int64_t(t) * c + ch] : 0;
  FillOutputStage(w, bias, multiplier, shift, true, c, padded);
}

// Input values for output channels [g, g + 8) of one pixel as int32 (zero-filled past `lanes`):
// contiguous with depth multiplier 1, else channel c reads input channel c / multiplier.
inline __m256i LoadChannels(const int8_t* pixel, int32_t g, int32_t lanes, int32_t multiplier) {
  if (multiplier == 1 && lanes >= 8) return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(pixel + g)));
  // All eight output channels read one input channel (multiplier a multiple of 8): broadcast it.
  if (multiplier % 8 == 0 && lanes >= 8) return _mm256_set1_epi32(pixel[g / multiplier]);
  alignas(16) int8_t tmp[16] = {0};
  const int32_t n = lanes < 8 ? lanes : 8;
  for (int32_t j = 0; j < n; ++j) tmp[j] = pixel[(g + j) / multiplier];
  return _mm256_cvtepi8_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(tmp)));
}

// The common 3x3, dilation 1, multiplier 1 case: channel groups outside, pixels inside, so a
// group's nine weight vectors stay in registers across the row; taps fully inside the input are
// unrolled without bounds checks.
void Depthwise3x3(const DepthwiseArgs& d, int32_t batch, int32_t oy_begin, int32_t oy_end) {
  const ConvParams& p = d.params;
  const int32_t in_h = d.input_shape->dims[1], in_w = d.input_shape->dims[2], c = d.input_shape->dims[3];
  const int32_t out_w = d.output_shape->dims[2];
  const int32_t padded = DwPadded(c);
  const int32_t* weights = static_cast<const int32_t*>(d.packed_filter);
  const OutputStageTables tables = OutputStageAt(weights + size_t(9) * padded, padded);
  const __m256i offset = _mm256_set1_epi32(p.input_offset);
  const OutputStage o{_mm256_set1_epi32(p.output_offset), _mm256_set1_epi32(p.act_min), _mm256_set1_epi32(p.act_max)};
  const int8_t* input = d.input + int64_t(batch) * in_h * in_w * c;
  const int64_t row_stride = int64_t(in_w) * c;
  for (int32_t oy = oy_begin; oy < oy_end; ++oy) {
    const int32_t iy0 = oy * p.stride_h - p.pad_top;
    const bool rows_inside = iy0 >= 0 && iy0 + 2 < in_h;
    int8_t* out_row = d.output + (int64_t(batch) * d.output_shape->dims[1] + oy) * out_w * c;
    for (int32_t g = 0; g < padded; g += kBlock) {
      const int32_t lanes = c - g;
      __m256i w[9];
      for (int32_t t = 0; t < 9; ++t) w[t] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(weights + size_t(t) * padded + g));
      const __m256i bias = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tables.bias + g));
      const x86::RequantizeLanes lanes_q = tables.Lanes(g);
      for (int32_t ox = 0; ox < out_w; ++ox) {
        const int32_t ix0 = ox * p.stride_w - p.pad_left;
        __m256i acc = bias;
        if (rows_inside && ix0 >= 0 && ix0 + 2 < in_w && lanes >= kBlock) {
          const int8_t* base = input + int64_t(iy0) * row_stride + int64_t(ix0) * c + g;
          for (int32_t ky = 0; ky < 3; ++ky) {
            const int8_t* r = base + ky * row_stride;
            for (int32_t kx = 0; kx < 3; ++kx) {
              const __m256i x = _mm256_add_epi32(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(r + kx * c))), offset);
              acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(x, w[ky * 3 + kx]));
            }
          }
        } else {
          for (int32_t ky = 0; ky < 3; ++ky) {
            const int32_t iy = iy0 + ky;
            if (iy < 0 || iy >= in_h) continue;
            for (int32_t kx = 0; kx < 3; ++kx) {
              const int32_t ix = ix0 + kx;
              if (ix < 0 || ix >= in_w) continue;
              const int8_t* pixel = input + int64_t(iy) * row_stride + int64_t(ix) * c;
              const __m256i x = _mm256_add_epi32(LoadChannels(pixel, g, lanes, 1), offset);
              acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(x, w[ky * 3 + kx]));
            }
          }
        }
        StoreBytes(out_row + int64_t(ox) * c + g, NarrowToInt8(x86::Requantize8(acc, lanes_q, o.output_offset, o.act_min, o.act_max)), lanes);
      }
    }
  }
}

void Depthwise(const DepthwiseArgs& d, int32_t batch, int32_t oy_begin, int32_t oy_end) {
  if (d.kernel_h == 3 && d.kernel_w == 3 && d.params.dilation_h == 1 && d.params.dilation_w == 1 && d.depth_multiplier == 1) {
    Depthwise3x3(d, batch, oy_begin, oy_end);
    return;
  }
  const ConvParams& p = d.params;
  const int32_t in_h = d.input_shape->dims[1], in_w = d.input_shape->dims[2], in_c = d.input_shape->dims[3];
  const int32_t out_w = d.output_shape->dims[2], c = d.output_shape->dims[3];
  const int32_t padded = DwPadded(c);
  const int32_t* weights = static_cast<const int32_t*>(d.packed_filter);
  const OutputStageTables tables = OutputStageAt(weights + size_t(d.kernel_h) * d.kernel_w * padded, padded);
  const __m256i offset = _mm256_set1_epi32(p.input_offset);
  const OutputStage o{_mm256_set1_epi32(p.output_offset), _mm256_set1_epi32(p.act_min), _mm256_set1_epi32(p.act_max)};
  const int8_t* input = d.input + int64_t(batch) * in_h * in_w * in_c;
  for (int32_t oy = oy_begin; oy < oy_end; ++oy) {
    const int32_t iy0 = oy * p.stride_h - p.pad_top;
    // Taps inside the input, computed once per row and column instead of tested per tap.
    int32_t ky_begin = 0, ky_end = d.kernel_h;
    while (ky_begin < ky_end && iy0 + ky_begin * p.dilation_h < 0) ++ky_begin;
    while (ky_end > ky_begin && iy0 + (ky_end - 1) * p.dilation_h >= in_h) --ky_end;
    for (int32_t ox = 0; ox < out_w; ++ox) {
      const int32_t ix0 = ox * p.stride_w - p.pad_left;
      int32_t kx_begin = 0, kx_end = d.kernel_w;
      while (kx_begin < kx_end && ix0 + kx_begin * p.dilation_w < 0) ++kx_begin;
      while (kx_end > kx_begin && ix0 + (kx_end - 1) * p.dilation_w >= in_w) --kx_end;
      int8_t* out = d.output + ((int64_t(batch) * d.output_shape->dims[1] + oy) * out_w + ox) * c;
      for (int32_t g = 0; g < padded; g += kBlock) {
        const int32_t lanes = c - g;
        __m256i acc = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tables.bias + g));
        for (int32_t ky = ky_begin; ky < ky_end; ++ky) {
          const int8_t* row = input + int64_t(iy0 + ky * p.dilation_h) * in_w * in_c;
          const int32_t* wrow = weights + size_t(ky) * d.kernel_w * padded + g;
          for (int32_t kx = kx_begin; kx < kx_end; ++kx) {
            const int8_t* pixel = row + int64_t(ix0 + kx * p.dilation_w) * in_c;
            const __m256i x = _mm256_add_epi32(LoadChannels(pixel, g, lanes, d.depth_multiplier), offset);
            const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wrow + size_t(kx) * padded));
            acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(x, w));
          }
        }
        const __m256i v = x86::Requantize8(acc, tables.Lanes(g), o.output_offset, o.act_min, o.act_max);
        StoreBytes(out + g, NarrowToInt8(v), lanes);
      }
    }
  }
}

// ADD: each input lifted by 2^left_shift and rescaled to the common scale, summed, rescaled to the
// output: three MultiplyByQuantizedMultiplierSmallerThanOneExp per element, 8 elements at a time.
void AddInt8(const AddParams& p, int64_t count, const int8_t* input1, const int8_t* input2, int8_t* output) {
  const x86::RequantizeLanes q1 = x86::UniformLanes(p.input1_multiplier, p.input1_shift);
  const x86::RequantizeLanes q2 = x86::UniformLanes(p.input2_multiplier, p.input2_shift);
  const x86::RequantizeLanes qo = x86::UniformLanes(p.output_multiplier, p.output_shift);
  const __m256i off1 = _mm256_set1_epi32(p.input1_offset), off2 = _mm256_set1_epi32(p.input2_offset);
  const __m256i lift = _mm256_set1_epi32(p.left_shift);
  const OutputStage o{_mm256_set1_epi32(p.output_offset), _mm256_set1_epi32(p.act_min), _mm256_set1_epi32(p.act_max)};
  for (int64_t i = 0; i < count; i += 8) {
    const int32_t lanes = count - i < 8 ? int32_t(count - i) : 8;
    const __m256i a = _mm256_sllv_epi32(_mm256_add_epi32(LoadChannels(input1 + i, 0, lanes, 1), off1), lift);
    const __m256i b = _mm256_sllv_epi32(_mm256_add_epi32(LoadChannels(input2 + i, 0, lanes, 1), off2), lift);
    const __m256i sum = _mm256_add_epi32(x86::MultiplyByQuantizedMultiplier8(a, q1), x86::MultiplyByQuantizedMultiplier8(b, q2));
    StoreBytes(output + i, NarrowToInt8(x86::Requantize8(sum, qo, o.output_offset, o.act_min, o.act_max)), lanes);
  }
}

const OptimizedKernels kAvx2 = {
    "avx2", kRows, GemmPackedSize, PackGemmB, Gemm, DepthwisePackedSize, PackDepthwise, Depthwise, AddInt8,
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
