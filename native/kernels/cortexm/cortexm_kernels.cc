#include "kernels/cortexm/cortexm_kernels.h"

#include <cstring>

#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32)
#include <arm_acle.h>
#define CLEAVE_CORTEXM_DSP 1
#endif

namespace cleave {
namespace cortexm {

namespace {

// floor((a * b + 2^30) / 2^31), the rounding high half of the doubled product.
inline int32_t RoundingHighMul(int32_t a, int32_t b) {
#if defined(__arm__) && (defined(__ARM_ARCH_7M__) || defined(__ARM_ARCH_7EM__) || defined(__ARM_ARCH_8M_MAIN__))
  // GCC widens some of these products with three multiplies instead of one SMLAL: say it.
  uint32_t low = 1u << 30;
  int32_t high = 0;
  __asm__("smlal %0, %1, %2, %3" : "+r"(low), "+r"(high) : "r"(a), "r"(b));
  return static_cast<int32_t>((low >> 31) | (static_cast<uint32_t>(high) << 1));
#else
  return static_cast<int32_t>((static_cast<int64_t>(a) * static_cast<int64_t>(b) + (int64_t{1} << 30)) >> 31);
#endif
}

// kernels::MultiplyByQuantizedMultiplier for one (multiplier, shift) pair, with everything that
// depends only on the pair worked out once: a per-tensor output stage builds one for a whole op.
class Requantizer {
 public:
  __attribute__((always_inline)) Requantizer(int32_t multiplier, int32_t shift)
      : multiplier_(multiplier),
        left_shift_(shift > 0 ? (shift < 31 ? shift : 31) : 0),
        right_shift_(shift > 0 ? 0 : -shift),
        // RoundingDivideByPOT: for a shift of at most 31 the 64-bit mask of the reference is the
        // low bits of the 32-bit value.
        mask_(right_shift_ > 0 && right_shift_ <= 31 ? 0xFFFFFFFFu >> (32 - right_shift_) : 0),
        // Only INT32_MIN * INT32_MIN saturates; a shift beyond 31 goes to the reference function.
        unusual_(multiplier == INT32_MIN || shift < -31),
        shift_(shift) {}

  __attribute__((always_inline)) int32_t Apply(int32_t x) const {
    if (unusual_) return Unusual(x);
    // SaturatingRoundingDoublingHighMul of the left-shifted (wrapping) x. The reference adds a
    // nudge of 2^30 (or 1 - 2^30 when the product is negative) and divides by 2^31 rounding
    // toward zero; for a negative product that is floor((ab + 1 - 2^30 + 2^31 - 1) / 2^31), so
    // both cases are floor((ab + 2^30) / 2^31): one multiply-accumulate (SMLAL) and a shift.
    const int32_t high = RoundingHighMul(static_cast<int32_t>(static_cast<uint32_t>(x) << left_shift_), multiplier_);
    if (mask_ == 0) return high;
    const uint32_t remainder = static_cast<uint32_t>(high) & mask_;
    const uint32_t threshold = (mask_ >> 1) + (static_cast<uint32_t>(high) >> 31);
    return (high >> right_shift_) + (remainder > threshold ? 1 : 0);
  }

 private:
  int32_t Unusual(int32_t x) const {
    if (shift_ < -31) return kernels::MultiplyByQuantizedMultiplier(x, multiplier_, shift_);
    const int32_t a = static_cast<int32_t>(static_cast<uint32_t>(x) << left_shift_);
    const int32_t high = a == INT32_MIN ? INT32_MAX : RoundingHighMul(a, multiplier_);
    if (mask_ == 0) return high;
    const uint32_t remainder = static_cast<uint32_t>(high) & mask_;
    const uint32_t threshold = (mask_ >> 1) + (static_cast<uint32_t>(high) >> 31);
    return (high >> right_shift_) + (remainder > threshold ? 1 : 0);
  }

