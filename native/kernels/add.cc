#include "kernels/add.h"

namespace cleave {
namespace kernels {
namespace {

// One output element, as TFLite's AddFunc / AddElementwise compute it: both inputs are lifted
// by 2^left_shift so the rescale to the common scale keeps fractional bits, summed, then scaled
// to the output. Every step is MultiplyByQuantizedMultiplierSmallerThanOneExp (double rounding).
inline int32_t AddOne(const AddParams& p, int32_t x1, int32_t x2) {
  const int32_t shifted1 = WrapMul(p.input1_offset + x1, static_cast<int32_t>(1u << p.left_shift));
  const int32_t shifted2 = WrapMul(p.input2_offset + x2, static_cast<int32_t>(1u << p.left_shift));
  const int32_t scaled1 =
      MultiplyByQuantizedMultiplierSmallerThanOneExp(shifted1, p.input1_multiplier, p.input1_shift);
  const int32_t scaled2 =
      MultiplyByQuantizedMultiplierSmallerThanOneExp(shifted2, p.input2_multiplier, p.input2_shift);
  const int32_t raw_out = MultiplyByQuantizedMultiplierSmallerThanOneExp(
                              WrapAdd(scaled1, scaled2), p.output_multiplier, p.output_shift) +
                          p.output_offset;
  return Clamp(raw_out, p.act_min, p.act_max);
}

// NdArrayDesc semantics: an input whose extent is 1 along a dimension the output spans gets
// stride 0 there, so the same element is reused. Same-shape inputs take the same loop with
// ordinary strides, which gives exactly TFLite's element-wise result.
template <typename T>
void AddBroadcast(const AddParams& p, const Shape& s1, const T* in1, const Shape& s2,
                  const T* in2, const Shape& so, T* out) {
  int64_t stride1[4], stride2[4];
  int64_t st1 = 1, st2 = 1;
  for (int d = 3; d >= 0; --d) {
    stride1[d] = (s1.dims[d] == 1 && so.dims[d] != 1) ? 0 : st1;
    stride2[d] = (s2.dims[d] == 1 && so.dims[d] != 1) ? 0 : st2;
    st1 *= s1.dims[d];
    st2 *= s2.dims[d];
  }
  int64_t o = 0;
  for (int32_t i0 = 0; i0 < so.dims[0]; ++i0) {
    for (int32_t i1 = 0; i1 < so.dims[1]; ++i1) {
      for (int32_t i2 = 0; i2 < so.dims[2]; ++i2) {
        const int64_t base1 = i0 * stride1[0] + i1 * stride1[1] + i2 * stride1[2];
        const int64_t base2 = i0 * stride2[0] + i1 * stride2[1] + i2 * stride2[2];
        for (int32_t i3 = 0; i3 < so.dims[3]; ++i3) {
          out[o++] = static_cast<T>(
              AddOne(p, in1[base1 + i3 * stride1[3]], in2[base2 + i3 * stride2[3]]));
        }
      }
    }
  }
}

}  // namespace

void AddInt8(const AddParams& p, const Shape& input1_shape, const int8_t* input1,
             const Shape& input2_shape, const int8_t* input2, const Shape& output_shape,
             int8_t* output) {
  AddBroadcast(p, input1_shape, input1, input2_shape, input2, output_shape, output);
}

void AddInt16(const AddParams& p, const Shape& input1_shape, const int16_t* input1,
              const Shape& input2_shape, const int16_t* input2, const Shape& output_shape,
              int16_t* output) {
  AddBroadcast(p, input1_shape, input1, input2_shape, input2, output_shape, output);
}

}  // namespace kernels
}  // namespace cleave
