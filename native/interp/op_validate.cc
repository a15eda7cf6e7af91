// Per-op validation of a Program: everything a kernel relies on to stay inside its buffers (counts,
// dtypes, shapes, parameter arrays), checked once at load so the interpreter only does arithmetic.
// Each op's parameters are read through its op_params view (scripts/op-params/table.js).
#include "interp/op_check.h"
#include "interp/op_param_layout.h"
#include "interp/op_resolver.h"
#include "interp/ops.h"
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

// Whether every one of `out` pooling windows along an axis has a tap inside the input. Window
// starts only grow, so the first window (which may start in the padding) and the last (which may
// start past the input) are the only ones that can be empty.
bool EveryWindowHasTap(int32_t in, int32_t out, int32_t stride, int32_t filter, int32_t pad) {
  if (out == 0) return true;
  const int64_t first = -int64_t(pad), last = int64_t(out - 1) * stride - pad;
  return first + filter > 0 && last < in;
}

template <typename Conv>
Status ValidateConvolution(const OpCheck& c) {
  const OpView& op = c.op;
  constexpr bool kDepthwise = Conv::kOpcode == kDepthwiseConv2D;
  if (!c.Counts(3, 1, Conv::kWords)) return c.Fail("op {op} ({name}, model op {c}): wrong number of inputs, outputs or parameters");
  const TensorInfo* in0 = c.input(0);
  const TensorInfo* filter = c.input(1);
  const TensorInfo* bias = c.input(2);
  const TensorInfo* out0 = c.output(0);
  if (!in0 || !filter || in0->dtype != DType::kInt8 || !IsWeightType(filter->dtype) || out0->dtype != DType::kInt8) return c.Fail("op {op} ({name}, model op {c}): input and output must be int8, the filter int8 or int4");
  if (filter->kind != TensorKind::kConstant) return c.Fail("op {op} ({name}, model op {c}): filter must be constant");
  const int32_t out_c = out0->shape.dims[3];
  if (bias && (bias->dtype != DType::kInt32 || Elements(bias->shape) != out_c || bias->kind != TensorKind::kConstant)) return c.Fail("op {op} ({name}, model op {c}): bias must be a constant int32 vector of output channels");
  if (in0->shape.dims[0] != out0->shape.dims[0]) return c.Fail("op {op} ({name}, model op {c}): batch sizes differ");
  const Conv p(op.params);
  if (!WindowFits(out0->shape.dims[1], p.stride_h(), filter->shape.dims[1], p.dilation_h(), p.pad_top()) ||
      !WindowFits(out0->shape.dims[2], p.stride_w(), filter->shape.dims[2], p.dilation_w(), p.pad_left())) return c.Fail("op {op} ({name}, model op {c}): invalid stride, dilation or padding");
  if constexpr (kDepthwise) {
    if (p.depth_multiplier() < 1 || filter->shape.dims[0] != 1 || filter->shape.dims[3] != out_c || int64_t(in0->shape.dims[3]) * p.depth_multiplier() != out_c) return c.Fail("op {op} ({name}, model op {c}): filter shape does not fit channels and depth multiplier");
  } else if (filter->shape.dims[0] != out_c || filter->shape.dims[3] != in0->shape.dims[3]) {
    return c.Fail("op {op} ({name}, model op {c}): filter shape does not fit input and output channels");
  }
  return c.CheckArrays<Conv>();
}

template <typename Pool>
Status ValidatePool(const OpCheck& c) {
  if (!c.Counts(1, 1, Pool::kWords)) return c.Fail("op {op} ({name}, model op {c}): wrong number of inputs, outputs or parameters");
  const TensorInfo* in0 = c.input(0);
  const TensorInfo* out0 = c.output(0);
  if (!in0 || in0->dtype != DType::kInt8 || out0->dtype != DType::kInt8) return c.Fail("op {op} ({name}, model op {c}): input and output must be int8");
  if (in0->shape.dims[0] != out0->shape.dims[0] || in0->shape.dims[3] != out0->shape.dims[3]) return c.Fail("op {op} ({name}, model op {c}): batch or channels differ");
  const Pool p(c.op.params);
  const kernels::Shape& is = in0->shape;
  const kernels::Shape& os = out0->shape;
  if (!WindowFits(os.dims[1], p.stride_h(), p.filter_h(), 1, p.pad_top()) || !WindowFits(os.dims[2], p.stride_w(), p.filter_w(), 1, p.pad_left())) {
    return c.Fail("op {op} ({name}, model op {c}): invalid stride, filter or padding");
  }
  // An average over no taps is undefined (TFLite's AveragePool fails); the kernel checks again.
  if (Pool::kOpcode == kAveragePool2D && Elements(os) > 0 &&
      (!EveryWindowHasTap(is.dims[1], os.dims[1], p.stride_h(), p.filter_h(), p.pad_top()) ||
       !EveryWindowHasTap(is.dims[2], os.dims[2], p.stride_w(), p.filter_w(), p.pad_left()))) {
    return c.Fail("op {op} ({name}, model op {c}): a pooling window lies entirely in the padding");
  }
  return Status::Ok();
}

}  // namespace

