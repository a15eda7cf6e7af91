#include "kernels/quantize.h"

#include <cmath>

namespace cleave {
namespace kernels {
namespace {

// static_cast<int32_t> of a float that does not fit is undefined behaviour; TFLite's golden data
// come from x86-64, where the conversion yields INT32_MIN ("integer indefinite"). Reproduce that
// so NaN and huge inputs give the same bytes on every target.
inline int32_t FloatToInt32(float v) {
  if (!(v >= -2147483648.0f && v < 2147483648.0f)) return INT32_MIN;
  return static_cast<int32_t>(v);
}

template <typename OutT>
void AffineQuantize(int64_t n, const float* in, float scale, int32_t zero_point, OutT* out,
                    int32_t lo, int32_t hi) {
  for (int64_t i = 0; i < n; ++i) {
    const int32_t unclamped = WrapAdd(FloatToInt32(std::round(in[i] / scale)), zero_point);
    out[i] = static_cast<OutT>(Clamp(unclamped, lo, hi));
  }
}

template <typename InT, typename OutT>
void Requantize(const RequantizeParams& p, int64_t n, const InT* in, OutT* out, int32_t lo,
                int32_t hi) {
  // TFLite short-cuts equal-scale int8 <-> uint8 with a sign-bit flip; the general path below
  // produces the same bytes in that case (the multiplier is exactly 1), so it needs no branch.
  for (int64_t i = 0; i < n; ++i) {
    const int32_t x = WrapSub(static_cast<int32_t>(in[i]), p.input_zero_point);
    const int32_t y = WrapAdd(MultiplyByQuantizedMultiplier(x, p.multiplier, p.shift),
                              p.output_zero_point);
    int32_t v = y < hi ? y : hi;
    v = v > lo ? v : lo;
    out[i] = static_cast<OutT>(v);
  }
}

template <typename InT>
void Dequantize(int64_t n, const InT* in, double scale, int32_t zero_point, float* out) {
  const float s = static_cast<float>(scale);
  for (int64_t i = 0; i < n; ++i) {
    out[i] = s * static_cast<float>(static_cast<int32_t>(in[i]) - zero_point);
  }
}

}  // namespace

void QuantizeFloatToInt8(int64_t n, const float* in, float scale, int32_t zero_point, int8_t* out) {
  AffineQuantize(n, in, scale, zero_point, out, INT8_MIN, INT8_MAX);
}
void QuantizeFloatToUint8(int64_t n, const float* in, float scale, int32_t zero_point,
                          uint8_t* out) {
  AffineQuantize(n, in, scale, zero_point, out, 0, UINT8_MAX);
}
void QuantizeFloatToInt16(int64_t n, const float* in, float scale, int32_t zero_point,
                          int16_t* out) {
  AffineQuantize(n, in, scale, zero_point, out, INT16_MIN, INT16_MAX);
}

void RequantizeInt8ToInt8(const RequantizeParams& p, int64_t n, const int8_t* in, int8_t* out) {
  Requantize(p, n, in, out, INT8_MIN, INT8_MAX);
}
void RequantizeInt8ToUint8(const RequantizeParams& p, int64_t n, const int8_t* in, uint8_t* out) {
  Requantize(p, n, in, out, 0, UINT8_MAX);
}
void RequantizeInt8ToInt16(const RequantizeParams& p, int64_t n, const int8_t* in, int16_t* out) {
  Requantize(p, n, in, out, INT16_MIN, INT16_MAX);
}
void RequantizeInt8ToInt32(const RequantizeParams& p, int64_t n, const int8_t* in, int32_t* out) {
  Requantize(p, n, in, out, INT32_MIN, INT32_MAX);
}
void RequantizeUint8ToInt8(const RequantizeParams& p, int64_t n, const uint8_t* in, int8_t* out) {
  Requantize(p, n, in, out, INT8_MIN, INT8_MAX);
}
void RequantizeInt16ToInt8(const RequantizeParams& p, int64_t n, const int16_t* in, int8_t* out) {
  Requantize(p, n, in, out, INT8_MIN, INT8_MAX);
}
void RequantizeInt16ToInt16(const RequantizeParams& p, int64_t n, const int16_t* in, int16_t* out) {
  Requantize(p, n, in, out, INT16_MIN, INT16_MAX);
}
void RequantizeInt16ToInt32(const RequantizeParams& p, int64_t n, const int16_t* in, int32_t* out) {
  Requantize(p, n, in, out, INT32_MIN, INT32_MAX);
}
void RequantizeInt32ToInt8(const RequantizeParams& p, int64_t n, const int32_t* in, int8_t* out) {
  Requantize(p, n, in, out, INT8_MIN, INT8_MAX);
}
void RequantizeInt32ToInt16(const RequantizeParams& p, int64_t n, const int32_t* in, int16_t* out) {
  Requantize(p, n, in, out, INT16_MIN, INT16_MAX);
}

void DequantizeInt8(int64_t n, const int8_t* in, double scale, int32_t zero_point, float* out) {
  Dequantize(n, in, scale, zero_point, out);
}
void DequantizeUint8(int64_t n, const uint8_t* in, double scale, int32_t zero_point, float* out) {
  Dequantize(n, in, scale, zero_point, out);
}
void DequantizeInt16(int64_t n, const int16_t* in, double scale, int32_t zero_point, float* out) {
  Dequantize(n, in, scale, zero_point, out);
}

}  // namespace kernels
}  // namespace cleave
