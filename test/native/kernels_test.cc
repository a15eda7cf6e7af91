// Hand-computed cases for the scalar reference kernels in native/kernels. Each case states its
// arithmetic next to the expected bytes, so a failure points at the rule that broke (rounding
// direction, padding, broadcasting, ...). Prints TAP-style `ok N - name` / `not ok N - name`
// lines and exits non-zero if any case fails. Built and run by test/native/kernels.test.ts.
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "kernels/add.h"
#include "kernels/common.h"
#include "kernels/concatenation.h"
#include "kernels/conv.h"
#include "kernels/depthwise_conv.h"
#include "kernels/fully_connected.h"
#include "kernels/mean.h"
#include "kernels/pad.h"
#include "kernels/pooling.h"
#include "kernels/quantize.h"
#include "kernels/softmax.h"
#include "kernels/svdf.h"

using namespace cleave::kernels;

namespace {

int g_case = 0;
int g_failed = 0;

void Report(bool pass, const char* name) {
  ++g_case;
  if (pass) {
    std::printf("ok %d - %s\n", g_case, name);
  } else {
    std::printf("not ok %d - %s\n", g_case, name);
    ++g_failed;
  }
}

void ExpectInt(const char* name, int64_t got, int64_t want) {
  if (got != want) {
    std::printf("# %s: got %lld, want %lld\n", name, static_cast<long long>(got),
                static_cast<long long>(want));
  }
  Report(got == want, name);
}

template <typename T>
void ExpectArray(const char* name, const T* got, const T* want, int n) {
  bool pass = true;
  for (int i = 0; i < n; ++i) {
    if (got[i] != want[i]) {
      std::printf("# %s: [%d] got %lld, want %lld\n", name, i, static_cast<long long>(got[i]),
                  static_cast<long long>(want[i]));
      pass = false;
    }
  }
  Report(pass, name);
}

Shape MakeShape(int32_t d0, int32_t d1, int32_t d2, int32_t d3, int32_t rank = 4) {
  Shape s;
  s.rank = rank;
  s.dims[0] = d0;
  s.dims[1] = d1;
  s.dims[2] = d2;
  s.dims[3] = d3;
  return s;
}

constexpr int32_t kHalf = 1 << 30;  // Q31 multiplier 0.5; with shift 1 it means x1.

void TestFixedPoint() {
  // SaturatingRoundingDoublingHighMul rounds half UP (toward +inf), like NEON's VQRDMULH:
  // 3 * 0.5 = 1.5 -> 2, -3 * 0.5 = -1.5 -> -1.
  ExpectInt("SRDHM 3*0.5 = 1.5 rounds up to 2", SaturatingRoundingDoublingHighMul(3, kHalf), 2);
  ExpectInt("SRDHM -3*0.5 = -1.5 rounds up to -1", SaturatingRoundingDoublingHighMul(-3, kHalf), -1);
  ExpectInt("SRDHM saturates INT32_MIN*INT32_MIN",
            SaturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN), INT32_MAX);

  // RoundingDivideByPOT rounds half AWAY from zero: 5/2 -> 3, -5/2 -> -3, -6/4 -> -2.
  ExpectInt("RDivPOT 5>>1 = 2.5 -> 3", RoundingDivideByPOT(5, 1), 3);
  ExpectInt("RDivPOT -5>>1 = -2.5 -> -3", RoundingDivideByPOT(-5, 1), -3);
  ExpectInt("RDivPOT 7>>2 = 1.75 -> 2", RoundingDivideByPOT(7, 2), 2);
  ExpectInt("RDivPOT -6>>2 = -1.5 -> -2", RoundingDivideByPOT(-6, 2), -2);
  ExpectInt("RDivPOT -7>>2 = -1.75 -> -2", RoundingDivideByPOT(-7, 2), -2);
  ExpectInt("RDivPOT -5>>2 = -1.25 -> -1", RoundingDivideByPOT(-5, 2), -1);
  ExpectInt("RDivPOT exponent 0 is identity", RoundingDivideByPOT(-12345, 0), -12345);

  // MultiplyByQuantizedMultiplier = RDivPOT(SRDHM(x << left, m), right): two roundings.
  // 6 * 0.5 = 3 exactly, then 3 / 2 = 1.5 -> 2 (away from zero).
  ExpectInt("MBQM 6 * 0.25 = 1.5 -> 2", MultiplyByQuantizedMultiplier(6, kHalf, -1), 2);
  // -6 * 0.5 = -3, then -3 / 2 = -1.5 -> -2 (away from zero; the SRDHM step alone would go up).
  ExpectInt("MBQM -6 * 0.25 = -1.5 -> -2", MultiplyByQuantizedMultiplier(-6, kHalf, -1), -2);
  // Double rounding: 298 * 0.01 = 2.98 -> 3 after SRDHM, then 3 / 2 = 1.5 -> 2, although the exact
  // 1.49 would round to 1. m = 21474836 ~ 0.01 * 2^31.
  ExpectInt("MBQM double rounding 298 * 0.005 -> 2", MultiplyByQuantizedMultiplier(298, 21474836, -1),
            2);
  // Left shift before the multiply: 3 * 4 * 0.5 = 6.
  ExpectInt("MBQM left shift 3 * 2^2 * 0.5 = 6", MultiplyByQuantizedMultiplier(3, kHalf, 2), 6);
  // INT32_MAX * (1 - 2^-31): (2^31-1)^2 / 2^31 = 2^31 - 2 + 2^-31, rounded -> 2147483646.
  ExpectInt("MBQM INT32_MAX * INT32_MAX", MultiplyByQuantizedMultiplier(INT32_MAX, INT32_MAX, 0),
            2147483646);
  // INT32_MIN * (1 - 2^-31) = -2^31 + 1 exactly -> -2147483647.
  ExpectInt("MBQM INT32_MIN * INT32_MAX", MultiplyByQuantizedMultiplier(INT32_MIN, INT32_MAX, 0),
            -2147483647);
  // INT32_MIN * 0.5 = -2^30, then / 2^31 = -0.5 -> -1 (away from zero), the deepest right shift.
  ExpectInt("MBQM INT32_MIN * 0.5 >> 31 = -0.5 -> -1",
            MultiplyByQuantizedMultiplier(INT32_MIN, kHalf, -31), -1);
  ExpectInt("MBQM INT32_MAX * 0.5 >> 31 = 0.5 -> 1",
            MultiplyByQuantizedMultiplier(INT32_MAX, kHalf, -31), 1);
  // 5 * 0.5 = 2.5 -> 3 (SRDHM), 3 / 2 = 1.5 -> 2: double rounding again, the exact 1.25 gives 1.
  ExpectInt("MBQM smaller-than-one 5 * 0.25 -> 2 (double rounding)",
            MultiplyByQuantizedMultiplierSmallerThanOneExp(5, kHalf, -1), 2);
  ExpectInt("MBQM greater-than-one -3 * 2^3 * 0.5 = -12",
            MultiplyByQuantizedMultiplierGreaterThanOne(-3, kHalf, 3), -12);