  int32_t multiplier_, left_shift_, right_shift_;
  uint32_t mask_;
  bool unusual_;
  int32_t shift_;
};

}  // namespace

int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift) {
  return Requantizer(multiplier, shift).Apply(x);
}

namespace {

// The output stage: requantized, offset to the output zero point and clamped.
inline int8_t Requantize(uint32_t acc, const Requantizer& requantizer, int32_t output_offset, int32_t act_min, int32_t act_max) {
  return static_cast<int8_t>(kernels::Clamp(requantizer.Apply(static_cast<int32_t>(acc)) + output_offset, act_min, act_max));
}

inline int8_t Requantize(uint32_t acc, int32_t multiplier, int32_t shift, int32_t output_offset, int32_t act_min,
                         int32_t act_max) {
  return Requantize(acc, Requantizer(multiplier, shift), output_offset, act_min, act_max);
}

inline uint32_t BiasOf(const int32_t* bias, int32_t channel) {
  return bias ? static_cast<uint32_t>(bias[channel]) : 0u;
}

// The taps k in [0, taps) whose coordinate origin + dilation * k lies in [0, limit), as [*first, *end).
inline void TapRange(int32_t origin, int32_t dilation, int32_t taps, int32_t limit, int32_t* first, int32_t* end) {
  int32_t f = origin < 0 ? (-origin + dilation - 1) / dilation : 0;
  int32_t e = origin >= limit ? 0 : (limit - 1 - origin) / dilation + 1;
  if (e > taps) e = taps;
  if (f > e) f = e;
  *first = f;
  *end = e;
}

#ifdef CLEAVE_CORTEXM_DSP
inline uint32_t Load32(const int8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline uint32_t Ror8(uint32_t v) { return (v >> 8) | (v << 24); }
// The offset in both 16-bit halves, for __sxtab16.
inline int32_t PairOf(int32_t offset) {
  return static_cast<int32_t>((static_cast<uint32_t>(offset) & 0xFFFFu) * 0x10001u);
}
#endif

// Four dot products sharing their input: acc[j] += sum_i (x[i] + offset) * w[j * stride + i].
// The input byte is loaded and offset once for four weights.
inline void Dot4(const int8_t* x, const int8_t* w, int32_t stride, int32_t n, int32_t offset, uint32_t acc[4]) {
  uint32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  const int8_t* w0 = w;
  const int8_t* w1 = w0 + stride;
  const int8_t* w2 = w1 + stride;
  const int8_t* w3 = w2 + stride;
#ifdef CLEAVE_CORTEXM_DSP
  // Bytes 0 and 2, then 1 and 3, of four inputs and four weights as 16-bit pairs: SMLAD adds both
  // products of a pair at once. The pairing is the same on both sides, so the sum is the same.
  const int32_t pair = PairOf(offset);
  for (; n >= 4; n -= 4) {
    const uint32_t xv = Load32(x);
    x += 4;
    const int32_t xe = __sxtab16(pair, static_cast<int32_t>(xv));
    const int32_t xo = __sxtab16(pair, static_cast<int32_t>(Ror8(xv)));
    uint32_t v = Load32(w0);
    w0 += 4;
    a0 = static_cast<uint32_t>(__smlad(xe, __sxtb16(static_cast<int32_t>(v)), static_cast<int32_t>(a0)));
    a0 = static_cast<uint32_t>(__smlad(xo, __sxtb16(static_cast<int32_t>(Ror8(v))), static_cast<int32_t>(a0)));
    v = Load32(w1);
    w1 += 4;
    a1 = static_cast<uint32_t>(__smlad(xe, __sxtb16(static_cast<int32_t>(v)), static_cast<int32_t>(a1)));
    a1 = static_cast<uint32_t>(__smlad(xo, __sxtb16(static_cast<int32_t>(Ror8(v))), static_cast<int32_t>(a1)));
    v = Load32(w2);
    w2 += 4;
    a2 = static_cast<uint32_t>(__smlad(xe, __sxtb16(static_cast<int32_t>(v)), static_cast<int32_t>(a2)));
    a2 = static_cast<uint32_t>(__smlad(xo, __sxtb16(static_cast<int32_t>(Ror8(v))), static_cast<int32_t>(a2)));
    v = Load32(w3);
    w3 += 4;
    a3 = static_cast<uint32_t>(__smlad(xe, __sxtb16(static_cast<int32_t>(v)), static_cast<int32_t>(a3)));
    a3 = static_cast<uint32_t>(__smlad(xo, __sxtb16(static_cast<int32_t>(Ror8(v))), static_cast<int32_t>(a3)));
  }
#endif
  for (int32_t i = 0; i < n; ++i) {
    const int32_t xv = x[i] + offset;
    a0 += static_cast<uint32_t>(xv * w0[i]);
    a1 += static_cast<uint32_t>(xv * w1[i]);
    a2 += static_cast<uint32_t>(xv * w2[i]);
    a3 += static_cast<uint32_t>(xv * w3[i]);
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

// One dot product: acc + sum_i (x[i] + offset) * w[i].
inline uint32_t Dot1(const int8_t* x, const int8_t* w, int32_t n, int32_t offset, uint32_t acc) {
#ifdef CLEAVE_CORTEXM_DSP
  const int32_t pair = PairOf(offset);
  for (; n >= 4; n -= 4) {
    const uint32_t xv = Load32(x), v = Load32(w);
    x += 4;
    w += 4;
    acc = static_cast<uint32_t>(__smlad(__sxtab16(pair, static_cast<int32_t>(xv)), __sxtb16(static_cast<int32_t>(v)),
                                        static_cast<int32_t>(acc)));
    acc = static_cast<uint32_t>(__smlad(__sxtab16(pair, static_cast<int32_t>(Ror8(xv))),
                                        __sxtb16(static_cast<int32_t>(Ror8(v))), static_cast<int32_t>(acc)));
  }
#endif
  for (int32_t i = 0; i < n; ++i) acc += static_cast<uint32_t>((x[i] + offset) * w[i]);
  return acc;
}

}  // namespace

bool ConvPerChannel(const kernels::ConvParams& params, const int32_t* multiplier, const int32_t* shift,
                    const kernels::Shape& input_shape, const int8_t* input, const kernels::Shape& filter_shape,
                    const int8_t* filter, const int32_t* bias, const kernels::Shape& output_shape, int8_t* output) {
  // A local copy: the int8 output stores may alias anything, which would make the compiler reload
  // every parameter after each store.
  const kernels::ConvParams p = params;
  const int32_t batches = input_shape.dims[0], in_h = input_shape.dims[1], in_w = input_shape.dims[2];
  const int32_t depth = input_shape.dims[3];
  const int32_t filter_h = filter_shape.dims[1], filter_w = filter_shape.dims[2];
  const int32_t out_h = output_shape.dims[1], out_w = output_shape.dims[2], out_depth = output_shape.dims[3];
  if (filter_shape.dims[3] != depth || filter_shape.dims[0] != out_depth) return false;
  const int32_t filter_size = filter_h * filter_w * depth;  // one output channel's weights
  const int32_t in_row_size = in_w * depth;
  int8_t* out = output;
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t* in_batch = input + static_cast<int64_t>(b) * in_h * in_row_size;
    for (int32_t oy = 0; oy < out_h; ++oy) {
      const int32_t y0 = oy * p.stride_h - p.pad_top;
      int32_t ky0, ky1;
      TapRange(y0, p.dilation_h, filter_h, in_h, &ky0, &ky1);
      for (int32_t ox = 0; ox < out_w; ++ox) {
        const int32_t x0 = ox * p.stride_w - p.pad_left;
        int32_t kx0, kx1;
        TapRange(x0, p.dilation_w, filter_w, in_w, &kx0, &kx1);
        // With dilation 1 the taps of one filter row inside the input are one contiguous run.
        const bool contiguous = p.dilation_w == 1;
        const int32_t run = contiguous ? (kx1 - kx0) * depth : depth;
        const int32_t runs = contiguous ? (kx1 > kx0 ? 1 : 0) : kx1 - kx0;
        int32_t oc = 0;
        for (; oc + 4 <= out_depth; oc += 4) {
          uint32_t acc[4] = {BiasOf(bias, oc), BiasOf(bias, oc + 1), BiasOf(bias, oc + 2), BiasOf(bias, oc + 3)};
          const int8_t* f_oc = filter + static_cast<int64_t>(oc) * filter_size;
          for (int32_t ky = ky0; ky < ky1; ++ky) {
            const int8_t* in_row = in_batch + static_cast<int64_t>(y0 + p.dilation_h * ky) * in_row_size;
            const int8_t* f_row = f_oc + ky * filter_w * depth;
            for (int32_t r = 0, kx = kx0; r < runs; ++r, ++kx) {
              Dot4(in_row + (x0 + p.dilation_w * kx) * depth, f_row + kx * depth, filter_size, run, p.input_offset, acc);
            }
          }
          for (int32_t j = 0; j < 4; ++j) {
            out[oc + j] = Requantize(acc[j], multiplier[oc + j], shift[oc + j], p.output_offset, p.act_min, p.act_max);
          }
        }
        for (; oc < out_depth; ++oc) {
          uint32_t acc = BiasOf(bias, oc);
          const int8_t* f_oc = filter + static_cast<int64_t>(oc) * filter_size;
          for (int32_t ky = ky0; ky < ky1; ++ky) {
            const int8_t* in_row = in_batch + static_cast<int64_t>(y0 + p.dilation_h * ky) * in_row_size;
            const int8_t* f_row = f_oc + ky * filter_w * depth;
            for (int32_t r = 0, kx = kx0; r < runs; ++r, ++kx) {
              acc = Dot1(in_row + (x0 + p.dilation_w * kx) * depth, f_row + kx * depth, run, p.input_offset, acc);
            }
          }
          out[oc] = Requantize(acc, multiplier[oc], shift[oc], p.output_offset, p.act_min, p.act_max);
        }
        out += out_depth;
      }
    }
  }
  return true;
}

void DepthwiseConvPerChannel(const kernels::ConvParams& params, int32_t depth_multiplier, const int32_t* multiplier,
                             const int32_t* shift, const kernels::Shape& input_shape, const int8_t* input,
                             const kernels::Shape& filter_shape, const int8_t* filter, const int32_t* bias,
                             const kernels::Shape& output_shape, int8_t* output) {
  const kernels::ConvParams p = params;  // a local copy, as in ConvPerChannel
  const int32_t batches = input_shape.dims[0], in_h = input_shape.dims[1], in_w = input_shape.dims[2];
  const int32_t in_depth = input_shape.dims[3];
  const int32_t filter_h = filter_shape.dims[1], filter_w = filter_shape.dims[2];
  const int32_t out_h = output_shape.dims[1], out_w = output_shape.dims[2];
  const int32_t out_depth = in_depth * depth_multiplier;  // the filter's and the output's depth
  const int32_t in_row_size = in_w * in_depth;
  const int32_t input_offset = p.input_offset;
  int8_t* out = output;
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t* in_batch = input + static_cast<int64_t>(b) * in_h * in_row_size;
    for (int32_t oy = 0; oy < out_h; ++oy) {
      const int32_t y0 = oy * p.stride_h - p.pad_top;
      int32_t ky0, ky1;
      TapRange(y0, p.dilation_h, filter_h, in_h, &ky0, &ky1);
      for (int32_t ox = 0; ox < out_w; ++ox) {
        const int32_t x0 = ox * p.stride_w - p.pad_left;
        int32_t kx0, kx1;
        TapRange(x0, p.dilation_w, filter_w, in_w, &kx0, &kx1);
        int32_t oc = 0;
        if (depth_multiplier == 1) {
          // Four channels at a time: each tap's four inputs and four weights are adjacent.
          for (; oc + 4 <= out_depth; oc += 4) {
            uint32_t a0 = BiasOf(bias, oc), a1 = BiasOf(bias, oc + 1), a2 = BiasOf(bias, oc + 2), a3 = BiasOf(bias, oc + 3);
            for (int32_t ky = ky0; ky < ky1; ++ky) {
              const int8_t* x = in_batch + static_cast<int64_t>(y0 + p.dilation_h * ky) * in_row_size +
                                (x0 + p.dilation_w * kx0) * in_depth + oc;
              const int8_t* w = filter + (ky * filter_w + kx0) * out_depth + oc;
              const int32_t x_step = p.dilation_w * in_depth;
              for (int32_t kx = kx0; kx < kx1; ++kx, x += x_step, w += out_depth) {
#ifdef CLEAVE_CORTEXM_DSP
                const int32_t pair = PairOf(input_offset);
                const uint32_t xv = Load32(x), wv = Load32(w);
                const int32_t xe = __sxtab16(pair, static_cast<int32_t>(xv));
                const int32_t xo = __sxtab16(pair, static_cast<int32_t>(Ror8(xv)));
                const int32_t we = __sxtb16(static_cast<int32_t>(wv));
                const int32_t wo = __sxtb16(static_cast<int32_t>(Ror8(wv)));
                a0 = static_cast<uint32_t>(__smlabb(xe, we, static_cast<int32_t>(a0)));
                a1 = static_cast<uint32_t>(__smlabb(xo, wo, static_cast<int32_t>(a1)));
                a2 = static_cast<uint32_t>(__smlatt(xe, we, static_cast<int32_t>(a2)));
                a3 = static_cast<uint32_t>(__smlatt(xo, wo, static_cast<int32_t>(a3)));
#else
                a0 += static_cast<uint32_t>((x[0] + input_offset) * w[0]);
                a1 += static_cast<uint32_t>((x[1] + input_offset) * w[1]);
                a2 += static_cast<uint32_t>((x[2] + input_offset) * w[2]);
                a3 += static_cast<uint32_t>((x[3] + input_offset) * w[3]);
#endif
              }
            }
            out[oc] = Requantize(a0, multiplier[oc], shift[oc], p.output_offset, p.act_min, p.act_max);
            out[oc + 1] = Requantize(a1, multiplier[oc + 1], shift[oc + 1], p.output_offset, p.act_min, p.act_max);
            out[oc + 2] = Requantize(a2, multiplier[oc + 2], shift[oc + 2], p.output_offset, p.act_min, p.act_max);
            out[oc + 3] = Requantize(a3, multiplier[oc + 3], shift[oc + 3], p.output_offset, p.act_min, p.act_max);
          }
        }
        for (; oc < out_depth; ++oc) {
          const int32_t ic = oc / depth_multiplier;
          uint32_t acc = BiasOf(bias, oc);
          for (int32_t ky = ky0; ky < ky1; ++ky) {
            const int8_t* x = in_batch + static_cast<int64_t>(y0 + p.dilation_h * ky) * in_row_size +
                              (x0 + p.dilation_w * kx0) * in_depth + ic;
            const int8_t* w = filter + (ky * filter_w + kx0) * out_depth + oc;
            for (int32_t kx = kx0; kx < kx1; ++kx, x += p.dilation_w * in_depth, w += out_depth) {
              acc += static_cast<uint32_t>((*x + input_offset) * *w);
            }
          }
          out[oc] = Requantize(acc, multiplier[oc], shift[oc], p.output_offset, p.act_min, p.act_max);
        }
        out += out_depth;
      }
    }
  }
}

namespace {

// One row of FULLY_CONNECTED. A template on the multiplier layout keeps the per-tensor loop free of
// the per-channel one's loads and branches, so the compiler can hold its output stage in registers.
template <bool kPerChannel>
void FullyConnectedRow(const kernels::FullyConnectedParams& p, const int32_t* multiplier, const int32_t* shift,
                       int32_t accum_depth, int32_t output_depth, const int8_t* in_row, const int8_t* filter,
                       const int32_t* bias, int8_t* out) {
  const int32_t input_offset = p.input_offset, output_offset = p.output_offset, act_min = p.act_min, act_max = p.act_max;
  // Per-tensor weights share one multiplier and shift: work them out once.
  const Requantizer shared(multiplier[0], shift[0]);
  const auto stage = [&](uint32_t acc, int32_t oc) {
    return kPerChannel ? Requantize(acc, multiplier[oc], shift[oc], output_offset, act_min, act_max)
                       : Requantize(acc, shared, output_offset, act_min, act_max);
  };
  int32_t oc = 0;
  for (; oc + 4 <= output_depth; oc += 4, filter += 4 * accum_depth) {
    uint32_t acc[4] = {BiasOf(bias, oc), BiasOf(bias, oc + 1), BiasOf(bias, oc + 2), BiasOf(bias, oc + 3)};
    Dot4(in_row, filter, accum_depth, accum_depth, input_offset, acc);
    // Unrolled: the four results stay in registers instead of a loop over a spilled array.
    out[oc] = stage(acc[0], oc);
    out[oc + 1] = stage(acc[1], oc + 1);
    out[oc + 2] = stage(acc[2], oc + 2);
    out[oc + 3] = stage(acc[3], oc + 3);
  }
  for (; oc < output_depth; ++oc, filter += accum_depth) {
    const uint32_t acc = Dot1(in_row, filter, accum_depth, input_offset, BiasOf(bias, oc));
    out[oc] = kPerChannel ? Requantize(acc, multiplier[oc], shift[oc], output_offset, act_min, act_max)
                          : Requantize(acc, shared, output_offset, act_min, act_max);
  }
}

}  // namespace

void FullyConnected(const kernels::FullyConnectedParams& params, const int32_t* multiplier, const int32_t* shift,
                    int32_t batches, int32_t accum_depth, int32_t output_depth, const int8_t* input,
                    const int8_t* filter, const int32_t* bias, int8_t* output) {
  const kernels::FullyConnectedParams p = params;  // a local copy, as in ConvPerChannel
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t* in_row = input + b * accum_depth;
    int8_t* out = output + b * output_depth;
    if (p.per_channel) {
      FullyConnectedRow<true>(p, multiplier, shift, accum_depth, output_depth, in_row, filter, bias, out);
    } else {
      FullyConnectedRow<false>(p, multiplier, shift, accum_depth, output_depth, in_row, filter, bias, out);
    }
  }
}

bool AddInt8(const kernels::AddParams& params, int64_t count, const int8_t* input1, const int8_t* input2, int8_t* output) {
  const kernels::AddParams p = params;  // a local copy, as in ConvPerChannel
  if (p.left_shift < 0 || p.left_shift > 31) return false;
  // MultiplyByQuantizedMultiplierSmallerThanOneExp: a right shift only, never a left one.
  const Requantizer scale1(p.input1_multiplier, p.input1_shift < 0 ? p.input1_shift : 0);
  const Requantizer scale2(p.input2_multiplier, p.input2_shift < 0 ? p.input2_shift : 0);
  const Requantizer scale_out(p.output_multiplier, p.output_shift < 0 ? p.output_shift : 0);
  const int left_shift = p.left_shift;
  for (int64_t i = 0; i < count; ++i) {
    const int32_t shifted1 = static_cast<int32_t>(static_cast<uint32_t>(p.input1_offset + input1[i]) << left_shift);
    const int32_t shifted2 = static_cast<int32_t>(static_cast<uint32_t>(p.input2_offset + input2[i]) << left_shift);
    const int32_t sum = kernels::WrapAdd(scale1.Apply(shifted1), scale2.Apply(shifted2));
    output[i] = static_cast<int8_t>(kernels::Clamp(scale_out.Apply(sum) + p.output_offset, p.act_min, p.act_max));
  }
  return true;
}

}  // namespace cortexm
}  // namespace cleave