Status Program::ValidateOp(const OpView& op, uint32_t index) const {
  const OpRegistration* registration = resolver_->Find(op.opcode);
  if (!registration) {
    return Status::Error(StatusCode::kUnsupportedOp, "op {op} ({name}, opcode {a}) is not an op this build runs").Op(static_cast<int32_t>(index), op.opcode).A(op.opcode);
  }
  return registration->validate(OpCheck{*this, op, index});
}

Status ValidateConv2D(const OpCheck& c) { return ValidateConvolution<op_params::Conv2D>(c); }
Status ValidateDepthwiseConv2D(const OpCheck& c) { return ValidateConvolution<op_params::DepthwiseConv2D>(c); }

Status ValidateFullyConnected(const OpCheck& c) {
  using P = op_params::FullyConnected;
  if (!c.Counts(3, 1, P::kWords)) return c.Fail("op {op} ({name}, model op {c}): wrong number of inputs, outputs or parameters");
  const TensorInfo* in0 = c.input(0);
  const TensorInfo* filter = c.input(1);
  const TensorInfo* bias = c.input(2);
  const TensorInfo* out0 = c.output(0);
  if (!in0 || !filter || in0->dtype != DType::kInt8 || !IsWeightType(filter->dtype) || out0->dtype != DType::kInt8) return c.Fail("op {op} ({name}, model op {c}): input and output must be int8, the filter int8 or int4");
  const P p(c.op.params);
  const int32_t batches = p.batches(), accum = p.accum_depth(), depth = p.output_depth();
  if (batches < 1 || accum < 1 || depth < 1 || filter->kind != TensorKind::kConstant ||
      Elements(filter->shape) != int64_t(accum) * depth || filter->shape.dims[2] != depth ||
      Elements(in0->shape) != int64_t(batches) * accum || Elements(out0->shape) != int64_t(batches) * depth) {
    return c.Fail("op {op} ({name}, model op {c}): filter, input and output sizes do not fit batches x accum_depth x output_depth");
  }
  if (bias && (bias->dtype != DType::kInt32 || Elements(bias->shape) != depth || bias->kind != TensorKind::kConstant)) return c.Fail("op {op} ({name}, model op {c}): bias must be a constant int32 vector of output_depth");
  return c.CheckArrays<P>();
}

Status ValidateAdd(const OpCheck& c) {
  if (!c.Counts(2, 1, op_params::Add::kWords)) return c.Fail("op {op} ({name}, model op {c}): wrong number of inputs, outputs or parameters");
  const TensorInfo* in0 = c.input(0);
  const TensorInfo* in1 = c.input(1);
  const TensorInfo* out0 = c.output(0);
  if (!in0 || !in1 || in0->dtype != out0->dtype || in1->dtype != out0->dtype || (out0->dtype != DType::kInt8 && out0->dtype != DType::kInt16)) return c.Fail("op {op} ({name}, model op {c}): inputs and output must share int8 or int16");
  for (int d = 0; d < 4; ++d) {
    const int32_t a = in0->shape.dims[d], b = in1->shape.dims[d], o = out0->shape.dims[d];
    if ((a != b && a != 1 && b != 1) || o != (a > b ? a : b)) return c.Fail("op {op} ({name}, model op {c}): input shapes do not broadcast to the output shape");
  }
  return Status::Ok();
}

Status ValidateAveragePool2D(const OpCheck& c) { return ValidatePool<op_params::Pool2D>(c); }
Status ValidateMaxPool2D(const OpCheck& c) { return ValidatePool<op_params::MaxPool2D>(c); }

Status ValidateReshape(const OpCheck& c) {
  const TensorInfo* in0 = c.input(0);
  if (!c.Counts(1, 1, op_params::Reshape::kWords) || !in0 || in0->byte_size != c.output(0)->byte_size) return c.Fail("op {op} ({name}, model op {c}): input and output must have the same size");
  return Status::Ok();
}