  // The int64 overload first reduces the multiplier to Q15: (2^30 + 32767 + 2^15) >> 16 = 2^14,
  // so 2^20 * 0.5 = 2^19 exactly, where the int32 overload keeps the extra 32767 / 2^31 and gives
  // 2^20 * (2^30 + 32767) / 2^31 = 524303.99 -> 524304.
  ExpectInt("MBQM int32 keeps the full multiplier",
            MultiplyByQuantizedMultiplier(int32_t{1 << 20}, kHalf + 32767, 0), 524304);
  ExpectInt("MBQM int64 uses the 16-bit multiplier",
            MultiplyByQuantizedMultiplier(int64_t{1} << 20, kHalf + 32767, 0), 524288);
  // int64 rounding is a single half-up step: 1001 * 0.5 = 500.5 -> 501, -1001 * 0.5 -> -500.
  ExpectInt("MBQM int64 1001 * 0.5 -> 501", MultiplyByQuantizedMultiplier(int64_t{1001}, kHalf, 0),
            501);
  ExpectInt("MBQM int64 -1001 * 0.5 -> -500",
            MultiplyByQuantizedMultiplier(int64_t{-1001}, kHalf, 0), -500);

  ExpectInt("Shape::FlatSize", MakeShape(2, 3, 4, 5).FlatSize(), 120);
}

