// The Cortex-M fast path of the interpreter: int8 CONV_2D (ungrouped), DEPTHWISE_CONV_2D,
// FULLY_CONNECTED (per-channel, or per-tensor with symmetric weights) and same-shape ADD on the kernels of
// cortexm_kernels.h; every other op falls back to the reference kernels. Holds no state and
// allocates nothing, so one static instance serves every interpreter, on firmware and on the host
// (where the differential tests run it).
//
//   static cleave::CortexMOps accelerator;
//   interpreter.SetAccelerator(&accelerator);
#pragma once
#include <cstdint>

#include "interp/interpreter.h"

namespace cleave {

class CortexMOps final : public OpAccelerator {
 public:
  // "cortexm:<op>" for an op these kernels ran ("-dsp" where the dual 16-bit MACs did), else null.
  const char* Run(uint32_t op_index, Interpreter& interpreter) override;
};

}  // namespace cleave
