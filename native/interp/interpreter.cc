#include "interp/interpreter.h"

#include <cstring>

#include "interp/op_params.h"
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


}  // namespace

Interpreter::Interpreter(const Program& program, uint8_t* arena) : program_(program), arena_(arena) {}

uint8_t* Interpreter::TensorData(uint32_t id) {
  const TensorInfo& t = program_.tensor(id);
  if (unpacked_ && unpacked_[id]) return reinterpret_cast<uint8_t*>(const_cast<int8_t*>(unpacked_[id]));
  if (t.kind == TensorKind::kConstant) return const_cast<uint8_t*>(program_.constant(t.offset));
  return arena_ + t.offset;
}

const uint8_t* Interpreter::TensorData(uint32_t id) const {
  return const_cast<Interpreter*>(this)->TensorData(id);
}

void Interpreter::ResetState() {
  for (uint32_t i = 0; i < program_.tensor_count(); ++i) {
    const TensorInfo& t = program_.tensor(i);
    if (t.kind == TensorKind::kVariable) std::memset(arena_ + t.offset, 0, t.byte_size);
  }
}

Status Interpreter::Invoke(OpObserver* observer) {
  for (uint32_t i = 0; i < program_.op_count(); ++i) {
    if (observer) observer->OnOpBegin(i);
    const char* kernel = accelerator_ ? accelerator_->Run(i, *this) : nullptr;
    if (!kernel) {
      Status s = RunOp(program_.op(i));
      if (!s.ok()) return s.Op(static_cast<int32_t>(i), program_.op(i).opcode);
      kernel = "reference";
    }
    if (observer) observer->OnOpEnd(i, kernel);
  }
  return Status::Ok();
}