Status ValidateSoftmax(const OpCheck& c) {
  const TensorInfo* in0 = c.input(0);
  if (!c.Counts(1, 1, op_params::Softmax::kWords) || !in0) return c.Fail("op {op} ({name}, model op {c}): wrong number of inputs, outputs or parameters");
  const TensorInfo* out0 = c.output(0);
  const bool ok = (in0->dtype == DType::kInt8 && (out0->dtype == DType::kInt8 || out0->dtype == DType::kInt16)) ||
                  (in0->dtype == DType::kInt16 && out0->dtype == DType::kInt16);
  if (!ok || Elements(in0->shape) != Elements(out0->shape)) return c.Fail("op {op} ({name}, model op {c}): unsupported dtypes or sizes differ");
  return Status::Ok();
}

Status ValidateQuantize(const OpCheck& c) {
  static_assert(op_params::QuantizeFromFloat::kOpcode == kQuantize, "op table and OpCode disagree");
  const TensorInfo* in0 = c.input(0);
  const TensorInfo* out0 = c.output(0);
  if (!in0 || !out0 || c.op.num_inputs != 1 || c.op.num_outputs != 1 || Elements(in0->shape) != Elements(out0->shape)) return c.Fail("op {op} ({name}, model op {c}): input and output sizes differ");
  const bool from_float = in0->dtype == DType::kFloat32;
  if (c.op.num_params != (from_float ? op_params::QuantizeFromFloat::kWords : op_params::Requantize::kWords)) return c.Fail("op {op} ({name}, model op {c}): wrong number of parameters");
  // Exactly the pairs op_eval.cc has a kernel for.
  const DType i = in0->dtype, o = out0->dtype;
  const bool ok = from_float ? (o == DType::kInt8 || o == DType::kUInt8 || o == DType::kInt16)
                : i == DType::kInt8 ? (o == DType::kInt8 || o == DType::kUInt8 || o == DType::kInt16 || o == DType::kInt32)
                : i == DType::kInt16 ? (o == DType::kInt8 || o == DType::kInt16 || o == DType::kInt32)
                : i == DType::kUInt8 && o == DType::kInt8;
  if (!ok) return c.Fail("op {op} ({name}, model op {c}): unsupported dtype pair");
  return Status::Ok();
}

Status ValidateDequantize(const OpCheck& c) {
  const TensorInfo* in0 = c.input(0);
  if (!c.Counts(1, 1, op_params::Dequantize::kWords) || !in0 || c.output(0)->dtype != DType::kFloat32 || Elements(in0->shape) != Elements(c.output(0)->shape) ||
      !(in0->dtype == DType::kInt8 || in0->dtype == DType::kUInt8 || in0->dtype == DType::kInt16)) return c.Fail("op {op} ({name}, model op {c}): needs an int8, uint8 or int16 input and a float32 output of the same size");
  return Status::Ok();
}

Status ValidatePad(const OpCheck& c) {
  const TensorInfo* in0 = c.input(0);
  if (!c.Counts(1, 1, op_params::Pad::kWords) || !in0 || in0->dtype != c.output(0)->dtype) return c.Fail("op {op} ({name}, model op {c}): needs one input and output of the same dtype");
  const op_params::Pad p(c.op.params);
  for (int d = 0; d < 4; ++d) {
    if (p.before()[d] < 0 || p.after()[d] < 0 || int64_t(in0->shape.dims[d]) + p.before()[d] + p.after()[d] != c.output(0)->shape.dims[d]) return c.Fail("op {op} ({name}, model op {c}): padding does not match the output shape");
  }
  return Status::Ok();
}

Status ValidateConcatenation(const OpCheck& c) {
  if (c.op.num_outputs != 1 || c.op.num_params != op_params::Concatenation::kWords || c.op.num_inputs < 1) return c.Fail("op {op} ({name}, model op {c}): wrong inputs, outputs or axis");
  const op_params::Concatenation p(c.op.params);
  if (p.axis() < 0 || p.axis() > 3) return c.Fail("op {op} ({name}, model op {c}): wrong inputs, outputs or axis");
  const TensorInfo* out0 = c.output(0);
  int64_t along = 0;
  for (int k = 0; k < c.op.num_inputs; ++k) {
    const TensorInfo* in = c.input(k);
    if (!in || in->dtype != out0->dtype) return c.Fail("op {op} ({name}, model op {c}): inputs must match the output dtype");
    for (int d = 0; d < 4; ++d) if (d != p.axis() && in->shape.dims[d] != out0->shape.dims[d]) return c.Fail("op {op} ({name}, model op {c}): input shapes do not fit the output");
    along += in->shape.dims[p.axis()];
  }
  if (along != out0->shape.dims[p.axis()]) return c.Fail("op {op} ({name}, model op {c}): inputs do not add up to the output along the axis");
  return Status::Ok();
}

