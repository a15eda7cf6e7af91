// QUANTIZE and DEQUANTIZE between float32, int8, uint8, int16 and int32: TFLite's AffineQuantize,
// Requantize and Dequantize reference functions as TFLite Micro's quantize/dequantize kernels
// call them.
#pragma once
#include "kernels/common.h"

namespace cleave {
namespace kernels {

// float -> intN: round(x / float(scale)) + zero_point (round half away from zero, in float),
// clamped to the output type.
void QuantizeFloatToInt8(int64_t n, const float* in, float scale, int32_t zero_point, int8_t* out);
void QuantizeFloatToUint8(int64_t n, const float* in, float scale, int32_t zero_point,
                          uint8_t* out);
void QuantizeFloatToInt16(int64_t n, const float* in, float scale, int32_t zero_point,
                          int16_t* out);

// intN -> intM requantization: MultiplyByQuantizedMultiplier(x - in_zp, m, s) + out_zp, clamped
// to the output type. multiplier/shift = QuantizeMultiplier(double(in_scale) / double(out_scale)).
struct RequantizeParams {
  int32_t input_zero_point, output_zero_point;
  int32_t multiplier, shift;
};
void RequantizeInt8ToInt8(const RequantizeParams& p, int64_t n, const int8_t* in, int8_t* out);
void RequantizeInt8ToUint8(const RequantizeParams& p, int64_t n, const int8_t* in, uint8_t* out);
void RequantizeInt8ToInt16(const RequantizeParams& p, int64_t n, const int8_t* in, int16_t* out);
void RequantizeInt8ToInt32(const RequantizeParams& p, int64_t n, const int8_t* in, int32_t* out);
void RequantizeUint8ToInt8(const RequantizeParams& p, int64_t n, const uint8_t* in, int8_t* out);
void RequantizeInt16ToInt8(const RequantizeParams& p, int64_t n, const int16_t* in, int8_t* out);
void RequantizeInt16ToInt16(const RequantizeParams& p, int64_t n, const int16_t* in, int16_t* out);
void RequantizeInt16ToInt32(const RequantizeParams& p, int64_t n, const int16_t* in, int32_t* out);
void RequantizeInt32ToInt8(const RequantizeParams& p, int64_t n, const int32_t* in, int8_t* out);
void RequantizeInt32ToInt16(const RequantizeParams& p, int64_t n, const int32_t* in, int16_t* out);

// intN -> float: float(scale) * float(x - zero_point), one float multiply as TFLite does. A
// double `scale` that came from a float32 model field gives the same bits as TFLite's older
// double multiply: the exact product of a float and a 17-bit integer rounds once either way.
void DequantizeInt8(int64_t n, const int8_t* in, double scale, int32_t zero_point, float* out);
void DequantizeUint8(int64_t n, const uint8_t* in, double scale, int32_t zero_point, float* out);
void DequantizeInt16(int64_t n, const int16_t* in, double scale, int32_t zero_point, float* out);

}  // namespace kernels
}  // namespace cleave
