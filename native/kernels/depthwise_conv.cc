#include "kernels/depthwise_conv.h"

namespace cleave {
namespace kernels {

void DepthwiseConvPerChannel(const ConvParams& p, int32_t depth_multiplier,
                             const int32_t* multiplier, const int32_t* shift,
                             const Shape& input_shape, const int8_t* input,
                             const Shape& filter_shape, const int8_t* filter, const int32_t* bias,
                             const Shape& output_shape, int8_t* output) {
  const int32_t batches = input_shape.dims[0];
  const int32_t in_h = input_shape.dims[1];
  const int32_t in_w = input_shape.dims[2];
  const int32_t in_depth = input_shape.dims[3];
  const int32_t filter_h = filter_shape.dims[1];
  const int32_t filter_w = filter_shape.dims[2];
  const int32_t out_h = output_shape.dims[1];
  const int32_t out_w = output_shape.dims[2];

  for (int32_t b = 0; b < batches; ++b) {
    for (int32_t oy = 0; oy < out_h; ++oy) {
      const int32_t in_y0 = oy * p.stride_h - p.pad_top;
      for (int32_t ox = 0; ox < out_w; ++ox) {
        const int32_t in_x0 = ox * p.stride_w - p.pad_left;
        for (int32_t ic = 0; ic < in_depth; ++ic) {
          for (int32_t m = 0; m < depth_multiplier; ++m) {
            const int32_t oc = ic * depth_multiplier + m;
            int32_t acc = 0;
            for (int32_t ky = 0; ky < filter_h; ++ky) {
              const int32_t iy = in_y0 + p.dilation_h * ky;
              for (int32_t kx = 0; kx < filter_w; ++kx) {
                const int32_t ix = in_x0 + p.dilation_w * kx;
                // Out-of-image taps are skipped, as in TFLite, not summed as zero points.
                if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) continue;
                const int32_t in_v = input[Offset(input_shape, b, iy, ix, ic)];
                const int32_t f_v = filter[Offset(filter_shape, 0, ky, kx, oc)];
                acc += f_v * (in_v + p.input_offset);
              }
            }
            if (bias != nullptr) acc += bias[oc];
            output[Offset(output_shape, b, oy, ox, oc)] = static_cast<int8_t>(
                RequantizeAccumulator(acc, multiplier[oc], shift[oc], p.output_offset, p.act_min, p.act_max));
          }
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace cleave
