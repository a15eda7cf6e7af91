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

Status ProgramStreamVerifier::Fail(const Status& s) {
  error_ = s;
  return s;
}

Status ProgramStreamVerifier::CheckHeader() {
  if (std::memcmp(header_, "CLVP", 4) != 0) return Status::Error(StatusCode::kProgramInvalid, "not a cleave Program (magic is not \"CLVP\")").Offset(0);
  const uint32_t major = header_[4] | (header_[5] << 8);
  if (major != kProgramFormatV2) return Status::Error(StatusCode::kProgramVersion, "Program format {a}.{b} cannot be verified as a stream (expected {c}.x)").A(major).B(header_[6] | (header_[7] << 8)).C(kProgramFormatV2);
  const uint32_t stored = Program::ReadU32(header_ + 60), actual = Crc32(header_, 60);
  if (stored != actual) return Status::Error(StatusCode::kProgramChecksum, "checksum mismatch in the header: stored {a}, contents {b} (damaged Program)").Offset(0).A(stored).B(actual);
  for (size_t at = 32; at < 60; ++at) {
    if (header_[at] != 0) return Status::Error(StatusCode::kProgramInvalid, "reserved header byte at offset {offset} is {a}, not 0").Offset(at).A(header_[at]);
  }
  total_ = Program::ReadU32(header_ + 8);
  section_count_ = Program::ReadU32(header_ + 12);
  if (section_count_ < 1 || section_count_ > kMaxSections) return Status::Error(StatusCode::kProgramInvalid, "section count {a} is not between 1 and {b}").Offset(12).A(section_count_).B(kMaxSections);
  if (total_ < kHeaderBytes + section_count_ * kSectionEntryBytes) return Status::Error(StatusCode::kProgramInvalid, "total size {a} cannot hold the header and {b} section entries").Offset(8).A(total_).B(section_count_);
  return Status::Ok();
}

Status ProgramStreamVerifier::CheckTable() {
  const uint32_t table_bytes = section_count_ * kSectionEntryBytes;
  // The entries arrived as raw bytes in sections_ itself; each is decoded in place below.
  const uint8_t* raw = reinterpret_cast<const uint8_t*>(sections_);
  const uint32_t stored = Program::ReadU32(header_ + 24), actual = Crc32(raw, table_bytes);
  if (stored != actual) return Status::Error(StatusCode::kProgramChecksum, "checksum mismatch in the section table: stored {a}, contents {b} (damaged Program)").Offset(kHeaderBytes).A(stored).B(actual);
  uint64_t end = kHeaderBytes + table_bytes;
  uint32_t seen = 0;  // bit per known kind
  for (uint32_t i = 0; i < section_count_; ++i) {
    const uint8_t* e = raw + i * kSectionEntryBytes;
    const ProgramSection decoded = {Program::ReadU32(e), Program::ReadU32(e + 4), Program::ReadU32(e + 8), Program::ReadU32(e + 12)};
    ProgramSection& s = sections_[i];
    s = decoded;
    const uint32_t align = s.kind == uint32_t(SectionKind::kConstants) ? 16 : 4;
    if (s.offset < end || s.offset % align != 0 || uint64_t(s.offset) + s.size > total_) {
      return Status::Error(StatusCode::kProgramInvalid, "section {a} (kind {c}) at byte offset {offset}, {b} bytes: overlaps the one before, is misaligned or runs past the end")
          .Offset(s.offset).A(i).B(s.size).C(s.kind);
    }
    if (s.kind >= uint32_t(SectionKind::kNames) && s.kind <= uint32_t(SectionKind::kIo)) {
      if (seen & (1u << s.kind)) return Status::Error(StatusCode::kProgramInvalid, "section {a}: a second section of kind {b}").Offset(kHeaderBytes + i * kSectionEntryBytes).A(i).B(s.kind);
      seen |= 1u << s.kind;
    }
    end = uint64_t(s.offset) + s.size;
  }
  return Status::Ok();
}

