#include "interp/program.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "common/crc32.h"

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

Status Status::Error(const char* fmt, ...) {
  Status s;
  s.ok = false;
  va_list args;
  va_start(args, fmt);
  vsnprintf(s.message, sizeof(s.message), fmt, args);
  va_end(args);
  return s;
}

const char* OpName(uint16_t opcode) {
  switch (opcode) {
    case kConv2D: return "CONV_2D";
    case kDepthwiseConv2D: return "DEPTHWISE_CONV_2D";
    case kFullyConnected: return "FULLY_CONNECTED";
    case kAdd: return "ADD";
    case kAveragePool2D: return "AVERAGE_POOL_2D";
    case kMaxPool2D: return "MAX_POOL_2D";
    case kReshape: return "RESHAPE";
    case kSoftmax: return "SOFTMAX";
    case kQuantize: return "QUANTIZE";
    case kDequantize: return "DEQUANTIZE";
    case kPad: return "PAD";
    case kConcatenation: return "CONCATENATION";
    case kMean: return "MEAN";
    case kSvdf: return "SVDF";
    default: return "unknown op";
  }
}

int32_t DTypeSize(DType t) {
  switch (t) {
    case DType::kInt8: case DType::kUInt8: case DType::kBool: return 1;
    case DType::kInt16: return 2;
    case DType::kInt32: case DType::kFloat32: return 4;
    case DType::kInt64: return 8;
    case DType::kInt4: return 0;
  }
  return 0;
}

int64_t ByteSize(DType t, int64_t elements) {
  return t == DType::kInt4 ? (elements + 1) / 2 : elements * DTypeSize(t);
}

Status Program::PeekCounts(const uint8_t* bytes, size_t size, uint32_t* tensor_count, uint32_t* op_count) {
  if (size < kHeaderBytes) return Status::Error("Program is %zu bytes, shorter than its %zu-byte header", size, kHeaderBytes);
  if (std::memcmp(bytes, "CLVP", 4) != 0) return Status::Error("not a cleave Program (magic is not \"CLVP\")");
  *tensor_count = ReadU32(bytes + 20);
  *op_count = ReadU32(bytes + 28);
  // Each tensor and op takes at least its fixed record in the file, which bounds both counts.
  if (*tensor_count > size / kTensorRecordBytes || *op_count > size / kOpHeaderBytes) {
    return Status::Error("tensor count %u or op count %u cannot fit in %zu bytes", *tensor_count, *op_count, size);
  }
  return Status::Ok();
}

Status Program::Load(const uint8_t* bytes, size_t size, TensorInfo* tensors, size_t max_tensors, OpView* ops,
                     size_t max_ops) {
  bytes_ = bytes;
  size_ = size;
  tensors_ = tensors;
  ops_ = ops;
  uint32_t tc = 0, oc = 0;
  Status s = PeekCounts(bytes, size, &tc, &oc);
  if (!s.ok) return s;
  const uint32_t major = bytes[4] | (bytes[5] << 8);
  const uint32_t minor = bytes[6] | (bytes[7] << 8);
  if (major != kProgramMajor) return Status::Error("Program format %u.%u is not supported (expected %u.x)", major, minor, kProgramMajor);
  const uint32_t total = ReadU32(bytes + 8);
  if (total != size) return Status::Error("header says %u bytes but the Program has %zu (truncated or padded)", total, size);
  const uint32_t stored = ReadU32(bytes + 12);
  const uint32_t actual = Crc32(bytes + 16, size - 16);
  if (stored != actual) return Status::Error("checksum mismatch: header 0x%08x, contents 0x%08x (damaged Program)", stored, actual);
  if (tc > max_tensors || oc > max_ops) return Status::Error("Program has %u tensors and %u ops, above the limits %zu and %zu", tc, oc, max_tensors, max_ops);
  arena_bytes_ = ReadU32(bytes + 16);
  tensor_count_ = tc;
  op_count_ = oc;
  tensor_table_ = ReadU32(bytes + 24);
  op_table_ = ReadU32(bytes + 32);
  const uint32_t io = ReadU32(bytes + 36);
  const uint32_t const_offset = ReadU32(bytes + 40);
  const_size_ = ReadU32(bytes + 44);
  if (const_offset % 16 != 0 || const_offset > size || const_size_ > size - const_offset) {
    return Status::Error("constant blob [%u, +%u) is misaligned or outside the Program", const_offset, const_size_);
  }
  const_ = bytes + const_offset;
  if (io % 4 != 0 || io > size || size - io < 8) return Status::Error("input/output table at byte offset %u is outside the Program", io);
  io_ = bytes + io;
  input_count_ = ReadU32(io_);
  output_count_ = ReadU32(io_ + 4);
  if (input_count_ > tc || output_count_ > tc || (size - io - 8) / 4 < uint64_t(input_count_) + output_count_) {
    return Status::Error("input/output table at byte offset %u is malformed", io);
  }
  if ((s = LoadTensors()).ok == false) return s;
  for (uint32_t i = 0; i < input_count_ + output_count_; ++i) {
    const uint32_t id = ReadU32(io_ + 8 + 4 * i);
    if (id >= tc) return Status::Error("subgraph %s %u refers to tensor %u of %u", i < input_count_ ? "input" : "output", i, id, tc);
    if (tensors_[id].kind == TensorKind::kConstant || tensors_[id].kind == TensorKind::kScratch) {
      return Status::Error("subgraph input/output tensor %u is not an activation", id);
    }
  }
  return LoadOps();
}

