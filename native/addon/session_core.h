// The plain C++ side of a session: a validated Program, its arena and the interpreter, with the
// run steps the N-API glue calls from worker threads. No V8 types here.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "interp/interpreter.h"
#include "interp/optimized_ops.h"
#include "interp/program.h"
#include "interp/thread_pool.h"

namespace cleave {

struct InputView {
  const uint8_t* data;
  size_t size;
};

struct RunResult {
  std::vector<std::unique_ptr<uint8_t[]>> outputs;
  std::vector<size_t> output_sizes;
  // With dumping on: each op's outputs (by source tensor index) copied right after the op, and
  // variable tensors after the run.
  std::map<int32_t, std::vector<uint8_t>> dumps;
  uint64_t nanos = 0;
  std::string error;
};

struct SessionOptions {
  int threads = 1;
  // "auto" (the best set for this CPU), "reference", or a set's name ("avx2", "neon", "neon-dotprod").
  std::string kernels = "auto";
};

class SessionCore {
 public:
  // Copies the Program into aligned storage and validates it; on failure `error` is set.
  static std::shared_ptr<SessionCore> Create(const uint8_t* bytes, size_t size, const SessionOptions& options,
                                             std::string* error);

  // The kernel set in use: "reference" or an optimized set's name.
  const char* kernels() const { return optimized_ ? optimized_->name() : "reference"; }
  int threads() const { return pool_ ? pool_->threads() : 1; }

  uint32_t arena_bytes() const { return program_.arena_bytes(); }
  const Program& program() const { return program_; }

  // Runs once. Inputs are checked against the Program's input sizes.
  void Run(const std::vector<InputView>& inputs, bool dump, RunResult* result);
  void ResetState() { interpreter_->ResetState(); }

  // One run at a time per session: the arena is shared state.
  bool TryAcquire() { return !busy_.exchange(true); }
  void Release() { busy_.store(false); }

 private:
  SessionCore() = default;
  std::vector<uint64_t> program_storage_;  // 8-byte aligned copy of the Program
  std::vector<TensorInfo> tensors_;
  std::vector<OpView> ops_;
  Program program_;
  std::unique_ptr<uint8_t[], void (*)(void*)> arena_{nullptr, nullptr};
  std::vector<std::vector<int8_t>> unpacked_storage_;
  std::vector<const int8_t*> unpacked_;  // per tensor id: unpacked int4 weights, or null
  std::unique_ptr<Interpreter> interpreter_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<OptimizedOps> optimized_;
  std::atomic<bool> busy_{false};
};

}  // namespace cleave
