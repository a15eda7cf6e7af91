// Every op's registration, and the resolver with all of them that the host uses. A firmware image
// references only the registrations it lists, so the linker drops the others with their kernels.
#include "interp/op_resolver.h"

#include "interp/ops.h"
#include "interp/program.h"

namespace cleave {

// `Layout` is the op's parameter view: the op table and the Program's opcode enum must agree.
#define CLEAVE_REGISTER_OP(Name, opcode, Layout)                                          \
  static_assert(op_params::Layout::kOpcode == opcode, "op table and OpCode disagree"); \
  const OpRegistration k##Name##Op = {opcode, Validate##Name, Eval##Name};

CLEAVE_REGISTER_OP(Conv2D, kConv2D, Conv2D)
CLEAVE_REGISTER_OP(DepthwiseConv2D, kDepthwiseConv2D, DepthwiseConv2D)
CLEAVE_REGISTER_OP(FullyConnected, kFullyConnected, FullyConnected)
CLEAVE_REGISTER_OP(Add, kAdd, Add)
CLEAVE_REGISTER_OP(AveragePool2D, kAveragePool2D, Pool2D)
CLEAVE_REGISTER_OP(MaxPool2D, kMaxPool2D, MaxPool2D)
CLEAVE_REGISTER_OP(Reshape, kReshape, Reshape)
CLEAVE_REGISTER_OP(Softmax, kSoftmax, Softmax)
CLEAVE_REGISTER_OP(Quantize, kQuantize, Requantize)
CLEAVE_REGISTER_OP(Dequantize, kDequantize, Dequantize)
CLEAVE_REGISTER_OP(Pad, kPad, Pad)
CLEAVE_REGISTER_OP(Concatenation, kConcatenation, Concatenation)
CLEAVE_REGISTER_OP(Mean, kMean, Mean)
CLEAVE_REGISTER_OP(Svdf, kSvdf, Svdf)

#undef CLEAVE_REGISTER_OP

namespace {

const OpRegistration* const kAllOps[] = {
    &kConv2DOp, &kDepthwiseConv2DOp, &kFullyConnectedOp, &kAddOp, &kAveragePool2DOp, &kMaxPool2DOp, &kReshapeOp,
    &kSoftmaxOp, &kQuantizeOp, &kDequantizeOp, &kPadOp, &kConcatenationOp, &kMeanOp, &kSvdfOp,
};
constexpr OpResolver kAllOpsResolver(kAllOps, sizeof(kAllOps) / sizeof(kAllOps[0]));

}  // namespace

const OpResolver& AllOps() { return kAllOpsResolver; }

}  // namespace cleave
