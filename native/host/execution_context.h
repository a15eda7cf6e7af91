// One execution context of a LoadedModel: its own arena (activations and recurrent state) and
// interpreter over the model's shared weights. A context runs one request at a time; any number of
// contexts of one model run at the same time on different threads. Host-only.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "host/host_error.h"
#include "host/loaded_model.h"
#include "interp/interpreter.h"

namespace cleave {

struct InputView {
  const uint8_t* data;
  size_t size;
};

// One op's share of a profiled run.
struct OpTiming {
  uint32_t op_index;
  uint16_t opcode;
  const char* kernel;  // "reference" or the optimized set's name (static strings)
  uint64_t nanos;
};

struct RunOptions {
  // Copy each op's outputs (by source tensor index) right after the op, and variable tensors after
  // the run.
  bool dump = false;
  // Time each op with a steady clock.
  bool profile = false;
};

struct RunResult {
  std::vector<std::vector<uint8_t>> outputs;
  std::map<int32_t, std::vector<uint8_t>> dumps;
  std::vector<OpTiming> profile;
  uint64_t nanos = 0;
  HostError error;
};

class ExecutionContext {
 public:
  // Allocates the arena; on failure `error` is set and the context must not run.
  ExecutionContext(std::shared_ptr<const LoadedModel> model, HostError* error);
  ~ExecutionContext();
  ExecutionContext(const ExecutionContext&) = delete;
  ExecutionContext& operator=(const ExecutionContext&) = delete;

  const LoadedModel& model() const { return *model_; }
  // Whether the last run was short enough (model().inline_run_nanos()) to run on the caller's thread.
  bool short_runs() const { return last_run_nanos_.load(std::memory_order_relaxed) < model_->inline_run_nanos(); }

  // Runs once; inputs are checked against the Program's input sizes (BAD_INPUT).
  void Run(const std::vector<InputView>& inputs, const RunOptions& options, RunResult* result);

  // Zeroes recurrent state (variable tensors), as a fresh context has it.
  void ResetState() { interpreter_->ResetState(); }
  // Recurrent state as bytes: every variable tensor in tensor-id order.
  size_t state_bytes() const;
  std::vector<uint8_t> ExportState() const;
  // BAD_INPUT when `size` is not state_bytes().
  HostError ImportState(const uint8_t* bytes, size_t size);

 private:
  std::shared_ptr<const LoadedModel> model_;
  std::unique_ptr<uint8_t[], void (*)(void*)> arena_{nullptr, nullptr};
  std::unique_ptr<Interpreter> interpreter_;
  std::atomic<uint64_t> last_run_nanos_{UINT64_MAX};  // none yet: the first run goes to the worker
};

}  // namespace cleave
