#include "interp/program.h"

#include <cstring>

#include "common/crc32.h"

namespace cleave {

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
  if (size < kHeaderBytes) return Status::Error(StatusCode::kProgramInvalid, "Program is {a} bytes, shorter than its {b}-byte header").A(size).B(kHeaderBytes);
  if (std::memcmp(bytes, "CLVP", 4) != 0) return Status::Error(StatusCode::kProgramInvalid, "not a cleave Program (magic is not \"CLVP\")").Offset(0);
  *tensor_count = ReadU32(bytes + 20);
  *op_count = ReadU32(bytes + 28);
  // Each tensor and op takes at least its fixed record in the file, which bounds both counts.
  if (*tensor_count > size / kTensorRecordBytes || *op_count > size / kOpHeaderBytes) {
    return Status::Error(StatusCode::kProgramInvalid, "tensor count {a} or op count {b} cannot fit in {c} bytes").A(*tensor_count).B(*op_count).C(size);
  }
  return Status::Ok();
}

Status Program::Load(const uint8_t* bytes, size_t size, TensorInfo* tensors, size_t max_tensors, OpView* ops,
                     size_t max_ops, const OpResolver& resolver) {
  resolver_ = &resolver;
  bytes_ = bytes;
  size_ = size;
  tensors_ = tensors;
  ops_ = ops;
  uint32_t tc = 0, oc = 0;
  Status s = PeekCounts(bytes, size, &tc, &oc);
  if (!s.ok()) return s;
  const uint32_t major = bytes[4] | (bytes[5] << 8);
  const uint32_t minor = bytes[6] | (bytes[7] << 8);
  if (major != kProgramMajor) return Status::Error(StatusCode::kProgramVersion, "Program format {a}.{b} is not supported (expected {c}.x)").A(major).B(minor).C(kProgramMajor);
  const uint32_t total = ReadU32(bytes + 8);
  if (total != size) return Status::Error(StatusCode::kProgramInvalid, "header says {a} bytes but the Program has {b} (truncated or padded)").A(total).B(size);
  const uint32_t stored = ReadU32(bytes + 12);
  const uint32_t actual = Crc32(bytes + 16, size - 16);
  if (stored != actual) return Status::Error(StatusCode::kProgramChecksum, "checksum mismatch: header {a}, contents {b} (damaged Program)").A(stored).B(actual);
  if (tc > max_tensors || oc > max_ops) return Status::Error(StatusCode::kProgramTooLarge, "Program has {a} tensors and {b} ops, above the capacity of {c} tensors").A(tc).B(oc).C(max_tensors);
  arena_bytes_ = ReadU32(bytes + 16);
  tensor_count_ = tc;
  op_count_ = oc;
  tensor_table_ = ReadU32(bytes + 24);
  op_table_ = ReadU32(bytes + 32);
  const uint32_t io = ReadU32(bytes + 36);
  const uint32_t const_offset = ReadU32(bytes + 40);
  const_size_ = ReadU32(bytes + 44);
  if (const_offset % 16 != 0 || const_offset > size || const_size_ > size - const_offset) {
    return Status::Error(StatusCode::kProgramInvalid, "constant blob [{offset}, +{a}) is misaligned or outside the Program").Offset(const_offset).A(const_size_);
  }
  const_ = bytes + const_offset;
  if (io % 4 != 0 || io > size || size - io < 8) return Status::Error(StatusCode::kProgramInvalid, "input/output table at byte offset {offset} is outside the Program").Offset(io);
  io_ = bytes + io;
  input_count_ = ReadU32(io_);
  output_count_ = ReadU32(io_ + 4);
  if (input_count_ > tc || output_count_ > tc || (size - io - 8) / 4 < uint64_t(input_count_) + output_count_) {
    return Status::Error(StatusCode::kProgramInvalid, "input/output table at byte offset {offset} is malformed").Offset(io);
  }
  if (!(s = LoadTensors()).ok()) return s;
  for (uint32_t i = 0; i < input_count_ + output_count_; ++i) {
    const uint32_t id = ReadU32(io_ + 8 + 4 * i);
    if (id >= tc) return Status::Error(StatusCode::kProgramInvalid, "subgraph input/output {a} refers to tensor {b} of {c}").A(i).B(id).C(tc);
    if (tensors_[id].kind == TensorKind::kConstant || tensors_[id].kind == TensorKind::kScratch) {
      return Status::Error(StatusCode::kProgramInvalid, "subgraph input/output tensor {tensor} is not an activation").Tensor(id);
    }
  }
  return LoadOps();
}

