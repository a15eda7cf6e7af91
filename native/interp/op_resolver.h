// Which ops a build runs: a table of op registrations (opcode -> validate + eval), as TFLite
// Micro's op resolver. The loader refuses a Program that uses an op its resolver lacks
// (StatusCode::kUnsupportedOp), and the interpreter runs each op through the same registration,
// so a firmware image that lists only its Programs' ops links only their validators and kernels
// (with -ffunction-sections -fdata-sections -Wl,--gc-sections). The host registers every op.
//
//   static const OpRegistration* const kOps[] = {&kConv2DOp, &kFullyConnectedOp, &kSoftmaxOp};
//   static const OpResolver resolver(kOps, 3);
//   program.Load(bytes, size, tensors, max_tensors, ops, max_ops, resolver);
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/status.h"

namespace cleave {

class Interpreter;
struct OpCheck;
struct OpView;

struct OpRegistration {
  uint16_t opcode;
  // Checks at load everything the kernel relies on to stay inside its buffers (op_validate.cc).
  Status (*validate)(const OpCheck& check);
  // Runs the op on the interpreter's tensors (op_eval.cc); a failure names the op.
  Status (*eval)(Interpreter& interpreter, const OpView& op);
};

// Every op's registration (op_registrations.cc).
extern const OpRegistration kConv2DOp, kDepthwiseConv2DOp, kFullyConnectedOp, kAddOp, kAveragePool2DOp,
    kMaxPool2DOp, kReshapeOp, kSoftmaxOp, kQuantizeOp, kDequantizeOp, kPadOp, kConcatenationOp, kMeanOp,
    kSvdfOp;

class OpResolver {
 public:
  // `registrations` must outlive the resolver; a static array of pointers is the usual choice.
  constexpr OpResolver(const OpRegistration* const* registrations, size_t count)
      : registrations_(registrations), count_(count) {}

  // The registration of `opcode`, or null when this resolver does not have it.
  const OpRegistration* Find(uint16_t opcode) const {
    for (size_t i = 0; i < count_; ++i) {
      if (registrations_[i]->opcode == opcode) return registrations_[i];
    }
    return nullptr;
  }

 private:
  const OpRegistration* const* registrations_;
  size_t count_;
};

// A resolver with every op: what the host uses.
const OpResolver& AllOps();

}  // namespace cleave