size_t ProgramStreamVerifier::ConsumeBody(const uint8_t* data, size_t size) {
  // Inside a section: checksum up to its end. Before one (or after the last): padding, all zero.
  const bool in_section = next_section_ < section_count_ && position_ >= sections_[next_section_].offset;
  const uint32_t boundary = next_section_ >= section_count_ ? total_
                            : in_section ? sections_[next_section_].offset + sections_[next_section_].size
                                         : sections_[next_section_].offset;
  const size_t n = boundary - position_ < size ? boundary - position_ : size;
  if (in_section) {
    crc_ = Crc32(data, n, crc_);
  } else {
    for (size_t k = 0; k < n; ++k) {
      if (data[k] != 0) {
        Fail(Status::Error(StatusCode::kProgramInvalid, "padding byte at offset {offset} is {a}, not 0").Offset(position_ + k).A(data[k]));
        return 0;
      }
    }
  }
  position_ += static_cast<uint32_t>(n);
  if (in_section && position_ == boundary) {
    const ProgramSection& s = sections_[next_section_];
    if (crc_ != s.crc) {
      Fail(Status::Error(StatusCode::kProgramChecksum, "checksum mismatch in section {a} at byte offset {offset}: stored {b}, contents {c} (damaged Program)")
               .Offset(s.offset).A(next_section_).B(s.crc).C(crc_));
      return 0;
    }
    ++next_section_;
    crc_ = 0;
  }
  return n;
}

Status ProgramStreamVerifier::Update(const uint8_t* chunk, size_t size) {
  if (!error_.ok()) return error_;
  // Empty sections at the very end close without further bytes, hence the second condition.
  while (size > 0 || (stage_ == Stage::kBody && position_ == total_)) {
    switch (stage_) {
      case Stage::kHeader:
      case Stage::kTable: {
        const bool header = stage_ == Stage::kHeader;
        uint8_t* buffer = header ? header_ : reinterpret_cast<uint8_t*>(sections_);
        const uint32_t base = header ? 0 : kHeaderBytes;
        const uint32_t want = header ? kHeaderBytes : section_count_ * kSectionEntryBytes;
        const size_t n = want - (position_ - base) < size ? want - (position_ - base) : size;
        std::memcpy(buffer + (position_ - base), chunk, n);
        position_ += static_cast<uint32_t>(n);
        chunk += n;
        size -= n;
        if (position_ - base < want) break;
        const Status s = header ? CheckHeader() : CheckTable();
        if (!s.ok()) return Fail(s);
        stage_ = header ? Stage::kTable : Stage::kBody;
        break;
      }
      case Stage::kBody: {
        const size_t n = ConsumeBody(chunk, size);
        if (!error_.ok()) return error_;
        chunk += n;
        size -= n;
        if (position_ == total_ && next_section_ == section_count_) stage_ = Stage::kDone;
        break;
      }
      case Stage::kDone:
        return Fail(Status::Error(StatusCode::kProgramInvalid, "{a} bytes past the {b} bytes the header gives (padded Program)").A(size).B(total_));
    }
  }
  return Status::Ok();
}