Status Interpreter::RunOp(const OpView& op) {
  const int32_t* p = op.params;
  const int32_t in0 = op.inputs[0];
  const int32_t out0 = op.outputs[0];
  const TensorInfo& it = program_.tensor(static_cast<uint32_t>(in0));
  const TensorInfo& ot = program_.tensor(static_cast<uint32_t>(out0));
  switch (op.opcode) {
    case kConv2D: {
      const kernels::ConvParams c = ConvParamsFrom(p);
      kernels::ConvPerChannel(c, Array(p[10]), Array(p[11]), it.shape, Data<int8_t>(in0),
                              program_.tensor(op.inputs[1]).shape, Data<int8_t>(op.inputs[1]),
                              Data<int32_t>(op.inputs[2]), ot.shape, Data<int8_t>(out0));
      break;
    }
    case kDepthwiseConv2D: {
      const kernels::ConvParams c = ConvParamsFrom(p);
      kernels::DepthwiseConvPerChannel(c, p[12], Array(p[10]), Array(p[11]), it.shape, Data<int8_t>(in0),
                                       program_.tensor(op.inputs[1]).shape, Data<int8_t>(op.inputs[1]),
                                       Data<int32_t>(op.inputs[2]), ot.shape, Data<int8_t>(out0));
      break;
    }
    case kFullyConnected: {
      kernels::FullyConnectedParams f;
      f.input_offset = p[0];
      f.filter_offset = p[1];
      f.output_offset = p[2];
      f.act_min = p[3];
      f.act_max = p[4];
      f.per_channel = p[5] != 0;
      kernels::FullyConnected(f, Array(p[6]), Array(p[7]), p[8], p[9], p[10], Data<int8_t>(in0),
                              Data<int8_t>(op.inputs[1]), Data<int32_t>(op.inputs[2]), Data<int8_t>(out0));
      break;
    }
    case kAdd: {
      const kernels::AddParams a = AddParamsFrom(p);
      const TensorInfo& i1 = program_.tensor(op.inputs[1]);
      if (ot.dtype == DType::kInt8) {
        kernels::AddInt8(a, it.shape, Data<int8_t>(in0), i1.shape, Data<int8_t>(op.inputs[1]), ot.shape, Data<int8_t>(out0));
      } else {
        kernels::AddInt16(a, it.shape, Data<int16_t>(in0), i1.shape, Data<int16_t>(op.inputs[1]), ot.shape, Data<int16_t>(out0));
      }
      break;
    }
    case kAveragePool2D:
    case kMaxPool2D: {
      kernels::PoolParams pp;
      pp.stride_h = p[0];
      pp.stride_w = p[1];
      pp.filter_h = p[2];
      pp.filter_w = p[3];
      pp.pad_top = p[4];
      pp.pad_left = p[5];
      pp.act_min = p[6];
      pp.act_max = p[7];
      if (op.opcode == kAveragePool2D) {
        kernels::AveragePoolInt8(pp, it.shape, Data<int8_t>(in0), ot.shape, Data<int8_t>(out0));
      } else {
        kernels::MaxPoolInt8(pp, it.shape, Data<int8_t>(in0), ot.shape, Data<int8_t>(out0));
      }
      break;
    }
    case kReshape:
      if (TensorData(in0) != TensorData(out0)) std::memmove(TensorData(out0), TensorData(in0), ot.byte_size);
      break;
    case kSoftmax: {
      kernels::SoftmaxParams s;
      std::memset(&s, 0, sizeof(s));
      const int32_t depth = it.shape.dims[3];
      const int32_t outer = depth > 0 ? static_cast<int32_t>(Elements(it.shape) / depth) : 0;
      if (it.dtype == DType::kInt16) {
        if (!luts_ready_) {
          kernels::SoftmaxInt16PrepareTables(exp_lut_, one_over_one_plus_x_lut_);
          luts_ready_ = true;
        }
        s.int16_input_multiplier = p[0];
        s.int16_input_left_shift = p[1];
        s.output_zero_point = p[3];
        s.exp_lut = exp_lut_;
        s.one_over_one_plus_x_lut = one_over_one_plus_x_lut_;
        kernels::SoftmaxInt16(s, outer, depth, Data<int16_t>(in0), Data<int16_t>(out0));
      } else {
        s.input_multiplier = p[0];
        s.input_left_shift = p[1];
        s.diff_min = p[2];
        s.output_zero_point = p[3];
        if (ot.dtype == DType::kInt8) {
          kernels::SoftmaxInt8ToInt8(s, outer, depth, Data<int8_t>(in0), Data<int8_t>(out0));
        } else {
          kernels::SoftmaxInt8ToInt16(s, outer, depth, Data<int8_t>(in0), Data<int16_t>(out0));
        }
      }
      break;
    }
    case kQuantize: {
      const int64_t n = Elements(ot.shape);
      if (it.dtype == DType::kFloat32) {
        float scale;
        std::memcpy(&scale, &p[0], 4);
        const float* in = Data<float>(in0);
        switch (ot.dtype) {
          case DType::kInt8: kernels::QuantizeFloatToInt8(n, in, scale, p[1], Data<int8_t>(out0)); break;
          case DType::kUInt8: kernels::QuantizeFloatToUint8(n, in, scale, p[1], Data<uint8_t>(out0)); break;
          default: kernels::QuantizeFloatToInt16(n, in, scale, p[1], Data<int16_t>(out0)); break;
        }
        break;
      }
      kernels::RequantizeParams r;
      r.input_zero_point = p[0];
      r.output_zero_point = p[1];
      r.multiplier = p[2];
      r.shift = p[3];
      if (it.dtype == DType::kInt16 && ot.dtype == DType::kInt8) kernels::RequantizeInt16ToInt8(r, n, Data<int16_t>(in0), Data<int8_t>(out0));
      else if (it.dtype == DType::kInt16 && ot.dtype == DType::kInt16) kernels::RequantizeInt16ToInt16(r, n, Data<int16_t>(in0), Data<int16_t>(out0));
      else if (it.dtype == DType::kInt16 && ot.dtype == DType::kInt32) kernels::RequantizeInt16ToInt32(r, n, Data<int16_t>(in0), Data<int32_t>(out0));
      else if (it.dtype == DType::kInt8 && ot.dtype == DType::kInt8) kernels::RequantizeInt8ToInt8(r, n, Data<int8_t>(in0), Data<int8_t>(out0));
      else if (it.dtype == DType::kInt8 && ot.dtype == DType::kInt16) kernels::RequantizeInt8ToInt16(r, n, Data<int8_t>(in0), Data<int16_t>(out0));
      else if (it.dtype == DType::kInt8 && ot.dtype == DType::kInt32) kernels::RequantizeInt8ToInt32(r, n, Data<int8_t>(in0), Data<int32_t>(out0));
      else if (it.dtype == DType::kUInt8 && ot.dtype == DType::kInt8) kernels::RequantizeUint8ToInt8(r, n, Data<uint8_t>(in0), Data<int8_t>(out0));
      else if (it.dtype == DType::kInt8 && ot.dtype == DType::kUInt8) kernels::RequantizeInt8ToUint8(r, n, Data<int8_t>(in0), Data<uint8_t>(out0));
      break;
    }
    case kDequantize: {
      double scale;
      std::memcpy(&scale, &p[0], 8);
      const int64_t n = Elements(ot.shape);
      if (it.dtype == DType::kInt8) kernels::DequantizeInt8(n, Data<int8_t>(in0), scale, p[2], Data<float>(out0));
      else if (it.dtype == DType::kUInt8) kernels::DequantizeUint8(n, Data<uint8_t>(in0), scale, p[2], Data<float>(out0));
      else kernels::DequantizeInt16(n, Data<int16_t>(in0), scale, p[2], Data<float>(out0));
      break;
    }
    case kPad: {
      const int32_t size = DTypeSize(it.dtype);
      uint8_t value[8] = {0};
      const int32_t v = p[8];
      if (size == 1) value[0] = static_cast<uint8_t>(v);
      else if (size == 2) { const int16_t v16 = static_cast<int16_t>(v); std::memcpy(value, &v16, 2); }
      else std::memcpy(value, &v, 4);
      kernels::Pad(size, it.shape, TensorData(in0), p, p + 4, value, ot.shape, TensorData(out0));
      break;
    }
    case kConcatenation: {
      constexpr int kMaxInputs = 64;
      kernels::Shape shapes[kMaxInputs];
      const void* inputs[kMaxInputs];
      const int n = op.num_inputs < kMaxInputs ? op.num_inputs : kMaxInputs;
      for (int k = 0; k < n; ++k) {
        shapes[k] = program_.tensor(op.inputs[k]).shape;
        inputs[k] = TensorData(op.inputs[k]);
      }
      kernels::Concatenation(DTypeSize(ot.dtype), p[0], n, shapes, inputs, ot.shape, TensorData(out0));
      break;
    }
    case kMean: {
      kernels::MeanParams m;
      m.input_zero_point = p[0];
      m.output_zero_point = p[1];
      m.multiplier = p[2];
      m.shift = p[3];
      m.same_quantization = p[4] != 0;
      m.num_axes = p[5];
      for (int k = 0; k < 4; ++k) m.axes[k] = p[6 + k];
      int32_t* scratch = Data<int32_t>(op.inputs[1]);
      if (it.dtype == DType::kInt8) kernels::MeanInt8(m, it.shape, Data<int8_t>(in0), ot.shape, Data<int8_t>(out0), scratch);
      else kernels::MeanInt16(m, it.shape, Data<int16_t>(in0), ot.shape, Data<int16_t>(out0), scratch);
      break;
    }
    case kSvdf: {
      kernels::SvdfParams s;
      s.batch_size = p[0];
      s.input_size = p[1];
      s.num_filters = p[2];
      s.num_units = p[3];
      s.memory_size = p[4];
      s.rank = p[5];
      s.input_zero_point = p[6];
      s.output_zero_point = p[7];
      s.state_zero_point = p[8];
      s.effective_scale_1_a = p[9];
      s.effective_scale_1_b = p[10];
      s.effective_scale_2_a = p[11];
      s.effective_scale_2_b = p[12];
      if (program_.tensor(op.inputs[4]).dtype == DType::kInt16) {
        kernels::SvdfInt8(s, Data<int8_t>(in0), Data<int8_t>(op.inputs[1]), Data<int16_t>(op.inputs[2]),
                          Data<int32_t>(op.inputs[3]), Data<int16_t>(op.inputs[4]), Data<int8_t>(out0),
                          Data<int32_t>(op.inputs[5]), Data<int32_t>(op.inputs[6]));
      } else {
        kernels::SvdfInt8StateInt8(s, Data<int8_t>(in0), Data<int8_t>(op.inputs[1]), Data<int8_t>(op.inputs[2]),
                                   Data<int32_t>(op.inputs[3]), Data<int8_t>(op.inputs[4]), Data<int8_t>(out0),
                                   Data<int32_t>(op.inputs[5]), Data<int32_t>(op.inputs[6]));
      }
      break;
    }
  }
  return Status::Ok();
}

}  // namespace cleave
