#include "kernels/cortexm/cortexm_ops.h"

#include "interp/op_param_layout.h"
#include "interp/op_params.h"
#include "kernels/cortexm/cortexm_kernels.h"

namespace cleave {

namespace {

#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32)
#define CLEAVE_CORTEXM_NAME(op) "cortexm-dsp:" op
#else
#define CLEAVE_CORTEXM_NAME(op) "cortexm:" op
#endif

bool IsInt8(const Interpreter& in, int32_t id) {
  return id >= 0 && in.program().tensor(static_cast<uint32_t>(id)).dtype == DType::kInt8;
}

const kernels::Shape& ShapeOf(const Interpreter& in, int32_t id) { return in.program().tensor(static_cast<uint32_t>(id)).shape; }

const char* RunConv(const OpView& op, Interpreter& in) {
  if (!IsInt8(in, op.inputs[0]) || !IsInt8(in, op.outputs[0])) return nullptr;
  const op_params::Conv2D p(op.params);
  const bool ran = cortexm::ConvPerChannel(ConvParamsFrom(op.params), in.ParamArray(p.multiplier_offset()),
                                           in.ParamArray(p.shift_offset()), ShapeOf(in, op.inputs[0]), in.Data<int8_t>(op.inputs[0]),
                                           ShapeOf(in, op.inputs[1]), in.Data<int8_t>(op.inputs[1]), in.Data<int32_t>(op.inputs[2]),
                                           ShapeOf(in, op.outputs[0]), in.Data<int8_t>(op.outputs[0]));
  return ran ? CLEAVE_CORTEXM_NAME("conv") : nullptr;
}

const char* RunDepthwise(const OpView& op, Interpreter& in) {
  if (!IsInt8(in, op.inputs[0]) || !IsInt8(in, op.outputs[0])) return nullptr;
  const op_params::DepthwiseConv2D p(op.params);
  const kernels::Shape& input = ShapeOf(in, op.inputs[0]);
  const kernels::Shape& filter = ShapeOf(in, op.inputs[1]);
  const kernels::Shape& output = ShapeOf(in, op.outputs[0]);
  const int32_t out_depth = input.dims[3] * p.depth_multiplier();
  if (output.dims[3] != out_depth || filter.dims[3] != out_depth) return nullptr;
  cortexm::DepthwiseConvPerChannel(ConvParamsFrom(op.params), p.depth_multiplier(), in.ParamArray(p.multiplier_offset()),
                                   in.ParamArray(p.shift_offset()), input, in.Data<int8_t>(op.inputs[0]), filter,
                                   in.Data<int8_t>(op.inputs[1]), in.Data<int32_t>(op.inputs[2]), output,
                                   in.Data<int8_t>(op.outputs[0]));
  return CLEAVE_CORTEXM_NAME("depthwise");
}

const char* RunFullyConnected(const OpView& op, Interpreter& in) {
  if (!IsInt8(in, op.inputs[0]) || !IsInt8(in, op.outputs[0])) return nullptr;
  const op_params::FullyConnected p(op.params);
  // The per-tensor path with a filter zero point (old asymmetric models) stays on the reference.
  if (!p.per_channel() && p.filter_offset() != 0) return nullptr;
  kernels::FullyConnectedParams f;
  f.input_offset = p.input_offset();
  f.filter_offset = 0;
  f.output_offset = p.output_offset();
  f.act_min = p.act_min();
  f.act_max = p.act_max();
  f.per_channel = p.per_channel();
  cortexm::FullyConnected(f, in.ParamArray(p.multiplier_offset()), in.ParamArray(p.shift_offset()), p.batches(), p.accum_depth(),
                          p.output_depth(), in.Data<int8_t>(op.inputs[0]), in.Data<int8_t>(op.inputs[1]),
                          in.Data<int32_t>(op.inputs[2]), in.Data<int8_t>(op.outputs[0]));
  return CLEAVE_CORTEXM_NAME("fully_connected");
}

const char* RunAdd(const OpView& op, Interpreter& in) {
  if (!IsInt8(in, op.inputs[0]) || !IsInt8(in, op.inputs[1]) || !IsInt8(in, op.outputs[0])) return nullptr;
  const kernels::Shape& a = ShapeOf(in, op.inputs[0]);
  const kernels::Shape& b = ShapeOf(in, op.inputs[1]);
  const kernels::Shape& out = ShapeOf(in, op.outputs[0]);
  int64_t count = 1;
  for (int d = 0; d < 4; ++d) {
    // Broadcasting stays on the reference kernel.
    if (a.dims[d] != out.dims[d] || b.dims[d] != out.dims[d]) return nullptr;
    count *= out.dims[d];
  }
  const bool ran = cortexm::AddInt8(AddParamsFrom(op.params), count, in.Data<int8_t>(op.inputs[0]), in.Data<int8_t>(op.inputs[1]),
                                    in.Data<int8_t>(op.outputs[0]));
  return ran ? CLEAVE_CORTEXM_NAME("add") : nullptr;
}

}  // namespace

const char* CortexMOps::Run(uint32_t op_index, Interpreter& interpreter) {
  const OpView& op = interpreter.program().op(op_index);
  switch (op.opcode) {
    case op_params::Conv2D::kOpcode: return RunConv(op, interpreter);
    case op_params::DepthwiseConv2D::kOpcode: return RunDepthwise(op, interpreter);
    case op_params::FullyConnected::kOpcode: return RunFullyConnected(op, interpreter);
    case op_params::Add::kOpcode: return RunAdd(op, interpreter);
    default: return nullptr;
  }
}

}  // namespace cleave
