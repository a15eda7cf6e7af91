// A loaded Program: views into the Program bytes after every offset, size, index and op parameter
// has been validated (docs/program-format.md). No heap, no exceptions: Load() reports problems in a
// Status (native/common/status.h) with the byte offset, tensor or op index, so the same loader
// serves firmware.
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/status.h"
#include "interp/op_resolver.h"
#include "kernels/common.h"

namespace cleave {

constexpr uint32_t kProgramMajor = 1;
constexpr size_t kHeaderBytes = 64;
constexpr size_t kTensorRecordBytes = 48;
constexpr size_t kOpHeaderBytes = 20;

// kInt4: constant weights only, two per byte, low nibble first (TFLite's packed int4).
enum class DType : uint8_t { kInt8 = 1, kUInt8 = 2, kInt16 = 3, kInt32 = 4, kFloat32 = 5, kInt64 = 6, kBool = 7, kInt4 = 8 };
enum class TensorKind : uint8_t { kActivation = 0, kConstant = 1, kVariable = 2, kScratch = 3 };

enum OpCode : uint16_t {
  kConv2D = 1, kDepthwiseConv2D = 2, kFullyConnected = 3, kAdd = 4, kAveragePool2D = 5,
  kMaxPool2D = 6, kReshape = 7, kSoftmax = 8, kQuantize = 9, kDequantize = 10, kPad = 11,
  kConcatenation = 12, kMean = 13, kSvdf = 14,
};

const char* OpName(uint16_t opcode);
int32_t DTypeSize(DType t);  // 0 for kInt4 (sub-byte)
int64_t ByteSize(DType t, int64_t elements);

struct TensorInfo {
  DType dtype;
  TensorKind kind;
  kernels::Shape shape;  // right-aligned to rank 4, leading dims 1
  uint32_t offset;       // arena offset, or constant-blob offset
  uint32_t byte_size;
  float scale;
  int32_t zero_point;
  int32_t source_index;  // index in the .tflite subgraph, -1 for scratch
};

struct OpView {
  uint16_t opcode;
  int32_t source_index;
  uint16_t num_inputs, num_outputs, num_params;
  const int32_t* inputs;   // tensor ids, -1 = omitted
  const int32_t* outputs;
  const int32_t* params;
};

class Program {
 public:
  // Validates `bytes` (which must stay alive and 4-byte aligned) and fills the views. `max_tensors`
  // and `max_ops` bound the caller-provided tables, so no allocation is sized by the file.
  // `resolver` (which must outlive the Program) holds the ops this build runs; an op it lacks is
  // refused with kUnsupportedOp. Firmware passes one listing only its Programs' ops.
  Status Load(const uint8_t* bytes, size_t size, TensorInfo* tensors, size_t max_tensors, OpView* ops,
              size_t max_ops, const OpResolver& resolver = AllOps());

  // Reads only the counts a caller needs to size the tables for Load().
  static Status PeekCounts(const uint8_t* bytes, size_t size, uint32_t* tensor_count, uint32_t* op_count);

  uint32_t arena_bytes() const { return arena_bytes_; }
  uint32_t tensor_count() const { return tensor_count_; }
  uint32_t op_count() const { return op_count_; }
  uint32_t input_count() const { return input_count_; }
  uint32_t output_count() const { return output_count_; }
  uint32_t input(uint32_t i) const { return ReadU32(io_ + 8 + 4 * i); }
  uint32_t output(uint32_t i) const { return ReadU32(io_ + 8 + 4 * (input_count_ + i)); }
  const TensorInfo& tensor(uint32_t id) const { return tensors_[id]; }
  const OpView& op(uint32_t i) const { return ops_[i]; }
  const OpResolver& resolver() const { return *resolver_; }
  uint32_t constant_size() const { return const_size_; }
  // Constant data of a constant tensor, or an op array at a validated offset.
  const uint8_t* constant(uint32_t offset) const { return const_ + offset; }

  static uint32_t ReadU32(const uint8_t* p) {
    return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
  }

 private:
  Status LoadTensors();
  Status LoadOps();
  Status ValidateOp(const OpView& op, uint32_t index) const;  // native/interp/op_validate.cc

  const uint8_t* bytes_ = nullptr;
  size_t size_ = 0;
  const uint8_t* const_ = nullptr;
  uint32_t const_size_ = 0;
  const uint8_t* io_ = nullptr;
  uint32_t arena_bytes_ = 0, tensor_count_ = 0, op_count_ = 0, input_count_ = 0, output_count_ = 0;
  uint32_t tensor_table_ = 0, op_table_ = 0;
  TensorInfo* tensors_ = nullptr;
  OpView* ops_ = nullptr;
  const OpResolver* resolver_ = nullptr;
};

}  // namespace cleave