Status Program::LoadTensors() {
  if (tensor_table_ % 4 != 0 || tensor_table_ > size_ || (size_ - tensor_table_) / kTensorRecordBytes < tensor_count_) {
    return Status::Error("tensor table (%u records at byte offset %u) runs past the end", tensor_count_, tensor_table_);
  }
  for (uint32_t i = 0; i < tensor_count_; ++i) {
    const uint8_t* r = bytes_ + tensor_table_ + i * kTensorRecordBytes;
    TensorInfo& t = tensors_[i];
    const uint8_t dtype = r[0], rank = r[1], kind = r[2];
    if (dtype < 1 || dtype > 8) return Status::Error("tensor %u (byte offset %zu): unknown dtype code %u", i, size_t(r - bytes_), dtype);
    if (kind > 3) return Status::Error("tensor %u (byte offset %zu): unknown kind %u", i, size_t(r - bytes_), kind);
    if (rank > 4) return Status::Error("tensor %u: rank %u is above 4", i, rank);
    t.dtype = static_cast<DType>(dtype);
    t.kind = static_cast<TensorKind>(kind);
    t.shape.rank = rank;
    int64_t count = 1;
    for (int d = 0; d < 4; ++d) t.shape.dims[d] = 1;
    for (int d = 0; d < rank; ++d) {
      const int32_t v = static_cast<int32_t>(ReadU32(r + 4 + 4 * d));
      if (v < 0 || v > (1 << 24)) return Status::Error("tensor %u: dimension %d is %d", i, d, v);
      t.shape.dims[4 - rank + d] = v;
      count *= v;
    }
    t.offset = ReadU32(r + 20);
    t.byte_size = ReadU32(r + 24);
    std::memcpy(&t.scale, r + 28, 4);
    t.zero_point = static_cast<int32_t>(ReadU32(r + 32));
    t.source_index = static_cast<int32_t>(ReadU32(r + 36));
    if (int64_t(t.byte_size) != ByteSize(t.dtype, count)) {
      return Status::Error("tensor %u: %u bytes do not match its shape (%lld elements of dtype %u)", i, t.byte_size,
                           static_cast<long long>(count), dtype);
    }
    if (t.dtype == DType::kInt4 && t.kind != TensorKind::kConstant) return Status::Error("tensor %u: int4 is only supported for constant weights", i);
    const uint64_t end = uint64_t(t.offset) + t.byte_size;
    if (t.kind == TensorKind::kConstant) {
      if (end > const_size_ || t.offset % 4 != 0) return Status::Error("constant tensor %u [%u, +%u) lies outside the %u-byte constant blob", i, t.offset, t.byte_size, const_size_);
    } else if (end > arena_bytes_ || t.offset % 4 != 0) {
      return Status::Error("tensor %u [%u, +%u) lies outside the %u-byte arena", i, t.offset, t.byte_size, arena_bytes_);
    }
  }
  return Status::Ok();
}

