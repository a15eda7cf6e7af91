// Runs a validated Program over a caller-provided arena: op by op, each through the op's
// registration in the Program's resolver (op_resolver.h) into the reference kernels, with the
// parameters the compiler precomputed. No heap, no exceptions.
#pragma once
#include <cstddef>
#include <cstdint>

#include "interp/program.h"

namespace cleave {

// Watches a run op by op: to time each op (the host with a steady clock, firmware with SysTick), or
// to copy an op's outputs before the arena reuses the memory. Costs nothing when none is set.
class OpObserver {
 public:
  virtual void OnOpBegin(uint32_t /*op_index*/) {}
  // `kernel` names the implementation that ran the op ("reference", or the accelerator's name).
  virtual void OnOpEnd(uint32_t /*op_index*/, const char* /*kernel*/) {}

 protected:
  // Protected and not virtual: nobody deletes an observer through this interface, and a virtual
  // destructor would make firmware link operator delete (the deleting destructor) with no heap.
  ~OpObserver() = default;
};

class Interpreter;

// A faster implementation of some ops (packed weights, SIMD, threads). Run() returns the name of
// the kernel that ran the op, or null for an op it does not handle; the reference kernel then runs it.
class OpAccelerator {
 public:
  virtual const char* Run(uint32_t op_index, Interpreter& interpreter) = 0;

 protected:
  // Protected and not virtual, as OpObserver's: owners hold the concrete class (final).
  ~OpAccelerator() = default;
};

class Interpreter {
 public:
  // `arena` must hold program.arena_bytes() bytes, 16-byte aligned, and outlive the interpreter.
  Interpreter(const Program& program, uint8_t* arena);

  // Zeroes variable tensors (recurrent state), as TFLite's ResetVariableTensors does.
  void ResetState();

  // Recurrent state (SVDF's activation state) in and out, to checkpoint a stateful Program or move
  // it to another interpreter of the same Program. Layout: the bytes of every variable tensor, in
  // tensor-id order, back to back, each as it lies in the arena (little-endian elements); no header
  // and no padding. StateBytes() is their total (0 for a stateless Program).
  size_t StateBytes() const;
  // `size` must equal StateBytes(), else kBadInput and nothing is written or read.
  Status ExportState(uint8_t* out, size_t size) const;
  Status ImportState(const uint8_t* state, size_t size);
  // Unpacked int8 copies of int4 constant tensors, indexed by tensor id (null where none): the
  // kernels read these instead of the packed bytes. Not owned.
  void SetUnpackedWeights(const int8_t* const* by_tensor) { unpacked_ = by_tensor; }
  // Not owned; null (the default) runs every op on the reference kernels.
  void SetAccelerator(OpAccelerator* accelerator) { accelerator_ = accelerator; }
  // Runs every op in order; stops at the first op whose kernel fails and returns its Status.
  Status Invoke(OpObserver* observer = nullptr);

  // Inline: kernels and accelerators ask for several tensors per op, and on firmware the call
  // itself costs as much as the lookup.
  uint8_t* TensorData(uint32_t id) {
    const TensorInfo& t = program_.tensor(id);
    if (unpacked_ && unpacked_[id]) return reinterpret_cast<uint8_t*>(const_cast<int8_t*>(unpacked_[id]));
    if (t.kind == TensorKind::kConstant) return const_cast<uint8_t*>(program_.constant(t.offset));
    return arena_ + t.offset;
  }
  const uint8_t* TensorData(uint32_t id) const { return const_cast<Interpreter*>(this)->TensorData(id); }

  // For the op kernels (op_eval.cc).
  const Program& program() const { return program_; }
  // A tensor's data as T, or null for an omitted (-1) tensor.
  template <typename T>
  T* Data(int32_t id) { return id < 0 ? nullptr : reinterpret_cast<T*>(TensorData(static_cast<uint32_t>(id))); }
  // An int32 parameter array at a constant-blob offset the loader checked.
  const int32_t* ParamArray(int32_t offset) const { return reinterpret_cast<const int32_t*>(program_.constant(static_cast<uint32_t>(offset))); }
  // The int16 softmax's lookup tables, built on first use.
  const int16_t* SoftmaxExpTable();
  const int16_t* SoftmaxOneOverOnePlusXTable();

 private:
  Status RunOp(const OpView& op);
  void PrepareSoftmaxTables();

  const Program& program_;
  uint8_t* arena_;
  OpAccelerator* accelerator_ = nullptr;
  const int8_t* const* unpacked_ = nullptr;
  bool luts_ready_ = false;
  int16_t exp_lut_[513];
  int16_t one_over_one_plus_x_lut_[513];
};

}  // namespace cleave
