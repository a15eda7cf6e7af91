#include "kernels/pooling.h"

namespace cleave {
namespace kernels {
namespace {

// The part of the filter window that lies inside the input, in filter coordinates.
struct Window {
  int32_t y_start, y_end, x_start, x_end;
};

inline Window Clip(const PoolParams& p, int32_t in_y0, int32_t in_x0, int32_t in_h, int32_t in_w) {
  Window w;
  w.y_start = in_y0 < 0 ? -in_y0 : 0;
  w.y_end = p.filter_h < in_h - in_y0 ? p.filter_h : in_h - in_y0;
  w.x_start = in_x0 < 0 ? -in_x0 : 0;
  w.x_end = p.filter_w < in_w - in_x0 ? p.filter_w : in_w - in_x0;
  return w;
}

template <typename T>
bool AveragePool(const PoolParams& p, const Shape& is, const T* input, const Shape& os, T* output) {
  for (int32_t b = 0; b < is.dims[0]; ++b) {
    for (int32_t oy = 0; oy < os.dims[1]; ++oy) {
      for (int32_t ox = 0; ox < os.dims[2]; ++ox) {
        const int32_t in_y0 = oy * p.stride_h - p.pad_top;
        const int32_t in_x0 = ox * p.stride_w - p.pad_left;
        const Window w = Clip(p, in_y0, in_x0, is.dims[1], is.dims[2]);
        for (int32_t c = 0; c < is.dims[3]; ++c) {
          int32_t acc = 0;
          int32_t count = 0;
          for (int32_t fy = w.y_start; fy < w.y_end; ++fy) {
            for (int32_t fx = w.x_start; fx < w.x_end; ++fx) {
              acc += input[Offset(is, b, in_y0 + fy, in_x0 + fx, c)];
              ++count;
            }
          }
          if (count == 0) return false;
          // C++ division truncates toward zero, so adding half the divisor away from zero
          // rounds ties away from zero: 5/2 -> 3, -5/2 -> -3.
          acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          output[Offset(os, b, oy, ox, c)] = static_cast<T>(Clamp(acc, p.act_min, p.act_max));
        }
      }
    }
  }
  return true;
}

template <typename T>
void MaxPool(const PoolParams& p, const Shape& is, const T* input, const Shape& os, T* output,
             int32_t lowest) {
  for (int32_t b = 0; b < is.dims[0]; ++b) {
    for (int32_t oy = 0; oy < os.dims[1]; ++oy) {
      for (int32_t ox = 0; ox < os.dims[2]; ++ox) {
        const int32_t in_y0 = oy * p.stride_h - p.pad_top;
        const int32_t in_x0 = ox * p.stride_w - p.pad_left;
        const Window w = Clip(p, in_y0, in_x0, is.dims[1], is.dims[2]);
        for (int32_t c = 0; c < is.dims[3]; ++c) {
          // An empty window yields the type's lowest value (then clamped), as in TFLite.
          int32_t m = lowest;
          for (int32_t fy = w.y_start; fy < w.y_end; ++fy) {
            for (int32_t fx = w.x_start; fx < w.x_end; ++fx) {
              const int32_t v = input[Offset(is, b, in_y0 + fy, in_x0 + fx, c)];
              if (v > m) m = v;
            }
          }
          output[Offset(os, b, oy, ox, c)] = static_cast<T>(Clamp(m, p.act_min, p.act_max));
        }
      }
    }
  }
}

}  // namespace

bool AveragePoolInt8(const PoolParams& p, const Shape& input_shape, const int8_t* input,
                     const Shape& output_shape, int8_t* output) {
  return AveragePool(p, input_shape, input, output_shape, output);
}

bool AveragePoolInt16(const PoolParams& p, const Shape& input_shape, const int16_t* input,
                      const Shape& output_shape, int16_t* output) {
  return AveragePool(p, input_shape, input, output_shape, output);
}

void MaxPoolInt8(const PoolParams& p, const Shape& input_shape, const int8_t* input,
                 const Shape& output_shape, int8_t* output) {
  MaxPool(p, input_shape, input, output_shape, output, INT8_MIN);
}

void MaxPoolInt16(const PoolParams& p, const Shape& input_shape, const int16_t* input,
                  const Shape& output_shape, int16_t* output) {
  MaxPool(p, input_shape, input, output_shape, output, INT16_MIN);
}

}  // namespace kernels
}  // namespace cleave
