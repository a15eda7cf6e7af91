// Runs a validated Program over a caller-provided arena: op by op, each a call into the reference
// kernels with the parameters the compiler precomputed. No heap, no exceptions.
#pragma once
#include <cstdint>

#include "interp/program.h"

namespace cleave {

// Called after each op, e.g. to copy its output out before the arena reuses the memory.
using OpObserver = void (*)(void* context, uint32_t op_index);

class Interpreter;

// A faster implementation of some ops (packed weights, SIMD, threads). Run() returns false for an
// op it does not handle; the reference kernel then runs it.
class OpAccelerator {
 public:
  virtual ~OpAccelerator() = default;
  virtual bool Run(uint32_t op_index, Interpreter& interpreter) = 0;
};

class Interpreter {
 public:
  // `arena` must hold program.arena_bytes() bytes, 16-byte aligned, and outlive the interpreter.
  Interpreter(const Program& program, uint8_t* arena);

  // Zeroes variable tensors (recurrent state), as TFLite's ResetVariableTensors does.
  void ResetState();
  // Unpacked int8 copies of int4 constant tensors, indexed by tensor id (null where none): the
  // kernels read these instead of the packed bytes. Not owned.
  void SetUnpackedWeights(const int8_t* const* by_tensor) { unpacked_ = by_tensor; }
  // Not owned; null (the default) runs every op on the reference kernels.
  void SetAccelerator(OpAccelerator* accelerator) { accelerator_ = accelerator; }
  void Invoke(OpObserver observer = nullptr, void* context = nullptr);

  uint8_t* TensorData(uint32_t id);
  const uint8_t* TensorData(uint32_t id) const;

 private:
  void RunOp(const OpView& op);
  template <typename T>
  T* Data(int32_t id) { return id < 0 ? nullptr : reinterpret_cast<T*>(TensorData(static_cast<uint32_t>(id))); }
  const int32_t* Array(int32_t offset) const { return reinterpret_cast<const int32_t*>(program_.constant(static_cast<uint32_t>(offset))); }

  const Program& program_;
  uint8_t* arena_;
  OpAccelerator* accelerator_ = nullptr;
  const int8_t* const* unpacked_ = nullptr;
  bool luts_ready_ = false;
  int16_t exp_lut_[513];
  int16_t one_over_one_plus_x_lut_[513];
};

}  // namespace cleave
