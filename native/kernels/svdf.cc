#include "kernels/svdf.h"

namespace cleave {
namespace kernels {
namespace {

template <typename T>
void Svdf(const SvdfParams& p, const int8_t* input, const int8_t* weights_feature,
          const T* weights_time, const int32_t* bias, T* state, int8_t* output, int32_t* scratch,
          int32_t* scratch_output, int32_t state_min, int32_t state_max) {
  const int32_t n_batch = p.batch_size;
  const int32_t n_input = p.input_size;
  const int32_t n_filter = p.num_filters;
  const int32_t n_unit = p.num_units;
  const int32_t n_memory = p.memory_size;
  const int32_t n_rank = p.rank;
  const int64_t state_len = static_cast<int64_t>(n_batch) * n_filter * n_memory;

  // Shift the whole state buffer left by one element. Each filter's oldest value drops out; its
  // newest slot receives the next filter's oldest value, which the projection below overwrites.
  for (int64_t i = 0; i + 1 < state_len; ++i) state[i] = state[i + 1];

  // Feature projection into the newest slot of every filter. TFLite Micro adds the state zero
  // point before saturating to the state type, so the stored value never wraps.
  T* newest = state + (n_memory - 1);
  for (int32_t b = 0; b < n_batch; ++b) {
    const int8_t* in_row = input + static_cast<int64_t>(b) * n_input;
    const int8_t* w = weights_feature;
    for (int32_t f = 0; f < n_filter; ++f) {
      int32_t dot = 0;
      for (int32_t c = 0; c < n_input; ++c) {
        dot += static_cast<int32_t>(*w++) * (static_cast<int32_t>(in_row[c]) - p.input_zero_point);
      }
      dot = MultiplyByQuantizedMultiplier(dot, p.effective_scale_1_a, p.effective_scale_1_b);
      dot = Clamp(p.state_zero_point + dot, state_min, state_max);
      *newest = static_cast<T>(dot);
      newest += n_memory;
    }
  }

  // Time projection: each filter's memory dotted with its time weights.
  for (int32_t b = 0; b < n_batch; ++b) {
    int32_t* s = scratch + static_cast<int64_t>(b) * n_filter;
    const T* wt = weights_time;
    const T* st = state + static_cast<int64_t>(b) * n_memory * n_filter;
    for (int32_t f = 0; f < n_filter; ++f) {
      int32_t acc = 0;
      for (int32_t j = 0; j < n_memory; ++j) {
        acc += static_cast<int32_t>(*wt++) * (static_cast<int32_t>(*st++) - p.state_zero_point);
      }
      s[f] = acc;
    }
  }

  // Bias, then the sum over the rank filters of each unit.
  for (int32_t b = 0; b < n_batch; ++b) {
    int32_t* out = scratch_output + static_cast<int64_t>(b) * n_unit;
    const int32_t* s = scratch + static_cast<int64_t>(b) * n_filter;
    for (int32_t u = 0; u < n_unit; ++u) {
      int32_t acc = bias != nullptr ? bias[u] : 0;
      for (int32_t r = 0; r < n_rank; ++r) acc += *s++;
      out[u] = acc;
    }
  }

  // Requantize to int8. No fused activation here: TFLite Micro clamps to [-128, 127] only.
  for (int64_t i = 0; i < static_cast<int64_t>(n_batch) * n_unit; ++i) {
    const int32_t scaled = MultiplyByQuantizedMultiplier(scratch_output[i], p.effective_scale_2_a,
                                                         p.effective_scale_2_b);
    output[i] = static_cast<int8_t>(Clamp(scaled + p.output_zero_point, INT8_MIN, INT8_MAX));
  }
}

}  // namespace

void SvdfInt8(const SvdfParams& p, const int8_t* input, const int8_t* weights_feature,
              const int16_t* weights_time, const int32_t* bias, int16_t* state, int8_t* output,
              int32_t* scratch, int32_t* scratch_output) {
  Svdf<int16_t>(p, input, weights_feature, weights_time, bias, state, output, scratch,
                scratch_output, INT16_MIN, INT16_MAX);
}

void SvdfInt8StateInt8(const SvdfParams& p, const int8_t* input, const int8_t* weights_feature,
                       const int8_t* weights_time, const int32_t* bias, int8_t* state,
                       int8_t* output, int32_t* scratch, int32_t* scratch_output) {
  Svdf<int8_t>(p, input, weights_feature, weights_time, bias, state, output, scratch,
               scratch_output, INT8_MIN, INT8_MAX);
}

}  // namespace kernels
}  // namespace cleave