void TestConv() {
  // 1x3x3x1 input, 3x3 Sobel-x filter, SAME padding (pad 1), stride 1.
  // Input zero point -1 (input_offset +1), so the values seen are v = x + 1:
  //   v = [[2,3,4],[5,6,7],[8,9,10]]
  // Out-of-image taps are skipped. Filter rows [1,0,-1],[2,0,-2],[1,0,-1]:
  //   y0: x0 = -(2*3 + 6) = -12, x1 = 2*(2-4) + (5-7) = -6,  x2 = 2*3 + 6 = 12
  //   y1: x0 = -(3 + 2*6 + 9) = -24, x1 = -2 - 4 - 2 = -8, x2 = 24
  //   y2: x0 = -(6 + 2*9) = -24, x1 = (5-7) + 2*(8-10) = -6, x2 = 24
  // + bias 11:       [-1, 5, 23, -13, 3, 35, -13, 5, 35]
  // x0.5 (SRDHM, half up): [0, 3, 12, -6, 2, 18, -6, 3, 18]   (-0.5 -> 0, -6.5 -> -6)
  // + output zero point 3 and clamp to act_max 15:
  const int8_t input[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const int8_t filter[9] = {1, 0, -1, 2, 0, -2, 1, 0, -1};
  const int32_t bias[1] = {11};
  const int32_t mult[1] = {kHalf};
  const int32_t shift[1] = {0};
  ConvParams p{};
  p.stride_h = p.stride_w = 1;
  p.dilation_h = p.dilation_w = 1;
  p.pad_top = p.pad_left = 1;
  p.input_offset = 1;
  p.output_offset = 3;
  p.act_min = -128;
  p.act_max = 15;
  int8_t out[9] = {};
  ConvPerChannel(p, mult, shift, MakeShape(1, 3, 3, 1), input, MakeShape(1, 3, 3, 1), filter, bias,
                 MakeShape(1, 3, 3, 1), out);
  const int8_t want[9] = {3, 6, 15, -3, 5, 15, -3, 6, 15};
  ExpectArray("conv 3x3 SAME, skipped border taps, bias, rounding, clamp", out, want, 9);

  // Stride 2, VALID, 1x1 filter on 1x4x4x2; per-channel requantization.
  // Pixel p = 4y + x holds [p, 1]. Stride 2 picks p = 0, 2, 8, 10.
  //   oc0 = [1, 1] . [p, 1] = p + 1, multiplier x1 (0.5, shift 1) -> 1, 3, 9, 11
  //   oc1 = [2,-1] . [p, 1] = 2p - 1 = -1, 3, 15, 19; x0.25 (0.5, shift -1):
  //         SRDHM: -0.5 -> 0, 1.5 -> 2, 7.5 -> 8, 9.5 -> 10; then /2: 0, 1, 4, 5
  int8_t in2[32];
  for (int i = 0; i < 16; ++i) {
    in2[2 * i] = static_cast<int8_t>(i);
    in2[2 * i + 1] = 1;
  }
  const int8_t f2[4] = {1, 1, 2, -1};
  const int32_t m2[2] = {kHalf, kHalf};
  const int32_t s2[2] = {1, -1};
  ConvParams p2 = p;
  p2.stride_h = p2.stride_w = 2;
  p2.pad_top = p2.pad_left = 0;
  p2.input_offset = 0;
  p2.output_offset = 0;
  p2.act_max = 127;
  int8_t out2[8] = {};
  ConvPerChannel(p2, m2, s2, MakeShape(1, 4, 4, 2), in2, MakeShape(2, 1, 1, 2), f2, nullptr,
                 MakeShape(1, 2, 2, 2), out2);
  const int8_t want2[8] = {1, 0, 3, 1, 9, 4, 11, 5};
  ExpectArray("conv stride 2, per-channel multipliers and shifts, no bias", out2, want2, 8);

  // Dilation 2: 2x2 ones filter over 1x5x5x1 with p = 5y + x, VALID -> 3x3 output:
  //   p(y,x) + p(y,x+2) + p(y+2,x) + p(y+2,x+2) = 4p + 24
  int8_t in3[25];
  for (int i = 0; i < 25; ++i) in3[i] = static_cast<int8_t>(i);
  const int8_t f3[4] = {1, 1, 1, 1};
  const int32_t m3[1] = {kHalf};
  const int32_t s3[1] = {1};
  ConvParams p3 = p2;
  p3.stride_h = p3.stride_w = 1;
  p3.dilation_h = p3.dilation_w = 2;
  int8_t out3[9] = {};
  ConvPerChannel(p3, m3, s3, MakeShape(1, 5, 5, 1), in3, MakeShape(1, 2, 2, 1), f3, nullptr,
                 MakeShape(1, 3, 3, 1), out3);
  const int8_t want3[9] = {24, 28, 32, 44, 48, 52, 64, 68, 72};
  ExpectArray("conv dilation 2", out3, want3, 9);
}

void TestDepthwiseConv() {
  // 1x2x2x2 input, depth multiplier 2 -> 4 output channels, 2x2 filter, VALID -> 1x1x1x4.
  // Input zero point 2 (offset -2). Channel 0 pixels [1,2,3,4] -> [-1,0,1,2];
  // channel 1 pixels [10,20,30,40] -> [8,18,28,38]. Output channel oc reads input oc / 2.
  //   oc0 (ic0) weights [1,1,1,1]   -> 2
  //   oc1 (ic0) weights [1,-1,1,-1] -> -1 - 0 + 1 - 2 = -2
  //   oc2 (ic1) weights [1,0,0,0]   -> 8
  //   oc3 (ic1) weights [0,0,0,1]   -> 38, + bias 100 = 138
  // x1, + output zero point -5: [-3, -7, 3, 133 -> clamp 127]
  const int8_t input[8] = {1, 10, 2, 20, 3, 30, 4, 40};
  // filter [1, ky, kx, oc]
  const int8_t filter[16] = {1, 1, 1, 0, 1, -1, 0, 0, 1, 1, 0, 0, 1, -1, 0, 1};
  const int32_t bias[4] = {0, 0, 0, 100};
  const int32_t mult[4] = {kHalf, kHalf, kHalf, kHalf};
  const int32_t shift[4] = {1, 1, 1, 1};
  ConvParams p{};
  p.stride_h = p.stride_w = 1;
  p.dilation_h = p.dilation_w = 1;
  p.input_offset = -2;
  p.output_offset = -5;
  p.act_min = -128;
  p.act_max = 127;
  int8_t out[4] = {};
  DepthwiseConvPerChannel(p, 2, mult, shift, MakeShape(1, 2, 2, 2), input, MakeShape(1, 2, 2, 4),
                          filter, bias, MakeShape(1, 1, 1, 4), out);
  const int8_t want[4] = {-3, -7, 3, 127};
  ExpectArray("depthwise depth_multiplier 2, input offset, clamp", out, want, 4);

  // SAME padding, stride 2 on 1x3x3x1 ones with a 3x3 ones filter -> 2x2 output whose windows
  // hold 4, 4, 4, 4 image taps (corners 0,0 / 0,2 / 2,0 / 2,2 with pad 1): each sum is 4.
  const int8_t ones9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  ConvParams ps = p;
  ps.stride_h = ps.stride_w = 2;
  ps.pad_top = ps.pad_left = 1;
  ps.input_offset = 0;
  ps.output_offset = 0;
  int8_t out2[4] = {};
  DepthwiseConvPerChannel(ps, 1, mult, shift, MakeShape(1, 3, 3, 1), ones9, MakeShape(1, 3, 3, 1),
                          ones9, nullptr, MakeShape(1, 2, 2, 1), out2);
  const int8_t want2[4] = {4, 4, 4, 4};
  ExpectArray("depthwise SAME stride 2 counts only in-image taps", out2, want2, 4);
}

void TestFullyConnected() {
  // 2 batches x 3 inputs -> 2 outputs. input_offset 1: [1,2,3] -> [2,3,4], [-1,0,1] -> [0,1,2].
  // Per-tensor weights with zero point -1 (filter_offset 1): [1,1,1] -> [2,2,2], [1,-1,2] -> [2,0,3].
  //   b0: 2*9 = 18; 4 + 0 + 12 = 16, + bias -5 = 11
  //   b1: 2*3 = 6;  0 + 0 + 6 = 6,   + bias -5 = 1
  // x0.5: 9, 5.5 -> 6, 3, 0.5 -> 1
  const int8_t input[6] = {1, 2, 3, -1, 0, 1};
  const int8_t filter[6] = {1, 1, 1, 1, -1, 2};
  const int32_t bias[2] = {0, -5};
  const int32_t mult[2] = {kHalf, kHalf};
  const int32_t shift[2] = {0, 1};
  FullyConnectedParams p{};
  p.input_offset = 1;
  p.filter_offset = 1;
  p.output_offset = 0;
  p.act_min = -128;
  p.act_max = 127;
  p.per_channel = false;
  int8_t out[4] = {};
  FullyConnected(p, mult, shift, 2, 3, 2, input, filter, bias, out);
  const int8_t want[4] = {9, 6, 3, 1};
  ExpectArray("fully connected per-tensor with filter zero point", out, want, 4);

  // Per-channel: TFLite ignores the filter offset. oc0 x1 (shift 1), oc1 x0.5 (shift 0):
  //   b0: oc0 = 2+3+4 = 9 -> 9;   oc1 = 2 - 3 + 8 - 5 = 2 -> 1
  //   b1: oc0 = 0+1+2 = 3 -> 3;   oc1 = 0 - 1 + 4 - 5 = -2 -> -1
  const int32_t shift_pc[2] = {1, 0};
  p.per_channel = true;
  FullyConnected(p, mult, shift_pc, 2, 3, 2, input, filter, bias, out);
  const int8_t want_pc[4] = {9, 1, 3, -1};
  ExpectArray("fully connected per-channel ignores filter offset", out, want_pc, 4);

  // ReLU range [zero point, 127]: with output zero point -3, act_min -3 clips b1.oc1 (-1 - 3 = -4).
  p.output_offset = -3;
  p.act_min = -3;
  FullyConnected(p, mult, shift_pc, 2, 3, 2, input, filter, bias, out);
  const int8_t want_relu[4] = {6, -2, 0, -3};
  ExpectArray("fully connected fused ReLU clamp", out, want_relu, 4);

  // int16 activations, int64 bias: 3*1000 + 1*(-2000) + 5 = 1005; x0.5 via the int64 overload:
  // (1005 * 2^14 + 2^14) >> 15 = 503 (502.5 rounds up).
  const int16_t in16[2] = {1000, -2000};
  const int8_t f16[2] = {3, 1};
  const int64_t b16[1] = {5};
  const int32_t m16[1] = {kHalf};
  const int32_t s16[1] = {0};
  FullyConnectedParams p16{};
  p16.act_min = -32768;
  p16.act_max = 32767;
  int16_t out16[1] = {};
  FullyConnectedInt16(p16, m16, s16, 1, 2, 1, in16, f16, b16, out16);
  ExpectInt("fully connected int16 with int64 bias", out16[0], 503);
}

void TestAdd() {
  // s1 = s2 = 0.5, s_out = 1, left_shift 20: twice_max = 1.0, so both input multipliers are
  // 0.5 (2^30, shift 0) and the output multiplier is 1 / 2^20 (2^30, shift -19). The result is
  // round(((x1 - z1) + (x2 - z2)) / 2) with RDivPOT rounding (half away from zero), + z_out.
  // Broadcast [1,1,2,1] + [1,1,1,3] -> [1,1,2,3]; x1 = [3, -4] (z1 0), x2 = [1, 2, 4] (z2 1):
  //   row 3:  (3+0)/2 = 1.5 -> 2, 4/2 = 2, 6/2 = 3        -> +10: 12, 12, 13
  //   row -4: -4/2 = -2, -3/2 = -1.5 -> -2, -1/2 -> -1    -> +10: 8, 8, 9 -> act_min 9
  AddParams p{};
  p.left_shift = 20;
  p.input1_offset = 0;
  p.input2_offset = -1;
  p.output_offset = 10;
  p.input1_multiplier = kHalf;
  p.input1_shift = 0;
  p.input2_multiplier = kHalf;
  p.input2_shift = 0;
  p.output_multiplier = kHalf;
  p.output_shift = -19;
  p.act_min = 9;
  p.act_max = 127;
  const int8_t a[2] = {3, -4};
  const int8_t b[3] = {1, 2, 4};
  int8_t out[6] = {};
  AddInt8(p, MakeShape(1, 1, 2, 1, 2), a, MakeShape(1, 1, 1, 3, 1), b, MakeShape(1, 1, 2, 3, 2),
          out);
  const int8_t want[6] = {12, 12, 13, 9, 9, 9};
  ExpectArray("add int8 broadcasting both inputs, rounding, clamp", out, want, 6);

  // Same-shape add, and the reversed broadcast (second input is the wide one).
  const int8_t c[6] = {0, 1, 2, 3, 4, 5};
  p.act_min = -128;
  AddInt8(p, MakeShape(1, 1, 1, 3, 1), b, MakeShape(1, 1, 2, 3, 2), c, MakeShape(1, 1, 2, 3, 2),
          out);
  // x1 = b (z 0): [1,2,4]; x2 - 1 = [-1,0,1,2,3,4]: (0)/2=0, 2/2=1, 5/2=2.5->3, 3/2=1.5->2, 5/2->3, 8/2=4
  const int8_t want2[6] = {10, 11, 13, 12, 13, 14};
  ExpectArray("add int8 first input broadcast over rows", out, want2, 6);

  // int16: left_shift 15, output multiplier 1 / 2^15 (2^30, shift -14).
  // (1000 + 1) / 2 = 500.5 -> 501; (-3001 + 3) / 2 = -1499.
  AddParams p16 = p;
  p16.left_shift = 15;
  p16.input1_offset = 0;
  p16.input2_offset = 0;
  p16.output_offset = 0;
  p16.output_shift = -14;
  p16.act_min = -32768;
  p16.act_max = 32767;
  const int16_t a16[2] = {1000, -3001};
  const int16_t b16[2] = {1, 3};
  int16_t out16[2] = {};
  AddInt16(p16, MakeShape(1, 1, 1, 2, 1), a16, MakeShape(1, 1, 1, 2, 1), b16,
           MakeShape(1, 1, 1, 2, 1), out16);
  const int16_t want16[2] = {501, -1499};
  ExpectArray("add int16", out16, want16, 2);
}

void TestPooling() {
  // Input 1x3x3x1 [[1,2,4],[-3,5,-8],[7,-9,6]].
  // 3x3 window, stride 1, SAME (pad 1): average over taps inside the image, ties away from zero.
  //   (0,0) {1,2,-3,5} = 5/4 -> 1        (0,1) {1,2,4,-3,5,-8} = 1/6 -> 0
  //   (0,2) {2,4,5,-8} = 3/4 -> 1        (1,0) {1,2,-3,5,7,-9} = 3/6 = 0.5 -> 1
  //   (1,1) all = 5/9 -> 1               (1,2) {2,4,5,-8,-9,6} = 0
  //   (2,0) {-3,5,7,-9} = 0              (2,1) {-3,5,-8,7,-9,6} = -2/6 -> 0
  //   (2,2) {5,-8,-9,6} = -6/4 = -1.5 -> -2
  const int8_t input[9] = {1, 2, 4, -3, 5, -8, 7, -9, 6};
  PoolParams p{};
  p.stride_h = p.stride_w = 1;
  p.filter_h = p.filter_w = 3;
  p.pad_top = p.pad_left = 1;
  p.act_min = -128;
  p.act_max = 127;
  int8_t out[9] = {};
  const bool ok = AveragePoolInt8(p, MakeShape(1, 3, 3, 1), input, MakeShape(1, 3, 3, 1), out);
  const int8_t want[9] = {1, 0, 1, 1, 1, 0, 0, 0, -2};
  ExpectInt("average pool succeeds", ok, 1);
  ExpectArray("average pool SAME, partial windows at padded borders", out, want, 9);

  // 2x2 window, stride 2, no top/left padding (SAME's odd padding goes bottom/right): the right
  // and bottom windows are cut by the image edge.
  //   {1,2,-3,5} = 5/4 -> 1; {4,-8} = -2; {7,-9} = -1; {6} = 6
  PoolParams p2 = p;
  p2.stride_h = p2.stride_w = 2;
  p2.filter_h = p2.filter_w = 2;
  p2.pad_top = p2.pad_left = 0;
  int8_t out2[4] = {};
  AveragePoolInt8(p2, MakeShape(1, 3, 3, 1), input, MakeShape(1, 2, 2, 1), out2);
  const int8_t want2[4] = {1, -2, -1, 6};
  ExpectArray("average pool stride 2 with windows cut at bottom/right", out2, want2, 4);

  // Max pool over the same windows: 5, 4, 7, 6; act_max 5 clamps 7 and 6.
  p2.act_max = 5;
  MaxPoolInt8(p2, MakeShape(1, 3, 3, 1), input, MakeShape(1, 2, 2, 1), out2);
  const int8_t want_max[4] = {5, 4, 5, 5};
  ExpectArray("max pool with activation clamp", out2, want_max, 4);

  // A 1x1 window placed entirely in the padding has no taps: TFLite fails the op.
  PoolParams p3 = p;
  p3.filter_h = p3.filter_w = 1;
  int8_t out3[9] = {};
  ExpectInt("average pool window without taps fails",
            AveragePoolInt8(p3, MakeShape(1, 3, 3, 1), input, MakeShape(1, 3, 3, 1), out3), 0);

  // int16: {1000, -3001} / 2 = -1000.5 -> -1001 (away from zero).
  const int16_t in16[2] = {1000, -3001};
  PoolParams p16{};
  p16.stride_h = p16.stride_w = 1;
  p16.filter_h = 1;
  p16.filter_w = 2;
  p16.act_min = -32768;
  p16.act_max = 32767;
  int16_t out16[1] = {};
  AveragePoolInt16(p16, MakeShape(1, 1, 2, 1), in16, MakeShape(1, 1, 1, 1), out16);
  ExpectInt("average pool int16", out16[0], -1001);
  MaxPoolInt16(p16, MakeShape(1, 1, 2, 1), in16, MakeShape(1, 1, 1, 1), out16);
  ExpectInt("max pool int16", out16[0], 1000);
}

void TestSoftmax() {
  // input_scale 1/16, beta 1: beta * scale * 2^26 = 2^22 = 0.5 * 2^23, so the Q31 multiplier is
  // 2^30 with left shift 23, and a difference d becomes d / 16 in Q5.26.
  // diff_min = -floor(31 * 2^26 / 2^23) = -248.
  SoftmaxParams p{};
  p.input_multiplier = kHalf;
  p.input_left_shift = 23;
  p.diff_min = -248;

  // Ties: four equal values -> 1/4 each -> 64 - 128 = -64.
  const int8_t ties[4] = {3, 3, 3, 3};
  int8_t out[4] = {};
  SoftmaxInt8ToInt8(p, 1, 4, ties, out);
  const int8_t want_ties[4] = {-64, -64, -64, -64};
  ExpectArray("softmax int8 four-way tie", out, want_ties, 4);

  // [10, 10, -6]: exps 1, 1, e^-1; probabilities 0.42232, 0.42232, 0.15536;
  // x256 = 108.11, 108.11, 39.77 -> 108, 108, 40 -> minus 128.
  const int8_t row3[3] = {10, 10, -6};
  SoftmaxInt8ToInt8(p, 1, 3, row3, out);
  const int8_t want3[3] = {-20, -20, -88};
  ExpectArray("softmax int8 tie at the maximum", out, want3, 3);

  // Two rows at once, [0, -8]: 1 / (1 + e^-0.5) = 0.62246 -> 159.35 -> 159 - 128 = 31; the other
  // 96.65 -> 97 - 128 = -31. A maximum at +127 only shifts the row.
  const int8_t rows[4] = {0, -8, 127, 119};
  int8_t out_rows[4] = {};
  SoftmaxInt8ToInt8(p, 2, 2, rows, out_rows);
  const int8_t want_rows[4] = {31, -31, 31, -31};
  ExpectArray("softmax int8 two rows", out_rows, want_rows, 4);

  // diff_min cut-off: with diff_min -7 the -8 difference is skipped: it yields -128 and does not
  // enter the sum, so the maximum gets probability 1 -> 256 - 128 = 128 -> saturates to 127.
  SoftmaxParams pc = p;
  pc.diff_min = -7;
  SoftmaxInt8ToInt8(pc, 1, 2, rows, out);
  const int8_t want_cut[2] = {127, -128};
  ExpectArray("softmax int8 diff_min cut-off", out, want_cut, 2);
  // Exactly at diff_min the value still counts: diff -8 >= -8.
  pc.diff_min = -8;
  SoftmaxInt8ToInt8(pc, 1, 2, rows, out);
  ExpectArray("softmax int8 difference equal to diff_min is kept", out, want_rows, 2);

  // int16 output (zero point -32768, scale 1/65536) of [10, 10, -6]:
  // 0.42232 * 65536 = 27677.08 -> 27677; 0.15536 * 65536 = 10181.83 -> 10182; minus 32768.
  int16_t out16[3] = {};
  SoftmaxInt8ToInt16(p, 1, 3, row3, out16);
  const int16_t want16[3] = {-5091, -5091, -22586};
  ExpectArray("softmax int8 -> int16", out16, want16, 3);

  // Tables of the int16 path, spot values by hand (float32, as TFLite Micro's gen_lut):
  //  exp[0]: samples exp(-10) * 32768 = 1.49 -> 1; the midpoint error of the interpolation is
  //          round((1.517 + 1) / 2) - round(1.502) = 1 - 2 = -1, bias round(-0.5) = -1 -> 1 + 1 = 2
  //  exp[512] = exp(0) * 32768 = 32768 -> saturates to 32767
  //  1/(1+x)[0] = 32768 -> 32767; 1/(1+x)[512] = 0.5 * 32768 = 16384
  static int16_t exp_lut[513];
  static int16_t recip_lut[513];
  SoftmaxInt16PrepareTables(exp_lut, recip_lut);
  const int16_t got_luts[4] = {exp_lut[0], exp_lut[512], recip_lut[0], recip_lut[512]};
  const int16_t want_luts[4] = {2, 32767, 32767, 16384};
  ExpectArray("softmax int16 tables", got_luts, want_luts, 4);

  // int16 input with scale 10/65535 (multiplier exactly 1: 2^30, shift 1), so a difference d
  // reads as d * 10 / 65535 on the table's [-10, 0] axis. Row [0, -6554] is [0, -1.0001]:
  // probabilities 0.73112 and 0.26888 -> Q15 23957.4 and 8810.6. The tables interpolate, so
  // allow one unit per value; a four-way tie must give exactly equal values near 8192.
  SoftmaxParams p16{};
  p16.int16_input_multiplier = kHalf;
  p16.int16_input_left_shift = 1;
  p16.exp_lut = exp_lut;
  p16.one_over_one_plus_x_lut = recip_lut;
  const int16_t in16[2] = {0, -6554};
  int16_t o16[2] = {};
  SoftmaxInt16(p16, 1, 2, in16, o16);
  if (std::abs(o16[0] - 23957) > 1 || std::abs(o16[1] - 8811) > 1) {
    std::printf("# softmax int16: got %d %d, want ~23957 ~8811\n", o16[0], o16[1]);
  }
  Report(std::abs(o16[0] - 23957) <= 1 && std::abs(o16[1] - 8811) <= 1,
         "softmax int16 two values within one unit of exact");
  const int16_t tie16[4] = {-5, -5, -5, -5};
  int16_t ot16[4] = {};
  SoftmaxInt16(p16, 1, 4, tie16, ot16);
  const bool equal = ot16[0] == ot16[1] && ot16[1] == ot16[2] && ot16[2] == ot16[3];
  Report(equal && std::abs(ot16[0] - 8192) <= 1, "softmax int16 four-way tie");
}

void TestQuantize() {
  // x0.5 (2^30, shift 0): SRDHM rounds half up: 0.5 -> 1, -0.5 -> 0, 1.5 -> 2, -1.5 -> -1,
  // 63.5 -> 64, -64 -> -64.
  RequantizeParams p{0, 0, kHalf, 0};
  const int8_t in[6] = {1, -1, 3, -3, 127, -128};
  int8_t out[6] = {};
  RequantizeInt8ToInt8(p, 6, in, out);
  const int8_t want[6] = {1, 0, 2, -1, 64, -64};
  ExpectArray("requantize x0.5 at .5 boundaries (half up)", out, want, 6);

  // x0.25 (2^30, shift -1): the final shift rounds half away from zero: 0.5 -> 1, -0.5 -> -1,
  // 1.5 -> 2, -1.5 -> -2.
  RequantizeParams q{0, 0, kHalf, -1};
  const int8_t in2[4] = {2, -2, 6, -6};
  RequantizeInt8ToInt8(q, 4, in2, out);
  const int8_t want2[4] = {1, -1, 2, -2};
  ExpectArray("requantize x0.25 at .5 boundaries (away from zero)", out, want2, 4);

  // int16 -> int8, x1/256 (2^30, shift -7), output zero point -128:
  //   2560 -> 10 -> -118; 128 -> 0.5 -> 1 -> -127; -128 -> -0.5 -> -1 -> -129 -> -128;
  //   32767 -> SRDHM 16383.5 -> 16384, /128 = 128 -> 0
  RequantizeParams r{0, -128, kHalf, -7};
  const int16_t in16[4] = {2560, 128, -128, 32767};
  RequantizeInt16ToInt8(r, 4, in16, out);
  const int8_t want3[4] = {-118, -127, -128, 0};
  ExpectArray("requantize int16 -> int8 with clamp", out, want3, 4);

  // int16 -> int32 (keyword model's output): input zero point -32768, x0.5:
  //   0 -> 0, 65535 -> 32767.5 -> 32768, 32768 -> 16384
  RequantizeParams r32{-32768, 0, kHalf, 0};
  const int16_t in32[3] = {-32768, 32767, 0};
  int32_t out32[3] = {};
  RequantizeInt16ToInt32(r32, 3, in32, out32);
  const int32_t want32[3] = {0, 32768, 16384};
  ExpectArray("requantize int16 -> int32", out32, want32, 3);

  // Same scale (x1 = 2^30, shift 1), zero points 128 <-> 0: a pure shift by 128.
  RequantizeParams u2s{128, 0, kHalf, 1};
  const uint8_t inu[3] = {0, 128, 255};
  RequantizeUint8ToInt8(u2s, 3, inu, out);
  const int8_t want_u2s[3] = {-128, 0, 127};
  ExpectArray("requantize uint8 -> int8", out, want_u2s, 3);
  RequantizeParams s2u{0, 128, kHalf, 1};
  uint8_t outu[3] = {};
  RequantizeInt8ToUint8(s2u, 3, want_u2s, outu);
  ExpectArray("requantize int8 -> uint8", outu, inu, 3);

  RequantizeParams big{0, 0, kHalf, 1};
  const int32_t in_big[2] = {1000, -1000};
  RequantizeInt32ToInt8(big, 2, in_big, out);
  const int8_t want_big[2] = {127, -128};
  ExpectArray("requantize int32 -> int8 saturates", out, want_big, 2);

  // float -> int8, scale 0.5, zero point 1: x / 0.5 rounded half away from zero, + 1.
  //   0.25 -> 0.5 -> 1 -> 2; -0.25 -> -1 -> 0; 0.75 -> 2 -> 3; 100 -> 201 -> 127;
  //   -1e10 and NaN do not fit int32: x86's conversion gives INT32_MIN -> -128.
  const float fin[6] = {0.25f, -0.25f, 0.75f, 100.0f, -1e10f, std::nanf("")};
  QuantizeFloatToInt8(6, fin, 0.5f, 1, out);
  const int8_t want_f[6] = {2, 0, 3, 127, -128, -128};
  ExpectArray("quantize float -> int8", out, want_f, 6);
  int16_t out_f16[2] = {};
  QuantizeFloatToInt16(2, fin, 0.5f, 0, out_f16);
  const int16_t want_f16[2] = {1, -1};
  ExpectArray("quantize float -> int16", out_f16, want_f16, 2);
  QuantizeFloatToUint8(3, fin, 0.5f, 128, outu);
  const uint8_t want_fu[3] = {129, 127, 130};
  ExpectArray("quantize float -> uint8", outu, want_fu, 3);

  // Dequantize: 0.5 * (x - (-1)).
  const int8_t dq[3] = {-128, 0, 127};
  float fo[3] = {};
  DequantizeInt8(3, dq, 0.5, -1, fo);
  Report(fo[0] == -63.5f && fo[1] == 0.5f && fo[2] == 64.0f, "dequantize int8");
  const int16_t dq16[2] = {-32768, 32767};
  DequantizeInt16(2, dq16, 0.25, 0, fo);
  Report(fo[0] == -8192.0f && fo[1] == 8191.75f, "dequantize int16");
}

void TestPad() {
  // 1x2x2x1 [1,2;3,4], one row on top, two columns on the right, pad value 7:
  //   [7 7 7 7; 1 2 7 7; 3 4 7 7]
  const int8_t input[4] = {1, 2, 3, 4};
  const int32_t before[4] = {0, 1, 0, 0};
  const int32_t after[4] = {0, 0, 2, 0};
  const int8_t pad_value = 7;
  int8_t out[12] = {};
  Pad(1, MakeShape(1, 2, 2, 1), input, before, after, &pad_value, MakeShape(1, 3, 4, 1), out);
  const int8_t want[12] = {7, 7, 7, 7, 1, 2, 7, 7, 3, 4, 7, 7};
  ExpectArray("pad int8", out, want, 12);

  // int16 channels padded on both sides: [5,6] -> [-1,5,6,-1].
  const int16_t in16[2] = {5, 6};
  const int32_t b16[4] = {0, 0, 0, 1};
  const int32_t a16[4] = {0, 0, 0, 1};
  const int16_t pv16 = -1;
  int16_t out16[4] = {};
  Pad(2, MakeShape(1, 1, 1, 2), in16, b16, a16, &pv16, MakeShape(1, 1, 1, 4), out16);
  const int16_t want16[4] = {-1, 5, 6, -1};
  ExpectArray("pad int16 channels", out16, want16, 4);
}

void TestConcatenation() {
  // Channels: [1,1,2,1] [1,2] ++ [1,1,2,2] [3,4,5,6] -> [1,1,2,3] [1,3,4, 2,5,6].
  const int8_t a[2] = {1, 2};
  const int8_t b[4] = {3, 4, 5, 6};
  int8_t out[6] = {};
  ConcatenationCopyInput(1, 3, MakeShape(1, 1, 2, 1), a, 0, MakeShape(1, 1, 2, 3), out);
  ConcatenationCopyInput(1, 3, MakeShape(1, 1, 2, 2), b, 1, MakeShape(1, 1, 2, 3), out);
  const int8_t want[6] = {1, 3, 4, 2, 5, 6};
  ExpectArray("concatenation int8 along channels", out, want, 6);

  // Rows of int16: [1,1,1,2] [1,2] ++ [1,1,2,2] [3,4,5,6] along dims[2] -> [1,2,3,4,5,6].
  const int16_t a16[2] = {1, 2};
  const int16_t b16[4] = {3, 4, 5, 6};
  int16_t out16[6] = {};
  ConcatenationCopyInput(2, 2, MakeShape(1, 1, 1, 2), a16, 0, MakeShape(1, 1, 3, 2), out16);
  ConcatenationCopyInput(2, 2, MakeShape(1, 1, 2, 2), b16, 1, MakeShape(1, 1, 3, 2), out16);
  const int16_t want16[6] = {1, 2, 3, 4, 5, 6};
  ExpectArray("concatenation int16 along rows", out16, want16, 6);
}

void TestMean() {
  int32_t temp[4];
  // Global average over H and W of 1x2x2x2, input zero point 1, output zero point -1, scales
  // equal (multiplier x1 = 2^30, shift 1). Count 4 folds into the multiplier: shift
  // floor(log2 4) = 2, multiplier (2^30 << 2) / 4 = 2^30, shift 1 - 2 = -1, i.e. x0.25.
  //   channel 0: [1,2,3,5] - 4*1 = 7 -> SRDHM 3.5 -> 4, /2 = 2 -> + (-1) = 1
  //   channel 1: [0,0,0,3] - 4 = -1 -> SRDHM -0.5 -> 0 -> 0 -> -1
  const int8_t in[8] = {1, 0, 2, 0, 3, 0, 5, 3};
  MeanParams p{};
  p.input_zero_point = 1;
  p.output_zero_point = -1;
  p.multiplier = kHalf;
  p.shift = 1;
  p.num_axes = 2;
  p.axes[0] = 1;
  p.axes[1] = 2;
  int8_t out[2] = {};
  MeanInt8(p, MakeShape(1, 2, 2, 2), in, MakeShape(1, 1, 1, 2), out, temp);
  const int8_t want[2] = {1, -1};
  ExpectArray("mean int8 over H,W with requantization", out, want, 2);

  // Count 3: fold shift 1, multiplier (2^30 << 1) / 3 = 715827882 (truncated), shift 0:
  // [1,2,4] -> 7 * 0.3333 = 2.33 -> 2. A duplicated axis counts once.
  const int8_t in3[3] = {1, 2, 4};
  MeanParams p3 = p;
  p3.input_zero_point = 0;
  p3.output_zero_point = 0;
  p3.num_axes = 2;
  p3.axes[0] = 2;
  p3.axes[1] = 2;
  MeanInt8(p3, MakeShape(1, 1, 3, 1), in3, MakeShape(1, 1, 1, 1), out, temp);
  ExpectInt("mean int8 count 3 folded multiplier", out[0], 2);

  // Same quantization takes the same requantizing path, so the average rounds to nearest (TFLite
  // Micro since 2023), not toward zero: [-1,-2,-5] -> -8 * 715827882 / 2^31 = -2.67 -> -3.
  const int8_t in_neg[3] = {-1, -2, -5};
  MeanInt8(p3, MakeShape(1, 1, 3, 1), in_neg, MakeShape(1, 1, 1, 1), out, temp);
  ExpectInt("mean int8 same quantization rounds", out[0], -3);

  // int16 over the channel axis, count 2: multiplier 2^30, shift 0: [100, 201] -> 301 / 2 = 150.5,
  // which SaturatingRoundingDoublingHighMul rounds up to 151.
  const int16_t in16[2] = {100, 201};
  int16_t out16[1] = {};
  MeanParams p16 = p3;
  p16.num_axes = 1;
  p16.axes[0] = 3;
  MeanInt16(p16, MakeShape(1, 1, 1, 2), in16, MakeShape(1, 1, 1, 1), out16, temp);
  ExpectInt("mean int16 same quantization rounds", out16[0], 151);
}

void TestSvdf() {
  // batch 1, input 2, 2 filters of rank 1 (2 units), memory 3.
  // Feature projection of input [1,2]: [1,1] -> 3, [2,-1] -> 0 (x1).
  // State [10,20,30 | 40,50,60] shifts left by one element -> [20,30,40 | 50,60,60], then each
  // filter's newest slot gets its projection -> [20,30,3 | 50,60,0].
  // Time weights [1,1,1], [1,0,-1]: 53, 50; + bias [1,2] -> 54, 52; x0.5 -> 27, 26; zp -10.
  SvdfParams p{};
  p.batch_size = 1;
  p.input_size = 2;
  p.num_filters = 2;
  p.num_units = 2;
  p.memory_size = 3;
  p.rank = 1;
  p.input_zero_point = 0;
  p.output_zero_point = -10;
  p.state_zero_point = 0;
  p.effective_scale_1_a = kHalf;
  p.effective_scale_1_b = 1;
  p.effective_scale_2_a = kHalf;
  p.effective_scale_2_b = 0;
  const int8_t input[2] = {1, 2};
  const int8_t wf[4] = {1, 1, 2, -1};
  const int16_t wt[6] = {1, 1, 1, 1, 0, -1};
  const int32_t bias[2] = {1, 2};
  int16_t state[6] = {10, 20, 30, 40, 50, 60};
  int8_t out[2] = {};
  int32_t scratch[2], scratch_out[2];
  SvdfInt8(p, input, wf, wt, bias, state, out, scratch, scratch_out);
  const int16_t want_state[6] = {20, 30, 3, 50, 60, 0};
  const int8_t want[2] = {17, 16};
  ExpectArray("svdf int16 state shift and update", state, want_state, 6);
  ExpectArray("svdf int16 output", out, want, 2);

  // int8 state with zero point 5 and rank 2 (one unit): the newest slots get 5 + 3 = 8 and
  // 5 + 0 = 5; the time projection subtracts the zero point:
  //   filter 0: (20-5) + (30-5) + (8-5) = 43; filter 1: (50-5) - (5-5) = 45
  // unit 0 = bias 1 + 43 + 45 = 89; x0.5 = 44.5 -> 45 (half up); + zp -10 = 35.
  SvdfParams p8 = p;
  p8.rank = 2;
  p8.num_units = 1;
  p8.state_zero_point = 5;
  const int8_t wt8[6] = {1, 1, 1, 1, 0, -1};
  int8_t state8[6] = {10, 20, 30, 40, 50, 60};
  SvdfInt8StateInt8(p8, input, wf, wt8, bias, state8, out, scratch, scratch_out);
  const int8_t want_state8[6] = {20, 30, 8, 50, 60, 5};
  ExpectArray("svdf int8 state with zero point", state8, want_state8, 6);
  ExpectInt("svdf int8 rank-2 reduction", out[0], 35);

  // Saturation: a projection of 100*100 + 100*100 = 20000, + 5, clamps to the int8 state's 127
  // in both filters. With all-ones time weights each filter sums (127 - 5) = 122, the unit
  // 1 + 122 + 122 = 245, x1 = 245, - 10 = 235: the output saturates at 127 (the integer SVDF has
  // no activation range of its own).
  const int8_t big_in[2] = {100, 100};
  const int8_t big_wf[4] = {100, 100, 100, 100};
  const int8_t ones_wt[6] = {1, 1, 1, 1, 1, 1};
  int8_t state_big[6] = {5, 5, 5, 5, 5, 5};
  p8.effective_scale_2_b = 1;
  SvdfInt8StateInt8(p8, big_in, big_wf, ones_wt, bias, state_big, out, scratch, scratch_out);
  ExpectInt("svdf int8 state saturates", state_big[2], 127);
  ExpectInt("svdf output saturates to int8", out[0], 127);
}

}  // namespace

int main() {
  TestFixedPoint();
  TestConv();
  TestDepthwiseConv();
  TestFullyConnected();
  TestAdd();
  TestPooling();
  TestSoftmax();
  TestQuantize();
  TestPad();
  TestConcatenation();
  TestMean();
  TestSvdf();
  std::printf("1..%d\n", g_case);
  if (g_failed != 0) std::printf("# %d of %d cases failed\n", g_failed, g_case);
  return g_failed == 0 ? 0 : 1;
}
