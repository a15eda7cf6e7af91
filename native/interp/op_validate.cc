// Per-op validation of a Program: everything a kernel relies on to stay inside its buffers (counts,
// dtypes, shapes, parameter arrays), checked once at load so the interpreter only does arithmetic.
#include "interp/program.h"

namespace cleave {

namespace {

int64_t Elements(const kernels::Shape& s) {
  int64_t n = 1;
  for (int i = 0; i < 4; ++i) n *= s.dims[i];
  return n;
}

bool IsWeightType(DType t) { return t == DType::kInt8 || t == DType::kInt4; }

// Window geometry whose coordinates stay far inside int32: the kernels index taps with int32
// arithmetic (as TFLite's do), so a Program must not be able to make them wrap.
bool WindowFits(int32_t out, int32_t stride, int32_t kernel, int32_t dilation, int32_t pad) {
  if (stride < 1 || dilation < 1 || kernel < 1 || pad < 0) return false;
  const int64_t reach = int64_t(out > 0 ? out - 1 : 0) * stride + int64_t(kernel - 1) * dilation + pad;
  return reach < (int64_t(1) << 30);
}

}  // namespace

Status Program::CheckArray(const OpView& op, uint32_t index, int32_t offset, int32_t count) const {
  if (offset < 0 || count < 0 || offset % 4 != 0 || uint64_t(offset) + 4ull * count > const_size_) {
    return Status::Error(StatusCode::kProgramInvalid, "op {op} ({name}): parameter array [{a}, +{b} words] lies outside the constant blob")
        .Op(index, op.opcode).A(offset).B(count);
  }
  return Status::Ok();
}

// Checks everything a kernel relies on to stay inside its buffers: counts, dtypes, shapes and arrays.
Status Program::ValidateOp(const OpView& op, uint32_t index) const {
  auto t = [&](int32_t id) -> const TensorInfo* { return id >= 0 ? &tensors_[id] : nullptr; };
  // `what` is a literal: the Status keeps the pointer. The model op index travels in {a}.
  auto fail = [&](const char* what) { return Status::Error(StatusCode::kProgramInvalid, what).Op(index, op.opcode).C(op.source_index); };
  auto counts = [&](int in, int out, int params) { return op.num_inputs == in && op.num_outputs == out && op.num_params == params; };
  const TensorInfo* in0 = op.num_inputs > 0 ? t(op.inputs[0]) : nullptr;
  const TensorInfo* out0 = op.num_outputs > 0 ? t(op.outputs[0]) : nullptr;
  if (op.num_outputs > 0 && !out0) return fail("op {op} ({name}, model op {c}): missing output");
  const int32_t* p = op.params;
  switch (op.opcode) {
    case kConv2D:
    case kDepthwiseConv2D: {
      const bool dw = op.opcode == kDepthwiseConv2D;
      if (!counts(3, 1, dw ? 13 : 12)) return fail("op {op} ({name}, model op {c}): wrong number of inputs, outputs or parameters");
      const TensorInfo* filter = t(op.inputs[1]);
      const TensorInfo* bias = t(op.inputs[2]);
      if (!in0 || !filter || in0->dtype != DType::kInt8 || !IsWeightType(filter->dtype) || out0->dtype != DType::kInt8) return fail("op {op} ({name}, model op {c}): input and output must be int8, the filter int8 or int4");
      if (filter->kind != TensorKind::kConstant) return fail("op {op} ({name}, model op {c}): filter must be constant");
      const int32_t out_c = out0->shape.dims[3];
      if (bias && (bias->dtype != DType::kInt32 || Elements(bias->shape) != out_c || bias->kind != TensorKind::kConstant)) return fail("op {op} ({name}, model op {c}): bias must be a constant int32 vector of output channels");
      if (in0->shape.dims[0] != out0->shape.dims[0]) return fail("op {op} ({name}, model op {c}): batch sizes differ");
      if (!WindowFits(out0->shape.dims[1], p[0], filter->shape.dims[1], p[2], p[4]) ||
          !WindowFits(out0->shape.dims[2], p[1], filter->shape.dims[2], p[3], p[5])) return fail("op {op} ({name}, model op {c}): invalid stride, dilation or padding");
      if (dw) {
        if (p[12] < 1 || filter->shape.dims[0] != 1 || filter->shape.dims[3] != out_c || int64_t(in0->shape.dims[3]) * p[12] != out_c) return fail("op {op} ({name}, model op {c}): filter shape does not fit channels and depth multiplier");
      } else if (filter->shape.dims[0] != out_c || filter->shape.dims[3] != in0->shape.dims[3]) {
        return fail("op {op} ({name}, model op {c}): filter shape does not fit input and output channels");
      }
      Status s = CheckArray(op, index, p[10], out_c);
      if (s.ok()) s = CheckArray(op, index, p[11], out_c);
      return s;
    }
    case kFullyConnected: {
      if (!counts(3, 1, 11)) return fail("op {op} ({name}, model op {c}): wrong number of inputs, outputs or parameters");
      const TensorInfo* filter = t(op.inputs[1]);
      const TensorInfo* bias = t(op.inputs[2]);
      if (!in0 || !filter || in0->dtype != DType::kInt8 || !IsWeightType(filter->dtype) || out0->dtype != DType::kInt8) return fail("op {op} ({name}, model op {c}): input and output must be int8, the filter int8 or int4");
      const int32_t batches = p[8], accum = p[9], depth = p[10];
      if (batches < 1 || accum < 1 || depth < 1 || filter->kind != TensorKind::kConstant ||
          Elements(filter->shape) != int64_t(accum) * depth || filter->shape.dims[2] != depth ||
          Elements(in0->shape) != int64_t(batches) * accum || Elements(out0->shape) != int64_t(batches) * depth) {
        return fail("op {op} ({name}, model op {c}): filter, input and output sizes do not fit batches x accum_depth x output_depth");
      }
      if (bias && (bias->dtype != DType::kInt32 || Elements(bias->shape) != depth || bias->kind != TensorKind::kConstant)) return fail("op {op} ({name}, model op {c}): bias must be a constant int32 vector of output_depth");
      Status s = CheckArray(op, index, p[6], p[5] ? depth : 1);
      if (s.ok()) s = CheckArray(op, index, p[7], p[5] ? depth : 1);
      return s;
    }
    case kAdd: {
      if (!counts(2, 1, 12)) return fail("op {op} ({name}, model op {c}): wrong number of inputs, outputs or parameters");
      const TensorInfo* in1 = t(op.inputs[1]);
      if (!in0 || !in1 || in0->dtype != out0->dtype || in1->dtype != out0->dtype || (out0->dtype != DType::kInt8 && out0->dtype != DType::kInt16)) return fail("op {op} ({name}, model op {c}): inputs and output must share int8 or int16");
      for (int d = 0; d < 4; ++d) {
        const int32_t a = in0->shape.dims[d], b = in1->shape.dims[d], o = out0->shape.dims[d];
        if ((a != b && a != 1 && b != 1) || o != (a > b ? a : b)) return fail("op {op} ({name}, model op {c}): input shapes do not broadcast to the output shape");
      }
      return Status::Ok();
    }
    case kAveragePool2D:
    case kMaxPool2D: {
      if (!counts(1, 1, 8)) return fail("op {op} ({name}, model op {c}): wrong number of inputs, outputs or parameters");
      if (!in0 || in0->dtype != DType::kInt8 || out0->dtype != DType::kInt8) return fail("op {op} ({name}, model op {c}): input and output must be int8");
      if (in0->shape.dims[0] != out0->shape.dims[0] || in0->shape.dims[3] != out0->shape.dims[3]) return fail("op {op} ({name}, model op {c}): batch or channels differ");
      if (!WindowFits(out0->shape.dims[1], p[0], p[2], 1, p[4]) || !WindowFits(out0->shape.dims[2], p[1], p[3], 1, p[5])) {
        return fail("op {op} ({name}, model op {c}): invalid stride, filter or padding");
      }
      return Status::Ok();
    }
    case kReshape:
      if (!counts(1, 1, 0) || !in0 || in0->byte_size != out0->byte_size) return fail("op {op} ({name}, model op {c}): input and output must have the same size");
      return Status::Ok();
    case kSoftmax: {
      if (!counts(1, 1, 4) || !in0) return fail("op {op} ({name}, model op {c}): wrong number of inputs, outputs or parameters");
      const bool ok = (in0->dtype == DType::kInt8 && (out0->dtype == DType::kInt8 || out0->dtype == DType::kInt16)) ||
                      (in0->dtype == DType::kInt16 && out0->dtype == DType::kInt16);
      if (!ok || Elements(in0->shape) != Elements(out0->shape)) return fail("op {op} ({name}, model op {c}): unsupported dtypes or sizes differ");
      return Status::Ok();
    }
    case kQuantize: {
      if (!in0 || op.num_inputs != 1 || op.num_outputs != 1 || Elements(in0->shape) != Elements(out0->shape)) return fail("op {op} ({name}, model op {c}): input and output sizes differ");
      const bool from_float = in0->dtype == DType::kFloat32;
      if (op.num_params != (from_float ? 2 : 4)) return fail("op {op} ({name}, model op {c}): wrong number of parameters");
      const DType o = out0->dtype;
      const bool out_ok = o == DType::kInt8 || o == DType::kUInt8 || o == DType::kInt16 || (!from_float && o == DType::kInt32);
      const bool in_ok = from_float || in0->dtype == DType::kInt8 || in0->dtype == DType::kUInt8 || in0->dtype == DType::kInt16;
      if (!out_ok || !in_ok) return fail("op {op} ({name}, model op {c}): unsupported dtype pair");
      return Status::Ok();
    }
    case kDequantize:
      if (!counts(1, 1, 3) || !in0 || out0->dtype != DType::kFloat32 || Elements(in0->shape) != Elements(out0->shape) ||
          !(in0->dtype == DType::kInt8 || in0->dtype == DType::kUInt8 || in0->dtype == DType::kInt16)) return fail("op {op} ({name}, model op {c}): needs an int8, uint8 or int16 input and a float32 output of the same size");
      return Status::Ok();
    case kPad: {
      if (!counts(1, 1, 9) || !in0 || in0->dtype != out0->dtype) return fail("op {op} ({name}, model op {c}): needs one input and output of the same dtype");
      for (int d = 0; d < 4; ++d) {
        if (p[d] < 0 || p[4 + d] < 0 || int64_t(in0->shape.dims[d]) + p[d] + p[4 + d] != out0->shape.dims[d]) return fail("op {op} ({name}, model op {c}): padding does not match the output shape");
      }
      return Status::Ok();
    }
    case kConcatenation: {
      if (op.num_outputs != 1 || op.num_params != 1 || op.num_inputs < 1 || p[0] < 0 || p[0] > 3) return fail("op {op} ({name}, model op {c}): wrong inputs, outputs or axis");
      int64_t along = 0;
      for (int k = 0; k < op.num_inputs; ++k) {
        const TensorInfo* in = t(op.inputs[k]);
        if (!in || in->dtype != out0->dtype) return fail("op {op} ({name}, model op {c}): inputs must match the output dtype");
        for (int d = 0; d < 4; ++d) if (d != p[0] && in->shape.dims[d] != out0->shape.dims[d]) return fail("op {op} ({name}, model op {c}): input shapes do not fit the output");
        along += in->shape.dims[p[0]];
      }
      if (along != out0->shape.dims[p[0]]) return fail("op {op} ({name}, model op {c}): inputs do not add up to the output along the axis");
      return Status::Ok();
    }
    case kMean: {
      if (!counts(2, 1, 10) || !in0 || in0->dtype != out0->dtype || (in0->dtype != DType::kInt8 && in0->dtype != DType::kInt16)) return fail("op {op} ({name}, model op {c}): needs int8 or int16 input and output");
      const TensorInfo* scratch = t(op.inputs[1]);
      if (!scratch || scratch->kind != TensorKind::kScratch || scratch->byte_size < 4 * Elements(out0->shape)) return fail("op {op} ({name}, model op {c}): scratch buffer missing or too small");
      if (p[5] < 1 || p[5] > 4) return fail("op {op} ({name}, model op {c}): invalid axis count");
      int64_t reduced = 1;
      bool seen[4] = {false, false, false, false};
      for (int k = 0; k < p[5]; ++k) {
        if (p[6 + k] < 0 || p[6 + k] > 3) return fail("op {op} ({name}, model op {c}): invalid axis");
        if (!seen[p[6 + k]]) reduced *= in0->shape.dims[p[6 + k]];
        seen[p[6 + k]] = true;
      }
      if (reduced < 1 || Elements(in0->shape) != reduced * Elements(out0->shape)) return fail("op {op} ({name}, model op {c}): output size does not match the reduced input");
      return Status::Ok();
    }
    case kSvdf: {
      if (!counts(7, 1, 13)) return fail("op {op} ({name}, model op {c}): wrong number of inputs, outputs or parameters");
      const TensorInfo* wf = t(op.inputs[1]);
      const TensorInfo* wt = t(op.inputs[2]);
      const TensorInfo* bias = t(op.inputs[3]);
      const TensorInfo* state = t(op.inputs[4]);
      const TensorInfo* s1 = t(op.inputs[5]);
      const TensorInfo* s2 = t(op.inputs[6]);
      const int32_t batch = p[0], input_size = p[1], filters = p[2], units = p[3], memory = p[4], rank = p[5];
      if (!in0 || !wf || !wt || !state || !s1 || !s2) return fail("op {op} ({name}, model op {c}): missing tensor");
      if (batch < 1 || input_size < 1 || filters < 1 || units < 1 || memory < 1 || rank < 1 || int64_t(filters) != int64_t(units) * rank) return fail("op {op} ({name}, model op {c}): invalid sizes");
      if (in0->dtype != DType::kInt8 || wf->dtype != DType::kInt8 || out0->dtype != DType::kInt8 || wt->dtype != state->dtype ||
          (wt->dtype != DType::kInt16 && wt->dtype != DType::kInt8)) return fail("op {op} ({name}, model op {c}): unsupported dtypes");
      if (Elements(in0->shape) != int64_t(batch) * input_size || Elements(wf->shape) != int64_t(filters) * input_size ||
          Elements(wt->shape) != int64_t(filters) * memory || Elements(state->shape) != int64_t(batch) * memory * filters ||
          Elements(out0->shape) != int64_t(batch) * units || (bias && (bias->dtype != DType::kInt32 || Elements(bias->shape) != units))) {
        return fail("op {op} ({name}, model op {c}): tensor sizes do not fit the SVDF dimensions");
      }
      if (s1->byte_size < 4 * int64_t(batch) * filters || s2->byte_size < 4 * int64_t(batch) * units) return fail("op {op} ({name}, model op {c}): scratch buffers too small");
      return Status::Ok();
    }
    default:
      return Status::Error(StatusCode::kUnsupportedOp, "op {op}: unknown opcode {a}").Op(index, op.opcode).A(op.opcode);
  }
}

}  // namespace cleave