Status Program::LoadOps() {
  uint64_t at = op_table_;
  for (uint32_t i = 0; i < op_count_; ++i) {
    if (at % 4 != 0 || at + kOpHeaderBytes > size_) return Status::Error("op %u header at byte offset %llu runs past the end", i, static_cast<unsigned long long>(at));
    const uint8_t* r = bytes_ + at;
    OpView& op = ops_[i];
    op.opcode = r[0] | (r[1] << 8);
    const uint32_t record_size = ReadU32(r + 4);
    op.source_index = static_cast<int32_t>(ReadU32(r + 8));
    op.num_inputs = r[12] | (r[13] << 8);
    op.num_outputs = r[14] | (r[15] << 8);
    op.num_params = r[16] | (r[17] << 8);
    const uint64_t need = kOpHeaderBytes + 4ull * (op.num_inputs + op.num_outputs + op.num_params);
    if (record_size != need || at + need > size_) {
      return Status::Error("op %u (%s) record at byte offset %llu has size %u, expected %llu within the Program", i, OpName(op.opcode),
                           static_cast<unsigned long long>(at), record_size, static_cast<unsigned long long>(need));
    }
    op.inputs = reinterpret_cast<const int32_t*>(r + kOpHeaderBytes);
    op.outputs = op.inputs + op.num_inputs;
    op.params = op.outputs + op.num_outputs;
    for (uint32_t k = 0; k < uint32_t(op.num_inputs) + op.num_outputs; ++k) {
      const int32_t id = op.inputs[k];
      const bool is_output = k >= op.num_inputs;
      if (id < -1 || id >= int32_t(tensor_count_) || (is_output && id < 0)) return Status::Error("op %u (%s): tensor id %d out of range", i, OpName(op.opcode), id);
      if (is_output && tensors_[id].kind == TensorKind::kConstant) return Status::Error("op %u (%s) writes constant tensor %d", i, OpName(op.opcode), id);
    }
    Status s = ValidateOp(op, i);
    if (!s.ok) return s;
    at += need;
  }
  return Status::Ok();
}

Status Program::CheckArray(const OpView& op, uint32_t index, int32_t offset, int32_t count) const {
  if (offset < 0 || count < 0 || offset % 4 != 0 || uint64_t(offset) + 4ull * count > const_size_) {
    return Status::Error("op %u (%s): parameter array [%d, +%d words] lies outside the constant blob", index, OpName(op.opcode), offset, count);
  }
  return Status::Ok();
}