Status ProgramStreamVerifier::Finish() {
  if (!error_.ok()) return error_;
  if (stage_ != Stage::kDone) return Fail(Status::Error(StatusCode::kProgramInvalid, "Program ends after {a} bytes, before the {b} its header gives (truncated)").A(position_).B(stage_ == Stage::kHeader ? kHeaderBytes : total_));
  return Status::Ok();
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

Status Program::ReadLayoutV1() {
  const uint32_t stored = ReadU32(bytes_ + 12);
  const uint32_t actual = Crc32(bytes_ + 16, size_ - 16);
  if (stored != actual) return Status::Error(StatusCode::kProgramChecksum, "checksum mismatch: header {a}, contents {b} (damaged Program)").A(stored).B(actual);
  for (size_t at = 56; at < kHeaderBytes; ++at) {
    if (bytes_[at] != 0) return Status::Error(StatusCode::kProgramInvalid, "reserved header byte at offset {offset} is {a}, not 0").Offset(at).A(bytes_[at]);
  }
  const uint32_t end = static_cast<uint32_t>(size_);
  tensor_table_ = ReadU32(bytes_ + 24);
  op_table_ = ReadU32(bytes_ + 32);
  io_offset_ = ReadU32(bytes_ + 36);
  const_offset_ = ReadU32(bytes_ + 40);
  const_size_ = ReadU32(bytes_ + 44);
  tensor_table_end_ = op_table_end_ = io_end_ = end;
  exact_sections_ = false;
  return Status::Ok();
}

Status Program::ReadLayoutV2() {
  ProgramStreamVerifier verifier;
  Status s = verifier.Update(bytes_, size_);
  if (s.ok()) s = verifier.Finish();
  if (!s.ok()) return s;
  uint32_t found = 0;
  for (uint32_t i = 0; i < verifier.section_count(); ++i) {
    const ProgramSection& section = verifier.section(i);
    const uint32_t end = section.offset + section.size;
    switch (static_cast<SectionKind>(section.kind)) {
      case SectionKind::kConstants: const_offset_ = section.offset; const_size_ = section.size; break;
      case SectionKind::kTensors: tensor_table_ = section.offset; tensor_table_end_ = end; break;
      case SectionKind::kOps: op_table_ = section.offset; op_table_end_ = end; break;
      case SectionKind::kIo: io_offset_ = section.offset; io_end_ = end; break;
      default: continue;  // names (read on the host only) and kinds a later minor version adds
    }
    found |= 1u << section.kind;
  }
  for (uint32_t kind = uint32_t(SectionKind::kConstants); kind <= uint32_t(SectionKind::kIo); ++kind) {
    if (!(found & (1u << kind))) return Status::Error(StatusCode::kProgramInvalid, "the section table has no section of kind {a}").A(kind);
  }
  exact_sections_ = true;
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
  if (major != kProgramFormatV1 && major != kProgramFormatV2) return Status::Error(StatusCode::kProgramVersion, "Program format {a}.{b} is not supported (expected 1.x or {c}.x)").A(major).B(minor).C(kProgramFormatV2);
  const uint32_t total = ReadU32(bytes + 8);
  if (total != size) return Status::Error(StatusCode::kProgramInvalid, "header says {a} bytes but the Program has {b} (truncated or padded)").A(total).B(size);
  if (!(s = major == kProgramFormatV1 ? ReadLayoutV1() : ReadLayoutV2()).ok()) return s;
  if (tc > max_tensors || oc > max_ops) return Status::Error(StatusCode::kProgramTooLarge, "Program has {a} tensors and {b} ops, above the capacity of {c} tensors").A(tc).B(oc).C(max_tensors);
  if (tc == 0 || oc == 0) return Status::Error(StatusCode::kProgramInvalid, "Program has {a} tensors and {b} ops: nothing would write its outputs").A(tc).B(oc);
  arena_bytes_ = ReadU32(bytes + 16);
  if (arena_bytes_ > kMaxArenaBytes || arena_bytes_ % kArenaAlignment != 0) {
    return Status::Error(StatusCode::kProgramInvalid, "arena of {a} bytes is not a multiple of {b} up to {c}").Offset(16).A(arena_bytes_).B(kArenaAlignment).C(kMaxArenaBytes);
  }
  tensor_count_ = tc;
  op_count_ = oc;
  if (const_offset_ % 16 != 0 || const_offset_ > size || const_size_ > size - const_offset_) {
    return Status::Error(StatusCode::kProgramInvalid, "constant blob [{offset}, +{a}) is misaligned or outside the Program").Offset(const_offset_).A(const_size_);
  }
  const_ = bytes + const_offset_;
  if (io_offset_ % 4 != 0 || io_offset_ > io_end_ || io_end_ - io_offset_ < 8) return Status::Error(StatusCode::kProgramInvalid, "input/output table at byte offset {offset} is outside the Program").Offset(io_offset_);
  io_ = bytes + io_offset_;
  input_count_ = ReadU32(io_);
  output_count_ = ReadU32(io_ + 4);
  const uint64_t io_words = uint64_t(input_count_) + output_count_;
  if (input_count_ > tc || output_count_ == 0 || output_count_ > tc || (io_end_ - io_offset_ - 8) / 4 < io_words ||
      (exact_sections_ && io_end_ - io_offset_ != 8 + 4 * io_words)) {
    return Status::Error(StatusCode::kProgramInvalid, "input/output table at byte offset {offset} is malformed ({a} inputs, {b} outputs)").Offset(io_offset_).A(input_count_).B(output_count_);
  }
  if (!(s = LoadTensors()).ok() || !(s = CheckArena()).ok()) return s;
  for (uint32_t i = 0; i < input_count_ + output_count_; ++i) {
    const uint32_t id = ReadU32(io_ + 8 + 4 * i);
    if (id >= tc) return Status::Error(StatusCode::kProgramInvalid, "subgraph input/output {a} refers to tensor {b} of {c}").A(i).B(id).C(tc);
    if (tensors_[id].kind == TensorKind::kConstant || tensors_[id].kind == TensorKind::kScratch) {
      return Status::Error(StatusCode::kProgramInvalid, "subgraph input/output tensor {tensor} is not an activation").Tensor(id);
    }
  }
  if (!(s = LoadOps()).ok()) return s;
  return CheckOutputsWritten();
}

Status Program::LoadTensors() {
  if (tensor_table_ % 4 != 0 || tensor_table_ > tensor_table_end_ || (tensor_table_end_ - tensor_table_) / kTensorRecordBytes < tensor_count_ ||
      (exact_sections_ && tensor_table_end_ - tensor_table_ != uint64_t(tensor_count_) * kTensorRecordBytes)) {
    return Status::Error(StatusCode::kProgramInvalid, "tensor table ({a} records at byte offset {offset}) does not fit its section").A(tensor_count_).Offset(tensor_table_);
  }
  for (uint32_t i = 0; i < tensor_count_; ++i) {
    const uint8_t* r = bytes_ + tensor_table_ + i * kTensorRecordBytes;
    const int64_t at = r - bytes_;
    TensorInfo& t = tensors_[i];
    const uint8_t dtype = r[0], rank = r[1], kind = r[2];
    if (dtype < 1 || dtype > 8) return Status::Error(StatusCode::kProgramInvalid, "tensor {tensor} (byte offset {offset}): unknown dtype code {a}").Tensor(i).Offset(at).A(dtype);
    if (kind > 3) return Status::Error(StatusCode::kProgramInvalid, "tensor {tensor} (byte offset {offset}): unknown kind {a}").Tensor(i).Offset(at).A(kind);
    if (rank > 4) return Status::Error(StatusCode::kProgramInvalid, "tensor {tensor}: rank {a} is above 4").Tensor(i).A(rank);
    if (r[3] != 0) return Status::Error(StatusCode::kProgramInvalid, "tensor {tensor} (byte offset {offset}): reserved byte is {a}, not 0").Tensor(i).Offset(at + 3).A(r[3]);
    t.dtype = static_cast<DType>(dtype);
    t.kind = static_cast<TensorKind>(kind);
    t.shape.rank = rank;
    // Both the element count and the product of the non-zero dims (what a kernel's loops span) are
    // bounded dim by dim, before the next multiplication can overflow.
    int64_t count = 1, span = 1;
    for (int d = 0; d < 4; ++d) t.shape.dims[d] = 1;
    for (int d = 0; d < rank; ++d) {
      const int32_t v = static_cast<int32_t>(ReadU32(r + 4 + 4 * d));
      if (v < 0 || v > (1 << 24)) return Status::Error(StatusCode::kProgramInvalid, "tensor {tensor}: dimension {a} is {b}").Tensor(i).A(d).B(v);
      t.shape.dims[4 - rank + d] = v;
      count *= v;
      span *= v > 0 ? v : 1;
      if (span > kMaxTensorElements) return Status::Error(StatusCode::kProgramInvalid, "tensor {tensor}: shape spans more than {a} elements by dimension {b}").Tensor(i).A(kMaxTensorElements).B(d);
    }
    for (int d = rank; d < 4; ++d) {
      if (ReadU32(r + 4 + 4 * d) != 0) return Status::Error(StatusCode::kProgramInvalid, "tensor {tensor}: unused dimension {a} is not 0").Tensor(i).A(d);
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

Status Program::CheckArena() const {
  // The compiler's planner sizes the arena to the end of the last buffer, rounded up to the
  // alignment; any other value is damage (and a larger one would only waste memory).
  uint64_t extent = 0;
  for (uint32_t i = 0; i < tensor_count_; ++i) {
    const TensorInfo& t = tensors_[i];
    if (t.kind != TensorKind::kConstant && uint64_t(t.offset) + t.byte_size > extent) extent = uint64_t(t.offset) + t.byte_size;
  }
  const uint64_t expected = (extent + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
  if (arena_bytes_ != expected) return Status::Error(StatusCode::kProgramInvalid, "arena is {a} bytes but its tensors end at byte {b} (expected {c})").Offset(16).A(arena_bytes_).B(extent).C(expected);
  return Status::Ok();
}

Status Program::CheckOutputsWritten() const {
  for (uint32_t i = 0; i < output_count_; ++i) {
    const int32_t id = static_cast<int32_t>(output(i));
    bool written = false;
    for (uint32_t k = 0; k < input_count_ && !written; ++k) written = input(k) == uint32_t(id);
    for (uint32_t o = 0; o < op_count_ && !written; ++o) {
      for (uint16_t k = 0; k < ops_[o].num_outputs && !written; ++k) written = ops_[o].outputs[k] == id;
    }
    if (!written) return Status::Error(StatusCode::kProgramInvalid, "subgraph output {a} (tensor {tensor}) is written by no op").A(i).Tensor(id);
  }
  return Status::Ok();
}

Status Program::LoadOps() {
  uint64_t at = op_table_;
  for (uint32_t i = 0; i < op_count_; ++i) {
    if (at % 4 != 0 || at + kOpHeaderBytes > op_table_end_) return Status::Error(StatusCode::kProgramInvalid, "op {op} header at byte offset {offset} runs past the end").Op(i, 0).Offset(at);
    const uint8_t* r = bytes_ + at;
    OpView& op = ops_[i];
    op.opcode = r[0] | (r[1] << 8);
    const uint32_t record_size = ReadU32(r + 4);
    op.source_index = static_cast<int32_t>(ReadU32(r + 8));
    op.num_inputs = r[12] | (r[13] << 8);
    op.num_outputs = r[14] | (r[15] << 8);
    op.num_params = r[16] | (r[17] << 8);
    if ((r[2] | r[3] | r[18] | r[19]) != 0) return Status::Error(StatusCode::kProgramInvalid, "op {op} ({name}) record at byte offset {offset}: reserved words are not 0").Op(i, op.opcode).Offset(at);
    const uint64_t need = kOpHeaderBytes + 4ull * (op.num_inputs + op.num_outputs + op.num_params);
    if (record_size != need || at + need > op_table_end_) {
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
  if (exact_sections_ && at != op_table_end_) return Status::Error(StatusCode::kProgramInvalid, "op table ends at byte offset {offset}, before the end of its section at {a}").Offset(at).A(op_table_end_);
  return Status::Ok();
}

}  // namespace cleave
