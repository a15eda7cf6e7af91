#include "kernels/mean.h"

namespace cleave {
namespace kernels {
namespace {

int FloorLog2(uint64_t v) {
  int n = -1;
  while (v != 0) {
    v >>= 1;
    ++n;
  }
  return n;
}

template <typename T>
void Mean(const MeanParams& p, const Shape& is, const T* input, T* output, int32_t* temp_sum,
          int32_t lo, int32_t hi) {
  bool reduced[4] = {false, false, false, false};
  for (int32_t i = 0; i < p.num_axes && i < 4; ++i) {
    if (p.axes[i] >= 0 && p.axes[i] < 4) reduced[p.axes[i]] = true;
  }
  int64_t count = 1;
  int32_t od[4];
  for (int d = 0; d < 4; ++d) {
    od[d] = reduced[d] ? 1 : is.dims[d];
    if (reduced[d]) count *= is.dims[d];
  }
  const int64_t num_outputs = static_cast<int64_t>(od[0]) * od[1] * od[2] * od[3];
  for (int64_t i = 0; i < num_outputs; ++i) {
    temp_sum[i] = 0;
    output[i] = 0;
  }
  if (is.dims[0] == 0 || is.dims[1] == 0 || is.dims[2] == 0 || is.dims[3] == 0) return;

  // Integer sums are order-independent, so a plain row-major walk matches TFLite's Reduce.
  int64_t in = 0;
  for (int32_t i0 = 0; i0 < is.dims[0]; ++i0) {
    for (int32_t i1 = 0; i1 < is.dims[1]; ++i1) {
      for (int32_t i2 = 0; i2 < is.dims[2]; ++i2) {
        for (int32_t i3 = 0; i3 < is.dims[3]; ++i3, ++in) {
          const int64_t o = ((static_cast<int64_t>(reduced[0] ? 0 : i0) * od[1] +
                              (reduced[1] ? 0 : i1)) * od[2] + (reduced[2] ? 0 : i2)) * od[3] +
                            (reduced[3] ? 0 : i3);
          temp_sum[o] = WrapAdd(temp_sum[o], input[in]);
        }
      }
    }
  }
  if (count == 0) return;

  // Fold 1/count into the multiplier: scale it up by 2^shift (shift = floor(log2(count)), capped
  // so the int64 product cannot overflow and the final shift stays >= -31), divide by count with
  // truncation, and compensate in the exponent.
  int fold = FloorLog2(static_cast<uint64_t>(count));
  if (fold > 32) fold = 32;
  if (fold > 31 + p.shift) fold = 31 + p.shift;
  if (fold < 0) fold = 0;
  const int32_t multiplier =
      static_cast<int32_t>((static_cast<int64_t>(p.multiplier) << fold) / count);
  const int shift = p.shift - fold;
  for (int64_t i = 0; i < num_outputs; ++i) {
    const int32_t shifted_sum =
        static_cast<int32_t>(temp_sum[i] - static_cast<int64_t>(p.input_zero_point) * count);
    const int32_t v = WrapAdd(MultiplyByQuantizedMultiplier(shifted_sum, multiplier, shift),
                              p.output_zero_point);
    output[i] = static_cast<T>(Clamp(v, lo, hi));
  }
}

}  // namespace

void MeanInt8(const MeanParams& p, const Shape& input_shape, const int8_t* input,
              const Shape& output_shape, int8_t* output, int32_t* temp_sum) {
  (void)output_shape;  // implied by the input shape and the axes
  Mean(p, input_shape, input, output, temp_sum, INT8_MIN, INT8_MAX);
}

void MeanInt16(const MeanParams& p, const Shape& input_shape, const int16_t* input,
               const Shape& output_shape, int16_t* output, int32_t* temp_sum) {
  (void)output_shape;
  Mean(p, input_shape, input, output, temp_sum, INT16_MIN, INT16_MAX);
}

}  // namespace kernels
}  // namespace cleave
