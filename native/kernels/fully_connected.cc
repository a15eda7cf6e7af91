#include "kernels/fully_connected.h"

namespace cleave {
namespace kernels {

void FullyConnected(const FullyConnectedParams& p, const int32_t* multiplier, const int32_t* shift,
                    int32_t batches, int32_t accum_depth, int32_t output_depth, const int8_t* input,
                    const int8_t* filter, const int32_t* bias, int8_t* output) {
  // TFLite's per-channel kernel assumes symmetric weights and ignores the filter zero point;
  // its per-tensor kernel still honours it for old asymmetric models.
  const int32_t filter_offset = p.per_channel ? 0 : p.filter_offset;
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t* in_row = input + static_cast<int64_t>(b) * accum_depth;
    for (int32_t oc = 0; oc < output_depth; ++oc) {
      const int8_t* f_row = filter + static_cast<int64_t>(oc) * accum_depth;
      int32_t acc = 0;
      for (int32_t d = 0; d < accum_depth; ++d) {
        acc += (static_cast<int32_t>(f_row[d]) + filter_offset) *
               (static_cast<int32_t>(in_row[d]) + p.input_offset);
      }
      if (bias != nullptr) acc += bias[oc];
      const int ch = p.per_channel ? oc : 0;
      output[static_cast<int64_t>(b) * output_depth + oc] = static_cast<int8_t>(
          RequantizeAccumulator(acc, multiplier[ch], shift[ch], p.output_offset, p.act_min, p.act_max));
    }
  }
}

void FullyConnectedInt16(const FullyConnectedParams& p, const int32_t* multiplier,
                         const int32_t* shift, int32_t batches, int32_t accum_depth,
                         int32_t output_depth, const int16_t* input, const int8_t* filter,
                         const int64_t* bias, int16_t* output) {
  const int32_t filter_offset = p.per_channel ? 0 : p.filter_offset;
  for (int32_t b = 0; b < batches; ++b) {
    const int16_t* in_row = input + static_cast<int64_t>(b) * accum_depth;
    for (int32_t oc = 0; oc < output_depth; ++oc) {
      const int8_t* f_row = filter + static_cast<int64_t>(oc) * accum_depth;
      int64_t acc = 0;
      for (int32_t d = 0; d < accum_depth; ++d) {
        // The product is formed in int32 (it cannot overflow: |w| <= 255, |x| <= 32768) and then
        // widened, which is what TFLite's `acc += filter_val * input_val` does.
        acc += (static_cast<int32_t>(f_row[d]) + filter_offset) * static_cast<int32_t>(in_row[d]);
      }
      if (bias != nullptr) acc += bias[oc];
      const int ch = p.per_channel ? oc : 0;
      const int32_t scaled = MultiplyByQuantizedMultiplier(acc, multiplier[ch], shift[ch]);
      output[static_cast<int64_t>(b) * output_depth + oc] =
          static_cast<int16_t>(Clamp(scaled, p.act_min, p.act_max));
    }
  }
}

}  // namespace kernels
}  // namespace cleave
