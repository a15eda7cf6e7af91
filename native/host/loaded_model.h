// A loaded model: the validated Program, its tables, int4 weights unpacked to int8 and the packed
// weights of an optimized kernel set. Immutable after Create, so any number of execution contexts
// (native/host/execution_context.h) share one LoadedModel without copying weights, from any thread.
// Host-only: it allocates.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "host/host_error.h"
#include "interp/interpreter.h"
#include "interp/optimized_ops.h"
#include "interp/program.h"

namespace cleave {

struct ModelOptions {
  // Threads an op of this model may use, the calling thread included; capped by the process-wide
  // pool (ProcessThreadPool()).
  int threads = 1;
  // "auto" (the best set for this CPU), "reference", or a set's name ("avx2", "neon", ...).
  std::string kernels = "auto";
  // A run whose previous run took less than this executes on the calling thread when nothing is
  // queued (0: never): handing it to a worker thread and back costs more than the run. Results are
  // still delivered asynchronously, from the event loop.
  uint64_t inline_run_nanos = 0;
};

class LoadedModel {
 public:
  // Copies and validates the Program, unpacks int4 weights and packs weights for the kernel set.
  static std::shared_ptr<const LoadedModel> Create(const uint8_t* bytes, size_t size, const ModelOptions& options,
                                                   HostError* error);

  const Program& program() const { return program_; }
  // Unpacked int4 weights by tensor id (null where none), for Interpreter::SetUnpackedWeights.
  const int8_t* const* unpacked() const { return unpacked_.data(); }
  // The optimized ops (reentrant: contexts call it concurrently), or null for the reference kernels.
  OpAccelerator* accelerator() const { return optimized_.get(); }
  const char* kernels() const { return optimized_ ? optimized_->name() : "reference"; }
  int threads() const { return threads_; }
  uint64_t inline_run_nanos() const { return inline_run_nanos_; }
  // The arena a context allocates: arena_bytes rounded up to 16 in 64 bits (never wraps).
  uint64_t arena_bytes() const { return (uint64_t(program_.arena_bytes()) + 15) / 16 * 16; }
  // Bytes held once per model however many contexts use it: Program, unpacked and packed weights.
  size_t shared_bytes() const;
  // Contexts alive on this model (ExecutionContext counts itself in and out).
  int contexts() const { return contexts_.load(); }
  void AddContext() const { contexts_.fetch_add(1); }
  void RemoveContext() const { contexts_.fetch_sub(1); }

 private:
  LoadedModel() = default;
  std::vector<uint64_t> program_storage_;  // 8-byte aligned copy of the Program
  std::vector<TensorInfo> tensors_;
  std::vector<OpView> ops_;
  Program program_;
  std::vector<std::vector<int8_t>> unpacked_storage_;
  std::vector<const int8_t*> unpacked_;
  std::unique_ptr<OptimizedOps> optimized_;
  int threads_ = 1;
  uint64_t inline_run_nanos_ = 0;
  mutable std::atomic<int> contexts_{0};
};

}  // namespace cleave