Status ValidateMean(const OpCheck& c) {
  const TensorInfo* in0 = c.input(0);
  if (!c.Counts(2, 1, op_params::Mean::kWords) || !in0 || in0->dtype != c.output(0)->dtype || (in0->dtype != DType::kInt8 && in0->dtype != DType::kInt16)) return c.Fail("op {op} ({name}, model op {c}): needs int8 or int16 input and output");
  const TensorInfo* out0 = c.output(0);
  const TensorInfo* scratch = c.input(1);
  if (!scratch || scratch->kind != TensorKind::kScratch || scratch->byte_size < 4 * Elements(out0->shape)) return c.Fail("op {op} ({name}, model op {c}): scratch buffer missing or too small");
  const op_params::Mean p(c.op.params);
  if (p.num_axes() < 1 || p.num_axes() > 4) return c.Fail("op {op} ({name}, model op {c}): invalid axis count");
  int64_t reduced = 1;
  bool seen[4] = {false, false, false, false};
  for (int k = 0; k < p.num_axes(); ++k) {
    const int32_t axis = p.axes()[k];
    if (axis < 0 || axis > 3) return c.Fail("op {op} ({name}, model op {c}): invalid axis");
    if (!seen[axis]) reduced *= in0->shape.dims[axis];
    seen[axis] = true;
  }
  if (reduced < 1 || Elements(in0->shape) != reduced * Elements(out0->shape)) return c.Fail("op {op} ({name}, model op {c}): output size does not match the reduced input");
  return Status::Ok();
}

Status ValidateSvdf(const OpCheck& c) {
  if (!c.Counts(7, 1, op_params::Svdf::kWords)) return c.Fail("op {op} ({name}, model op {c}): wrong number of inputs, outputs or parameters");
  const TensorInfo* in0 = c.input(0);
  const TensorInfo* wf = c.input(1);
  const TensorInfo* wt = c.input(2);
  const TensorInfo* bias = c.input(3);
  const TensorInfo* state = c.input(4);
  const TensorInfo* s1 = c.input(5);
  const TensorInfo* s2 = c.input(6);
  const TensorInfo* out0 = c.output(0);
  const op_params::Svdf p(c.op.params);
  const int32_t batch = p.batch_size(), input_size = p.input_size(), filters = p.num_filters(), units = p.num_units(),
                memory = p.memory_size(), rank = p.rank();
  if (!in0 || !wf || !wt || !state || !s1 || !s2) return c.Fail("op {op} ({name}, model op {c}): missing tensor");
  if (batch < 1 || input_size < 1 || filters < 1 || units < 1 || memory < 1 || rank < 1 || int64_t(filters) != int64_t(units) * rank) return c.Fail("op {op} ({name}, model op {c}): invalid sizes");
  if (in0->dtype != DType::kInt8 || wf->dtype != DType::kInt8 || out0->dtype != DType::kInt8 || wt->dtype != state->dtype ||
      (wt->dtype != DType::kInt16 && wt->dtype != DType::kInt8)) return c.Fail("op {op} ({name}, model op {c}): unsupported dtypes");
  if (Elements(in0->shape) != int64_t(batch) * input_size || Elements(wf->shape) != int64_t(filters) * input_size ||
      Elements(wt->shape) != int64_t(filters) * memory || Elements(state->shape) != int64_t(batch) * memory * filters ||
      Elements(out0->shape) != int64_t(batch) * units || (bias && (bias->dtype != DType::kInt32 || Elements(bias->shape) != units))) {
    return c.Fail("op {op} ({name}, model op {c}): tensor sizes do not fit the SVDF dimensions");
  }
  if (s1->byte_size < 4 * int64_t(batch) * filters || s2->byte_size < 4 * int64_t(batch) * units) return c.Fail("op {op} ({name}, model op {c}): scratch buffers too small");
  return Status::Ok();
}

}  // namespace cleave