// Checks everything a kernel relies on to stay inside its buffers: counts, dtypes, shapes and arrays.
Status Program::ValidateOp(const OpView& op, uint32_t index) const {
  const char* name = OpName(op.opcode);
  auto t = [&](int32_t id) -> const TensorInfo* { return id >= 0 ? &tensors_[id] : nullptr; };
  auto fail = [&](const char* what) { return Status::Error("op %u (%s, model op %d): %s", index, name, op.source_index, what); };
  auto counts = [&](int in, int out, int params) { return op.num_inputs == in && op.num_outputs == out && op.num_params == params; };
  const TensorInfo* in0 = op.num_inputs > 0 ? t(op.inputs[0]) : nullptr;
  const TensorInfo* out0 = op.num_outputs > 0 ? t(op.outputs[0]) : nullptr;
  if (op.num_outputs > 0 && !out0) return fail("missing output");
  const int32_t* p = op.params;
  switch (op.opcode) {
    case kConv2D:
    case kDepthwiseConv2D: {
      const bool dw = op.opcode == kDepthwiseConv2D;
      if (!counts(3, 1, dw ? 13 : 12)) return fail("wrong number of inputs, outputs or parameters");
      const TensorInfo* filter = t(op.inputs[1]);
      const TensorInfo* bias = t(op.inputs[2]);
      if (!in0 || !filter || in0->dtype != DType::kInt8 || !IsWeightType(filter->dtype) || out0->dtype != DType::kInt8) return fail("input and output must be int8, the filter int8 or int4");
      if (filter->kind != TensorKind::kConstant) return fail("filter must be constant");
      const int32_t out_c = out0->shape.dims[3];
      if (bias && (bias->dtype != DType::kInt32 || Elements(bias->shape) != out_c || bias->kind != TensorKind::kConstant)) return fail("bias must be a constant int32 vector of output channels");
      if (in0->shape.dims[0] != out0->shape.dims[0]) return fail("batch sizes differ");
      if (!WindowFits(out0->shape.dims[1], p[0], filter->shape.dims[1], p[2], p[4]) ||
          !WindowFits(out0->shape.dims[2], p[1], filter->shape.dims[2], p[3], p[5])) return fail("invalid stride, dilation or padding");
      if (dw) {
        if (p[12] < 1 || filter->shape.dims[0] != 1 || filter->shape.dims[3] != out_c || int64_t(in0->shape.dims[3]) * p[12] != out_c) return fail("filter shape does not fit channels and depth multiplier");
      } else if (filter->shape.dims[0] != out_c || filter->shape.dims[3] != in0->shape.dims[3]) {
        return fail("filter shape does not fit input and output channels");
      }
      Status s = CheckArray(op, index, p[10], out_c);
      if (s.ok) s = CheckArray(op, index, p[11], out_c);
      return s;
    }
    case kFullyConnected: {
      if (!counts(3, 1, 11)) return fail("wrong number of inputs, outputs or parameters");
      const TensorInfo* filter = t(op.inputs[1]);
      const TensorInfo* bias = t(op.inputs[2]);
      if (!in0 || !filter || in0->dtype != DType::kInt8 || !IsWeightType(filter->dtype) || out0->dtype != DType::kInt8) return fail("input and output must be int8, the filter int8 or int4");
      const int32_t batches = p[8], accum = p[9], depth = p[10];
      if (batches < 1 || accum < 1 || depth < 1 || filter->kind != TensorKind::kConstant ||
          Elements(filter->shape) != int64_t(accum) * depth || filter->shape.dims[2] != depth ||
          Elements(in0->shape) != int64_t(batches) * accum || Elements(out0->shape) != int64_t(batches) * depth) {
        return fail("filter, input and output sizes do not fit batches x accum_depth x output_depth");
      }
      if (bias && (bias->dtype != DType::kInt32 || Elements(bias->shape) != depth || bias->kind != TensorKind::kConstant)) return fail("bias must be a constant int32 vector of output_depth");
      Status s = CheckArray(op, index, p[6], p[5] ? depth : 1);
      if (s.ok) s = CheckArray(op, index, p[7], p[5] ? depth : 1);
      return s;
    }
    case kAdd: {
      if (!counts(2, 1, 12)) return fail("wrong number of inputs, outputs or parameters");
      const TensorInfo* in1 = t(op.inputs[1]);
      if (!in0 || !in1 || in0->dtype != out0->dtype || in1->dtype != out0->dtype || (out0->dtype != DType::kInt8 && out0->dtype != DType::kInt16)) return fail("inputs and output must share int8 or int16");
      for (int d = 0; d < 4; ++d) {
        const int32_t a = in0->shape.dims[d], b = in1->shape.dims[d], o = out0->shape.dims[d];
        if ((a != b && a != 1 && b != 1) || o != (a > b ? a : b)) return fail("input shapes do not broadcast to the output shape");
      }
      return Status::Ok();
    }
    case kAveragePool2D:
    case kMaxPool2D: {
      if (!counts(1, 1, 8)) return fail("wrong number of inputs, outputs or parameters");
      if (!in0 || in0->dtype != DType::kInt8 || out0->dtype != DType::kInt8) return fail("input and output must be int8");
      if (in0->shape.dims[0] != out0->shape.dims[0] || in0->shape.dims[3] != out0->shape.dims[3]) return fail("batch or channels differ");
      if (!WindowFits(out0->shape.dims[1], p[0], p[2], 1, p[4]) || !WindowFits(out0->shape.dims[2], p[1], p[3], 1, p[5])) {
        return fail("invalid stride, filter or padding");
      }
      return Status::Ok();
    }
    case kReshape:
      if (!counts(1, 1, 0) || !in0 || in0->byte_size != out0->byte_size) return fail("input and output must have the same size");
      return Status::Ok();
    case kSoftmax: {
      if (!counts(1, 1, 4) || !in0) return fail("wrong number of inputs, outputs or parameters");
      const bool ok = (in0->dtype == DType::kInt8 && (out0->dtype == DType::kInt8 || out0->dtype == DType::kInt16)) ||
                      (in0->dtype == DType::kInt16 && out0->dtype == DType::kInt16);
      if (!ok || Elements(in0->shape) != Elements(out0->shape)) return fail("unsupported dtypes or sizes differ");
      return Status::Ok();
    }
    case kQuantize: {
      if (!in0 || op.num_inputs != 1 || op.num_outputs != 1 || Elements(in0->shape) != Elements(out0->shape)) return fail("input and output sizes differ");
      const bool from_float = in0->dtype == DType::kFloat32;
      if (op.num_params != (from_float ? 2 : 4)) return fail("wrong number of parameters");
      const DType o = out0->dtype;
      const bool out_ok = o == DType::kInt8 || o == DType::kUInt8 || o == DType::kInt16 || (!from_float && o == DType::kInt32);
      const bool in_ok = from_float || in0->dtype == DType::kInt8 || in0->dtype == DType::kUInt8 || in0->dtype == DType::kInt16;
      if (!out_ok || !in_ok) return fail("unsupported dtype pair");
      return Status::Ok();
    }
    case kDequantize:
      if (!counts(1, 1, 3) || !in0 || out0->dtype != DType::kFloat32 || Elements(in0->shape) != Elements(out0->shape) ||
          !(in0->dtype == DType::kInt8 || in0->dtype == DType::kUInt8 || in0->dtype == DType::kInt16)) return fail("needs an int8, uint8 or int16 input and a float32 output of the same size");
      return Status::Ok();
    case kPad: {
      if (!counts(1, 1, 9) || !in0 || in0->dtype != out0->dtype) return fail("needs one input and output of the same dtype");
      for (int d = 0; d < 4; ++d) {
        if (p[d] < 0 || p[4 + d] < 0 || int64_t(in0->shape.dims[d]) + p[d] + p[4 + d] != out0->shape.dims[d]) return fail("padding does not match the output shape");
      }
      return Status::Ok();
    }
    case kConcatenation: {
      if (op.num_outputs != 1 || op.num_params != 1 || op.num_inputs < 1 || p[0] < 0 || p[0] > 3) return fail("wrong inputs, outputs or axis");
      int64_t along = 0;
      for (int k = 0; k < op.num_inputs; ++k) {
        const TensorInfo* in = t(op.inputs[k]);
        if (!in || in->dtype != out0->dtype) return fail("inputs must match the output dtype");
        for (int d = 0; d < 4; ++d) if (d != p[0] && in->shape.dims[d] != out0->shape.dims[d]) return fail("input shapes do not fit the output");
        along += in->shape.dims[p[0]];
      }
      if (along != out0->shape.dims[p[0]]) return fail("inputs do not add up to the output along the axis");
      return Status::Ok();
    }
    case kMean: {
      if (!counts(2, 1, 10) || !in0 || in0->dtype != out0->dtype || (in0->dtype != DType::kInt8 && in0->dtype != DType::kInt16)) return fail("needs int8 or int16 input and output");
      const TensorInfo* scratch = t(op.inputs[1]);
      if (!scratch || scratch->kind != TensorKind::kScratch || scratch->byte_size < 4 * Elements(out0->shape)) return fail("scratch buffer missing or too small");
      if (p[5] < 1 || p[5] > 4) return fail("invalid axis count");
      int64_t reduced = 1;
      bool seen[4] = {false, false, false, false};
      for (int k = 0; k < p[5]; ++k) {
        if (p[6 + k] < 0 || p[6 + k] > 3) return fail("invalid axis");
        if (!seen[p[6 + k]]) reduced *= in0->shape.dims[p[6 + k]];
        seen[p[6 + k]] = true;
      }
      if (reduced < 1 || Elements(in0->shape) != reduced * Elements(out0->shape)) return fail("output size does not match the reduced input");
      return Status::Ok();
    }
    case kSvdf: {
      if (!counts(7, 1, 13)) return fail("wrong number of inputs, outputs or parameters");
      const TensorInfo* wf = t(op.inputs[1]);
      const TensorInfo* wt = t(op.inputs[2]);
      const TensorInfo* bias = t(op.inputs[3]);
      const TensorInfo* state = t(op.inputs[4]);
      const TensorInfo* s1 = t(op.inputs[5]);
      const TensorInfo* s2 = t(op.inputs[6]);
      const int32_t batch = p[0], input_size = p[1], filters = p[2], units = p[3], memory = p[4], rank = p[5];
      if (!in0 || !wf || !wt || !state || !s1 || !s2) return fail("missing tensor");
      if (batch < 1 || input_size < 1 || filters < 1 || units < 1 || memory < 1 || rank < 1 || int64_t(filters) != int64_t(units) * rank) return fail("invalid sizes");
      if (in0->dtype != DType::kInt8 || wf->dtype != DType::kInt8 || out0->dtype != DType::kInt8 || wt->dtype != state->dtype ||
          (wt->dtype != DType::kInt16 && wt->dtype != DType::kInt8)) return fail("unsupported dtypes");
      if (Elements(in0->shape) != int64_t(batch) * input_size || Elements(wf->shape) != int64_t(filters) * input_size ||
          Elements(wt->shape) != int64_t(filters) * memory || Elements(state->shape) != int64_t(batch) * memory * filters ||
          Elements(out0->shape) != int64_t(batch) * units || (bias && (bias->dtype != DType::kInt32 || Elements(bias->shape) != units))) {
        return fail("tensor sizes do not fit the SVDF dimensions");
      }
      if (s1->byte_size < 4 * int64_t(batch) * filters || s2->byte_size < 4 * int64_t(batch) * units) return fail("scratch buffers too small");
      return Status::Ok();
    }
    default:
      return Status::Error("op %u: unknown opcode %u", index, op.opcode);
  }
}

}  // namespace cleave
