// Each op's kernel entry: decodes the op's parameters through its op_params view and calls the
// reference kernel on the interpreter's tensors. A kernel that refuses its inputs returns
// kKernelFailed; Interpreter::Invoke adds the op index and name and stops the run.
#include <cstring>

#include "interp/interpreter.h"
#include "interp/op_param_layout.h"
#include "interp/op_params.h"
#include "interp/ops.h"
#include "kernels/add.h"
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

namespace cleave {

namespace {

int64_t Elements(const kernels::Shape& s) { return int64_t(s.dims[0]) * s.dims[1] * s.dims[2] * s.dims[3]; }

const TensorInfo& Info(const Interpreter& interpreter, int32_t id) { return interpreter.program().tensor(static_cast<uint32_t>(id)); }

kernels::PoolParams PoolParamsFrom(const op_params::Pool2D& p) {
  kernels::PoolParams pp;
  pp.stride_h = p.stride_h();
  pp.stride_w = p.stride_w();
  pp.filter_h = p.filter_h();
  pp.filter_w = p.filter_w();
  pp.pad_top = p.pad_top();
  pp.pad_left = p.pad_left();
  pp.act_min = p.act_min();
  pp.act_max = p.act_max();
  return pp;
}

}  // namespace

Status EvalConv2D(Interpreter& in, const OpView& op) {
  const op_params::Conv2D p(op.params);
  kernels::ConvPerChannel(ConvParamsFrom(op.params), in.ParamArray(p.multiplier_offset()), in.ParamArray(p.shift_offset()),
                          Info(in, op.inputs[0]).shape, in.Data<int8_t>(op.inputs[0]), Info(in, op.inputs[1]).shape,
                          in.Data<int8_t>(op.inputs[1]), in.Data<int32_t>(op.inputs[2]), Info(in, op.outputs[0]).shape,
                          in.Data<int8_t>(op.outputs[0]));
  return Status::Ok();
}

Status EvalDepthwiseConv2D(Interpreter& in, const OpView& op) {
  const op_params::DepthwiseConv2D p(op.params);
  kernels::DepthwiseConvPerChannel(ConvParamsFrom(op.params), p.depth_multiplier(), in.ParamArray(p.multiplier_offset()),
                                   in.ParamArray(p.shift_offset()), Info(in, op.inputs[0]).shape, in.Data<int8_t>(op.inputs[0]),
                                   Info(in, op.inputs[1]).shape, in.Data<int8_t>(op.inputs[1]), in.Data<int32_t>(op.inputs[2]),
                                   Info(in, op.outputs[0]).shape, in.Data<int8_t>(op.outputs[0]));
  return Status::Ok();
}

Status EvalFullyConnected(Interpreter& in, const OpView& op) {
  const op_params::FullyConnected p(op.params);
  kernels::FullyConnectedParams f;
  f.input_offset = p.input_offset();
  f.filter_offset = p.filter_offset();
  f.output_offset = p.output_offset();
  f.act_min = p.act_min();
  f.act_max = p.act_max();
  f.per_channel = p.per_channel();
  kernels::FullyConnected(f, in.ParamArray(p.multiplier_offset()), in.ParamArray(p.shift_offset()), p.batches(), p.accum_depth(),
                          p.output_depth(), in.Data<int8_t>(op.inputs[0]), in.Data<int8_t>(op.inputs[1]),
                          in.Data<int32_t>(op.inputs[2]), in.Data<int8_t>(op.outputs[0]));
  return Status::Ok();
}

Status EvalAdd(Interpreter& in, const OpView& op) {
  const kernels::AddParams a = AddParamsFrom(op.params);
  const kernels::Shape& s0 = Info(in, op.inputs[0]).shape;
  const kernels::Shape& s1 = Info(in, op.inputs[1]).shape;
  const TensorInfo& out = Info(in, op.outputs[0]);
  if (out.dtype == DType::kInt8) {
    kernels::AddInt8(a, s0, in.Data<int8_t>(op.inputs[0]), s1, in.Data<int8_t>(op.inputs[1]), out.shape, in.Data<int8_t>(op.outputs[0]));
  } else {
    kernels::AddInt16(a, s0, in.Data<int16_t>(op.inputs[0]), s1, in.Data<int16_t>(op.inputs[1]), out.shape, in.Data<int16_t>(op.outputs[0]));
  }
  return Status::Ok();
}

Status EvalAveragePool2D(Interpreter& in, const OpView& op) {
  const kernels::PoolParams pp = PoolParamsFrom(op_params::Pool2D(op.params));
  if (!kernels::AveragePoolInt8(pp, Info(in, op.inputs[0]).shape, in.Data<int8_t>(op.inputs[0]), Info(in, op.outputs[0]).shape,
                                in.Data<int8_t>(op.outputs[0]))) {
    return Status::Error(StatusCode::kKernelFailed, "op {op} ({name}): a pooling window has no tap inside the input");
  }
  return Status::Ok();
}

Status EvalMaxPool2D(Interpreter& in, const OpView& op) {
  kernels::MaxPoolInt8(PoolParamsFrom(op_params::MaxPool2D(op.params)), Info(in, op.inputs[0]).shape, in.Data<int8_t>(op.inputs[0]),
                       Info(in, op.outputs[0]).shape, in.Data<int8_t>(op.outputs[0]));
  return Status::Ok();
}

Status EvalReshape(Interpreter& in, const OpView& op) {
  uint8_t* src = in.Data<uint8_t>(op.inputs[0]);
  uint8_t* dst = in.Data<uint8_t>(op.outputs[0]);
  if (src != dst) std::memmove(dst, src, Info(in, op.outputs[0]).byte_size);
  return Status::Ok();
}

Status EvalSoftmax(Interpreter& in, const OpView& op) {
  const op_params::Softmax p(op.params);
  const TensorInfo& it = Info(in, op.inputs[0]);
  const TensorInfo& ot = Info(in, op.outputs[0]);
  kernels::SoftmaxParams s;
  std::memset(&s, 0, sizeof(s));
  const int32_t depth = it.shape.dims[3];
  const int32_t outer = depth > 0 ? static_cast<int32_t>(Elements(it.shape) / depth) : 0;
  s.output_zero_point = p.output_zero_point();
  if (it.dtype == DType::kInt16) {
    s.int16_input_multiplier = p.input_multiplier();
    s.int16_input_left_shift = p.input_left_shift();
    s.exp_lut = in.SoftmaxExpTable();
    s.one_over_one_plus_x_lut = in.SoftmaxOneOverOnePlusXTable();
    kernels::SoftmaxInt16(s, outer, depth, in.Data<int16_t>(op.inputs[0]), in.Data<int16_t>(op.outputs[0]));
    return Status::Ok();
  }
  s.input_multiplier = p.input_multiplier();
  s.input_left_shift = p.input_left_shift();
  s.diff_min = p.diff_min();
  if (ot.dtype == DType::kInt8) {
    kernels::SoftmaxInt8ToInt8(s, outer, depth, in.Data<int8_t>(op.inputs[0]), in.Data<int8_t>(op.outputs[0]));
  } else {
    kernels::SoftmaxInt8ToInt16(s, outer, depth, in.Data<int8_t>(op.inputs[0]), in.Data<int16_t>(op.outputs[0]));
  }
  return Status::Ok();
}

Status EvalQuantize(Interpreter& in, const OpView& op) {
  const int32_t i0 = op.inputs[0], o0 = op.outputs[0];
  const DType from = Info(in, i0).dtype, to = Info(in, o0).dtype;
  const int64_t n = Elements(Info(in, o0).shape);
  if (from == DType::kFloat32) {
    const op_params::QuantizeFromFloat p(op.params);
    const float* x = in.Data<float>(i0);
    switch (to) {
      case DType::kInt8: kernels::QuantizeFloatToInt8(n, x, p.output_scale(), p.output_zero_point(), in.Data<int8_t>(o0)); return Status::Ok();
      case DType::kUInt8: kernels::QuantizeFloatToUint8(n, x, p.output_scale(), p.output_zero_point(), in.Data<uint8_t>(o0)); return Status::Ok();
      case DType::kInt16: kernels::QuantizeFloatToInt16(n, x, p.output_scale(), p.output_zero_point(), in.Data<int16_t>(o0)); return Status::Ok();
      default: break;
    }
  } else {
    const op_params::Requantize p(op.params);
    kernels::RequantizeParams r;
    r.input_zero_point = p.input_zero_point();
    r.output_zero_point = p.output_zero_point();
    r.multiplier = p.multiplier();
    r.shift = p.shift();
    if (from == DType::kInt16 && to == DType::kInt8) { kernels::RequantizeInt16ToInt8(r, n, in.Data<int16_t>(i0), in.Data<int8_t>(o0)); return Status::Ok(); }
    if (from == DType::kInt16 && to == DType::kInt16) { kernels::RequantizeInt16ToInt16(r, n, in.Data<int16_t>(i0), in.Data<int16_t>(o0)); return Status::Ok(); }
    if (from == DType::kInt16 && to == DType::kInt32) { kernels::RequantizeInt16ToInt32(r, n, in.Data<int16_t>(i0), in.Data<int32_t>(o0)); return Status::Ok(); }
    if (from == DType::kInt8 && to == DType::kInt8) { kernels::RequantizeInt8ToInt8(r, n, in.Data<int8_t>(i0), in.Data<int8_t>(o0)); return Status::Ok(); }
    if (from == DType::kInt8 && to == DType::kInt16) { kernels::RequantizeInt8ToInt16(r, n, in.Data<int8_t>(i0), in.Data<int16_t>(o0)); return Status::Ok(); }
    if (from == DType::kInt8 && to == DType::kInt32) { kernels::RequantizeInt8ToInt32(r, n, in.Data<int8_t>(i0), in.Data<int32_t>(o0)); return Status::Ok(); }
    if (from == DType::kUInt8 && to == DType::kInt8) { kernels::RequantizeUint8ToInt8(r, n, in.Data<uint8_t>(i0), in.Data<int8_t>(o0)); return Status::Ok(); }
    if (from == DType::kInt8 && to == DType::kUInt8) { kernels::RequantizeInt8ToUint8(r, n, in.Data<int8_t>(i0), in.Data<uint8_t>(o0)); return Status::Ok(); }
  }
  // The validator admits only the pairs above; reaching here is a broken invariant, never zeros.
  return Status::Error(StatusCode::kInternal, "op {op} ({name}): no kernel for dtype {a} to dtype {b}")
      .A(static_cast<int64_t>(from)).B(static_cast<int64_t>(to));
}

Status EvalDequantize(Interpreter& in, const OpView& op) {
  const op_params::Dequantize p(op.params);
  const int32_t i0 = op.inputs[0];
  const int64_t n = Elements(Info(in, op.outputs[0]).shape);
  float* out = in.Data<float>(op.outputs[0]);
  switch (Info(in, i0).dtype) {
    case DType::kInt8: kernels::DequantizeInt8(n, in.Data<int8_t>(i0), p.scale(), p.zero_point(), out); break;
    case DType::kUInt8: kernels::DequantizeUint8(n, in.Data<uint8_t>(i0), p.scale(), p.zero_point(), out); break;
    default: kernels::DequantizeInt16(n, in.Data<int16_t>(i0), p.scale(), p.zero_point(), out); break;
  }
  return Status::Ok();
}

Status EvalPad(Interpreter& in, const OpView& op) {
  const op_params::Pad p(op.params);
  const TensorInfo& it = Info(in, op.inputs[0]);
  const int32_t size = DTypeSize(it.dtype);
  uint8_t value[8] = {0};
  const int32_t v = p.value();
  if (size == 1) {
    value[0] = static_cast<uint8_t>(v);
  } else if (size == 2) {
    const int16_t v16 = static_cast<int16_t>(v);
    std::memcpy(value, &v16, 2);
  } else {
    std::memcpy(value, &v, 4);
  }
  kernels::Pad(size, it.shape, in.Data<uint8_t>(op.inputs[0]), p.before(), p.after(), value, Info(in, op.outputs[0]).shape,
               in.Data<uint8_t>(op.outputs[0]));
  return Status::Ok();
}

Status EvalConcatenation(Interpreter& in, const OpView& op) {
  const op_params::Concatenation p(op.params);
  const TensorInfo& ot = Info(in, op.outputs[0]);
  uint8_t* out = in.Data<uint8_t>(op.outputs[0]);
  int32_t offset = 0;
  for (int k = 0; k < op.num_inputs; ++k) {
    const TensorInfo& it = Info(in, op.inputs[k]);
    kernels::ConcatenationCopyInput(DTypeSize(ot.dtype), p.axis(), it.shape, in.Data<uint8_t>(op.inputs[k]), offset, ot.shape, out);
    offset += it.shape.dims[p.axis()];
  }
  return Status::Ok();
}

Status EvalMean(Interpreter& in, const OpView& op) {
  const op_params::Mean p(op.params);
  kernels::MeanParams m;
  m.input_zero_point = p.input_zero_point();
  m.output_zero_point = p.output_zero_point();
  m.multiplier = p.multiplier();
  m.shift = p.shift();
  m.num_axes = p.num_axes();
  for (int k = 0; k < 4; ++k) m.axes[k] = p.axes()[k];
  const TensorInfo& it = Info(in, op.inputs[0]);
  const kernels::Shape& os = Info(in, op.outputs[0]).shape;
  int32_t* scratch = in.Data<int32_t>(op.inputs[1]);
  if (it.dtype == DType::kInt8) {
    kernels::MeanInt8(m, it.shape, in.Data<int8_t>(op.inputs[0]), os, in.Data<int8_t>(op.outputs[0]), scratch);
  } else {
    kernels::MeanInt16(m, it.shape, in.Data<int16_t>(op.inputs[0]), os, in.Data<int16_t>(op.outputs[0]), scratch);
  }
  return Status::Ok();
}

Status EvalSvdf(Interpreter& in, const OpView& op) {
  const op_params::Svdf p(op.params);
  kernels::SvdfParams s;
  s.batch_size = p.batch_size();
  s.input_size = p.input_size();
  s.num_filters = p.num_filters();
  s.num_units = p.num_units();
  s.memory_size = p.memory_size();
  s.rank = p.rank();
  s.input_zero_point = p.input_zero_point();
  s.output_zero_point = p.output_zero_point();
  s.state_zero_point = p.state_zero_point();
  s.effective_scale_1_a = p.effective_scale_1_a();
  s.effective_scale_1_b = p.effective_scale_1_b();
  s.effective_scale_2_a = p.effective_scale_2_a();
  s.effective_scale_2_b = p.effective_scale_2_b();
  const int32_t* id = op.inputs;
  if (Info(in, id[4]).dtype == DType::kInt16) {
    kernels::SvdfInt8(s, in.Data<int8_t>(id[0]), in.Data<int8_t>(id[1]), in.Data<int16_t>(id[2]), in.Data<int32_t>(id[3]),
                      in.Data<int16_t>(id[4]), in.Data<int8_t>(op.outputs[0]), in.Data<int32_t>(id[5]), in.Data<int32_t>(id[6]));
  } else {
    kernels::SvdfInt8StateInt8(s, in.Data<int8_t>(id[0]), in.Data<int8_t>(id[1]), in.Data<int8_t>(id[2]), in.Data<int32_t>(id[3]),
                               in.Data<int8_t>(id[4]), in.Data<int8_t>(op.outputs[0]), in.Data<int32_t>(id[5]), in.Data<int32_t>(id[6]));
  }
  return Status::Ok();
}

}  // namespace cleave
