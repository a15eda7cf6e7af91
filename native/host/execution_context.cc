#include "host/execution_context.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>

namespace cleave {

namespace {

uint64_t NanosSince(std::chrono::steady_clock::time_point start) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
}

// Copies each op's outputs right after the op, before the arena reuses their memory, and times
// each op when asked. Only set on a run that wants either: plain runs pay nothing.
class RunObserver final : public OpObserver {
 public:
  RunObserver(const Program& program, Interpreter& interpreter, const RunOptions& options, RunResult* result)
      : program_(program), interpreter_(interpreter), options_(options), result_(result) {}

  void OnOpBegin(uint32_t op_index) override {
    if (options_.profile) begin_ = std::chrono::steady_clock::now();
  }

  void OnOpEnd(uint32_t op_index, const char* kernel) override {
    if (options_.profile) result_->profile.push_back({op_index, program_.op(op_index).opcode, kernel, NanosSince(begin_)});
    if (!options_.dump) return;
    const OpView& op = program_.op(op_index);
    for (uint16_t k = 0; k < op.num_outputs; ++k) CopyTensor(static_cast<uint32_t>(op.outputs[k]));
  }

  void CopyTensor(uint32_t id) {
    const TensorInfo& t = program_.tensor(id);
    const uint8_t* data = interpreter_.TensorData(id);
    result_->dumps[t.source_index].assign(data, data + t.byte_size);
  }

 private:
  const Program& program_;
  Interpreter& interpreter_;
  const RunOptions& options_;
  RunResult* result_;
  std::chrono::steady_clock::time_point begin_;
};

}  // namespace

ExecutionContext::ExecutionContext(std::shared_ptr<const LoadedModel> model, HostError* error) : model_(std::move(model)) {
  // calloc: zeroed, aligned for any fundamental type (16 bytes on x86-64 and arm64), and a large
  // arena is only address space until tensors touch it.
  const uint64_t bytes = model_->arena_bytes() > 0 ? model_->arena_bytes() : 16;
  void* mem = bytes <= SIZE_MAX ? std::calloc(1, static_cast<size_t>(bytes)) : nullptr;
  if (!mem) {
    *error = HostError::Of(StatusCode::kOutOfMemory, "cannot allocate the " + std::to_string(bytes) + "-byte arena");
    return;
  }
  arena_ = std::unique_ptr<uint8_t[], void (*)(void*)>(static_cast<uint8_t*>(mem), std::free);
  interpreter_.reset(new Interpreter(model_->program(), arena_.get()));
  interpreter_->SetUnpackedWeights(model_->unpacked());
  interpreter_->SetAccelerator(model_->accelerator());
  model_->AddContext();
}

ExecutionContext::~ExecutionContext() {
  if (interpreter_) model_->RemoveContext();
}

void ExecutionContext::Run(const std::vector<InputView>& inputs, const RunOptions& options, RunResult* result) {
  const Program& program = model_->program();
  if (inputs.size() != program.input_count()) {
    result->error = HostError::Of(StatusCode::kBadInput, "expected " + std::to_string(program.input_count()) + " inputs, got " +
                                                             std::to_string(inputs.size()));
    return;
  }
  for (uint32_t i = 0; i < program.input_count(); ++i) {
    const TensorInfo& t = program.tensor(program.input(i));
    if (inputs[i].size != t.byte_size) {
      result->error = HostError::Of(StatusCode::kBadInput, "input " + std::to_string(i) + " has " + std::to_string(inputs[i].size) +
                                                               " bytes, expected " + std::to_string(t.byte_size));
      return;
    }
  }
  for (uint32_t i = 0; i < program.input_count(); ++i) {
    std::memcpy(interpreter_->TensorData(program.input(i)), inputs[i].data, inputs[i].size);
  }
  const bool observe = options.dump || options.profile;
  RunObserver observer(program, *interpreter_, options, result);
  if (options.dump) {
    for (uint32_t i = 0; i < program.input_count(); ++i) observer.CopyTensor(program.input(i));
  }
  if (options.profile) result->profile.reserve(program.op_count());
  const auto start = std::chrono::steady_clock::now();
  const Status status = interpreter_->Invoke(observe ? &observer : nullptr);
  result->nanos = NanosSince(start);
  last_run_nanos_.store(result->nanos, std::memory_order_relaxed);
  if (!status.ok()) {
    result->error = HostError::From(status);
    return;
  }
  if (options.dump) {
    for (uint32_t i = 0; i < program.tensor_count(); ++i) {
      if (program.tensor(i).kind == TensorKind::kVariable) observer.CopyTensor(i);
    }
  }
  result->outputs.resize(program.output_count());
  for (uint32_t i = 0; i < program.output_count(); ++i) {
    const TensorInfo& t = program.tensor(program.output(i));
    const uint8_t* data = interpreter_->TensorData(program.output(i));
    result->outputs[i].assign(data, data + t.byte_size);
  }
}

size_t ExecutionContext::state_bytes() const {
  const Program& program = model_->program();
  size_t bytes = 0;
  for (uint32_t i = 0; i < program.tensor_count(); ++i) {
    if (program.tensor(i).kind == TensorKind::kVariable) bytes += program.tensor(i).byte_size;
  }
  return bytes;
}

std::vector<uint8_t> ExecutionContext::ExportState() const {
  const Program& program = model_->program();
  std::vector<uint8_t> state;
  state.reserve(state_bytes());
  for (uint32_t i = 0; i < program.tensor_count(); ++i) {
    const TensorInfo& t = program.tensor(i);
    if (t.kind != TensorKind::kVariable) continue;
    const uint8_t* data = interpreter_->TensorData(i);
    state.insert(state.end(), data, data + t.byte_size);
  }
  return state;
}

HostError ExecutionContext::ImportState(const uint8_t* bytes, size_t size) {
  if (size != state_bytes()) {
    return HostError::Of(StatusCode::kBadInput, "state has " + std::to_string(size) + " bytes, this model's recurrent state is " +
                                                    std::to_string(state_bytes()));
  }
  const Program& program = model_->program();
  for (uint32_t i = 0; i < program.tensor_count(); ++i) {
    const TensorInfo& t = program.tensor(i);
    if (t.kind != TensorKind::kVariable) continue;
    std::memcpy(interpreter_->TensorData(i), bytes, t.byte_size);
    bytes += t.byte_size;
  }
  return HostError::Ok();
}

}  // namespace cleave
