// Each op's validator (op_validate.cc) and kernel entry (op_eval.cc), paired into the op's
// registration in op_registrations.cc. Both read the op's parameters through its op_params view.
#pragma once
#include "common/status.h"
#include "interp/op_check.h"

namespace cleave {

class Interpreter;

#define CLEAVE_DECLARE_OP(Name)                  \
  Status Validate##Name(const OpCheck& check); \
  Status Eval##Name(Interpreter& interpreter, const OpView& op);

CLEAVE_DECLARE_OP(Conv2D)
CLEAVE_DECLARE_OP(DepthwiseConv2D)
CLEAVE_DECLARE_OP(FullyConnected)
CLEAVE_DECLARE_OP(Add)
CLEAVE_DECLARE_OP(AveragePool2D)
CLEAVE_DECLARE_OP(MaxPool2D)
CLEAVE_DECLARE_OP(Reshape)
CLEAVE_DECLARE_OP(Softmax)
CLEAVE_DECLARE_OP(Quantize)
CLEAVE_DECLARE_OP(Dequantize)
CLEAVE_DECLARE_OP(Pad)
CLEAVE_DECLARE_OP(Concatenation)
CLEAVE_DECLARE_OP(Mean)
CLEAVE_DECLARE_OP(Svdf)

#undef CLEAVE_DECLARE_OP

}  // namespace cleave