Status Program::LoadTensors() {
  if (tensor_table_ % 4 != 0 || tensor_table_ > size_ || (size_ - tensor_table_) / kTensorRecordBytes < tensor_count_) {
    return Status::Error(StatusCode::kProgramInvalid, "tensor table ({a} records at byte offset {offset}) runs past the end").A(tensor_count_).Offset(tensor_table_);
  }
  for (uint32_t i = 0; i < tensor_count_; ++i) {
    const uint8_t* r = bytes_ + tensor_table_ + i * kTensorRecordBytes;
    TensorInfo& t = tensors_[i];
    const uint8_t dtype = r[0], rank = r[1], kind = r[2];
    if (dtype < 1 || dtype > 8) return Status::Error(StatusCode::kProgramInvalid, "tensor {tensor} (byte offset {offset}): unknown dtype code {a}").Tensor(i).Offset(r - bytes_).A(dtype);
    if (kind > 3) return Status::Error(StatusCode::kProgramInvalid, "tensor {tensor} (byte offset {offset}): unknown kind {a}").Tensor(i).Offset(r - bytes_).A(kind);
    if (rank > 4) return Status::Error(StatusCode::kProgramInvalid, "tensor {tensor}: rank {a} is above 4").Tensor(i).A(rank);
    t.dtype = static_cast<DType>(dtype);
    t.kind = static_cast<TensorKind>(kind);
    t.shape.rank = rank;
    int64_t count = 1;
    for (int d = 0; d < 4; ++d) t.shape.dims[d] = 1;
    for (int d = 0; d < rank; ++d) {
      const int32_t v = static_cast<int32_t>(ReadU32(r + 4 + 4 * d));
      if (v < 0 || v > (1 << 24)) return Status::Error(StatusCode::kProgramInvalid, "tensor {tensor}: dimension {a} is {b}").Tensor(i).A(d).B(v);
      t.shape.dims[4 - rank + d] = v;
      count *= v;
    }
    t.offset = ReadU32(r + 20);
    t.byte_size = ReadU32(r + 24);
    std::memcpy(&t.scale, r + 28, 4);
    t.zero_point = static_cast<int32_t>(ReadU32(r + 32));
    t.source_index = static_cast<int32_t>(ReadU32(r + 36));
    if (int64_t(t.byte_size) != ByteSize(t.dtype, count)) {
      return Status::Error(StatusCode::kProgramInvalid, "tensor {tensor}: {a} bytes do not match its shape ({b} elements of dtype {c})")
          .Tensor(i).A(t.byte_size).B(count).C(dtype);
    }
    if (t.dtype == DType::kInt4 && t.kind != TensorKind::kConstant) return Status::Error(StatusCode::kProgramInvalid, "tensor {tensor}: int4 is only supported for constant weights").Tensor(i);
    const uint64_t end = uint64_t(t.offset) + t.byte_size;
    if (t.kind == TensorKind::kConstant) {
      if (end > const_size_ || t.offset % 4 != 0) return Status::Error(StatusCode::kProgramInvalid, "constant tensor {tensor} [{a}, +{b}) lies outside the {c}-byte constant blob").Tensor(i).A(t.offset).B(t.byte_size).C(const_size_);
    } else if (end > arena_bytes_ || t.offset % 4 != 0) {
      return Status::Error(StatusCode::kProgramInvalid, "tensor {tensor} [{a}, +{b}) lies outside the {c}-byte arena").Tensor(i).A(t.offset).B(t.byte_size).C(arena_bytes_);
    }
  }
  return Status::Ok();
}

Status Program::LoadOps() {
  uint64_t at = op_table_;
  for (uint32_t i = 0; i < op_count_; ++i) {
    if (at % 4 != 0 || at + kOpHeaderBytes > size_) return Status::Error(StatusCode::kProgramInvalid, "op {op} header at byte offset {offset} runs past the end").Op(i, 0).Offset(at);
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
      return Status::Error(StatusCode::kProgramInvalid, "op {op} ({name}) record at byte offset {offset} has size {a}, expected {b} within the Program")
          .Op(i, op.opcode).Offset(at).A(record_size).B(need);
    }
    op.inputs = reinterpret_cast<const int32_t*>(r + kOpHeaderBytes);
    op.outputs = op.inputs + op.num_inputs;
    op.params = op.outputs + op.num_outputs;
    for (uint32_t k = 0; k < uint32_t(op.num_inputs) + op.num_outputs; ++k) {
      const int32_t id = op.inputs[k];
      const bool is_output = k >= op.num_inputs;
      if (id < -1 || id >= int32_t(tensor_count_) || (is_output && id < 0)) return Status::Error(StatusCode::kProgramInvalid, "op {op} ({name}): tensor id {a} out of range").Op(i, op.opcode).A(id);
      if (is_output && tensors_[id].kind == TensorKind::kConstant) return Status::Error(StatusCode::kProgramInvalid, "op {op} ({name}) writes constant tensor {tensor}").Op(i, op.opcode).Tensor(id);
    }
    Status s = ValidateOp(op, i);
    if (!s.ok()) return s;
    at += need;
  }
  return Status::Ok();
}

}  // namespace cleave
