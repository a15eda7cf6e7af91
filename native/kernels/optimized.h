// The optimized kernel set chosen once at load from the CPU's features (x86-64 AVX2, arm64 NEON,
// arm64 NEON with the dot-product extension). Each is tested equal to the scalar reference; the
// reference kernels stay the specification (see native/kernels/*.h).
//
// Weights are re-packed once at load into the layout each implementation wants; the packed blob
// also carries the bias with any input-offset correction folded in.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/add.h"
#include "kernels/conv.h"

namespace cleave {
namespace kernels {

// C[m][n] = clamp(MultiplyByQuantizedMultiplier(sum_k (A[m][k] + input_offset) * B[n][k] + bias[n],
//                 multiplier[n], shift[n]) + output_offset, act_min, act_max)
// with A int8 rows (stride lda), B int8 [n][k], C int8 rows (stride ldc): the arithmetic of
// TFLite's reference conv / fully connected, for every op that is a matrix product.
struct GemmArgs {
  const int8_t* a;
  int32_t lda;
  int32_t m, n, k;
  const void* packed_b;      // from pack_gemm_b with the same n, k, input_offset and output stage
  const int32_t* multiplier;  // n entries, or 1 when !per_channel
  const int32_t* shift;
  bool per_channel;
  int32_t output_offset, act_min, act_max;
  int8_t* c;
  int32_t ldc;
};

// A convolution whose matrix product reads its rows straight from the input (no int8 im2col rows):
// gemm describes the product (m = batches * out_h * out_w rows, n = out_c, k = kh * kw * in_c; its
// `a` and `lda` unused), the rest the geometry the rows are gathered with.
struct ConvArgs {
  GemmArgs gemm;
  ConvParams params;
  const Shape* input_shape;
  const Shape* output_shape;
  const int8_t* input;
  int32_t kernel_h, kernel_w;
};

struct DepthwiseArgs {
  ConvParams params;
  int32_t depth_multiplier;  // output channel c reads input channel c / depth_multiplier
  const Shape* input_shape;
  const int8_t* input;
  int32_t kernel_h, kernel_w;
  const void* packed_filter;  // from pack_depthwise, bias folded in
  const int32_t* multiplier;
  const int32_t* shift;
  const Shape* output_shape;
  int8_t* output;
};

struct OptimizedKernels {
  const char* name;
  // Rows of A are processed in groups of this many; threads split work at group boundaries.
  int32_t gemm_row_block;
  size_t (*gemm_packed_size)(int32_t n, int32_t k);
  // Implementations may copy the output stage (multipliers, shifts) into the blob in their own form,
  // and choose among forms of the product by its shape: `m` is the rows of A per call. `packed` is
  // 64-byte aligned (the avx512-vnni set loads its weights as aligned 512-bit vectors).
  void (*pack_gemm_b)(const int8_t* b, const int32_t* bias, const int32_t* multiplier, const int32_t* shift,
                      bool per_channel, int32_t m, int32_t n, int32_t k, int32_t input_offset, void* packed);
  // Rows [m_begin, m_end) of C.
  void (*gemm)(const GemmArgs& args, int32_t m_begin, int32_t m_end);
  // Depthwise convolution, any depth multiplier; `channels` counts output channels.
  size_t (*depthwise_packed_size)(int32_t kernel_h, int32_t kernel_w, int32_t channels);
  void (*pack_depthwise)(const int8_t* filter, const int32_t* bias, const int32_t* multiplier, const int32_t* shift,
                         int32_t kernel_h, int32_t kernel_w, int32_t channels, void* packed);
  // Output rows [oy_begin, oy_end) of batch b.
  void (*depthwise)(const DepthwiseArgs& args, int32_t batch, int32_t oy_begin, int32_t oy_end);
  // ADD of two int8 tensors of the same shape (no broadcasting), elements [0, count); null when the
  // set has none (the reference kernel runs).
  void (*add_int8)(const AddParams& p, int64_t count, const int8_t* input1, const int8_t* input2, int8_t* output);
  // Which implementation runs, for reports (e.g. "gemm-u8s8", "depthwise-3x3"): of a matrix product
  // from its packed blob, of a depthwise convolution from its shape. Null when the set has one form
  // ("gemm", "depthwise").
  const char* (*gemm_variant)(const void* packed);
  const char* (*depthwise_variant)(int32_t kernel_h, int32_t kernel_w, int32_t dilation_h, int32_t dilation_w,
                                   int32_t depth_multiplier);
  // Direct convolution, chosen at load per layer: the implementation's name (e.g. "direct-s16")
  // when `conv` can run the layer packed by pack_gemm_b, null when it takes im2col rows and `gemm`.
  // `layer` holds the layer's shapes, params, kernel size and gemm.packed_b, n and k (the form
  // can depend on them all); its data pointers are null. Both null in sets without one.
  const char* (*conv_variant)(const ConvArgs& layer);
  // Output pixels [m_begin, m_end) of a convolution (flattened batch, row, column).
  void (*conv)(const ConvArgs& args, int32_t m_begin, int32_t m_end);
};

// Each implementation, or null where this build's architecture has none. Sessions choose among
// them by the CPU's run-time features (native/addon/session_core.cc).
const OptimizedKernels* Avx2Kernels();
const OptimizedKernels* Avx512VnniKernels();
const OptimizedKernels* NeonKernels();
const OptimizedKernels* NeonDotKernels();

}  // namespace kernels
}  // namespace cleave
