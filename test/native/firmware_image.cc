// A minimal Cortex-M image around the runtime core: what firmware links when its Programs use only
// FULLY_CONNECTED and SOFTMAX. test/native/kernels.test.ts links it with --gc-sections and checks
// the image: no heap, printf family, exceptions or RTTI, and no kernel of an op it does not list.
#include <cstddef>
#include <cstdint>

#include "interp/interpreter.h"
#include "interp/op_resolver.h"
#include "interp/program.h"

namespace {

const cleave::OpRegistration* const kOps[] = {&cleave::kFullyConnectedOp, &cleave::kSoftmaxOp};
constexpr cleave::OpResolver kResolver(kOps, sizeof(kOps) / sizeof(kOps[0]));

constexpr size_t kMaxTensors = 16, kMaxOps = 8, kArenaBytes = 4096;
cleave::TensorInfo g_tensors[kMaxTensors];
cleave::OpView g_ops[kMaxOps];
alignas(16) uint8_t g_arena[kArenaBytes];
// Where a real image keeps its Program (flash, or received over serial).
alignas(16) volatile uint8_t g_program[1024];
volatile uint8_t g_status;

}  // namespace

extern "C" [[noreturn]] void Reset_Handler() {
  cleave::Program program;
  const uint8_t* bytes = const_cast<const uint8_t*>(g_program);
  cleave::Status s = program.Load(bytes, sizeof(g_program), g_tensors, kMaxTensors, g_ops, kMaxOps, kResolver);
  if (s.ok() && program.arena_bytes() <= kArenaBytes) {
    cleave::Interpreter interpreter(program, g_arena);
    s = interpreter.Invoke();
  }
  g_status = static_cast<uint8_t>(s.code);
  for (;;) {
  }
}
