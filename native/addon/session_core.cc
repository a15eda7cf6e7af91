#include "addon/session_core.h"

#include <chrono>

#include "addon/cpu_features.h"
#include "host/status_format.h"
#include "kernels/int4.h"
#include "kernels/optimized.h"
#include <cstdlib>
#include <cstring>

namespace cleave {

namespace {

// The kernel set a session asks for, refusing one this CPU cannot run.
bool ChooseKernels(const std::string& name, const kernels::OptimizedKernels** chosen, std::string* error) {
  const CpuFeatures f = DetectCpuFeatures();
  *chosen = nullptr;
  if (name == "reference") return true;
  struct Candidate { const kernels::OptimizedKernels* set; bool supported; };
  // Best first: "auto" takes the first this CPU supports.
  const Candidate candidates[] = {{kernels::NeonDotKernels(), f.dotprod},
                                  {kernels::NeonKernels(), f.neon},
                                  {kernels::Avx512VnniKernels(), f.avx512vnni && f.avx2 && f.fma},
                                  {kernels::Avx2Kernels(), f.avx2 && f.fma}};
  if (name == "auto") {
    for (const Candidate& c : candidates) {
      if (c.set && c.supported) {
        *chosen = c.set;
        break;
      }
    }
    return true;
  }
  for (const Candidate& c : candidates) {
    if (c.set && name == c.set->name) {
      if (!c.supported) break;
      *chosen = c.set;
      return true;
    }
  }
  *error = "kernel set \"" + name + "\" is not available on this CPU (" + f.arch + ")";
  return false;
}

}  // namespace

std::shared_ptr<SessionCore> SessionCore::Create(const uint8_t* bytes, size_t size, const SessionOptions& options,
                                                 std::string* error) {
  const kernels::OptimizedKernels* optimized = nullptr;
  if (!ChooseKernels(options.kernels, &optimized, error)) return nullptr;
  std::shared_ptr<SessionCore> s(new SessionCore());
  s->program_storage_.resize((size + 7) / 8);
  std::memcpy(s->program_storage_.data(), bytes, size);
  const uint8_t* copy = reinterpret_cast<const uint8_t*>(s->program_storage_.data());
  uint32_t tensor_count = 0, op_count = 0;
  Status st = Program::PeekCounts(copy, size, &tensor_count, &op_count);
  if (st.ok()) {
    s->tensors_.resize(tensor_count);
    s->ops_.resize(op_count);
    st = s->program_.Load(copy, size, s->tensors_.data(), tensor_count, s->ops_.data(), op_count);
  }
  if (!st.ok()) {
    *error = std::string("invalid Program: ") + FormatStatus(st);
    return nullptr;
  }
  const size_t arena = (s->program_.arena_bytes() + 15) / 16 * 16;
  void* mem = std::aligned_alloc(16, arena > 0 ? arena : 16);
  if (!mem) {
    *error = "cannot allocate the " + std::to_string(arena) + "-byte arena";
    return nullptr;
  }
  std::memset(mem, 0, arena > 0 ? arena : 16);
  s->arena_ = std::unique_ptr<uint8_t[], void (*)(void*)>(static_cast<uint8_t*>(mem), std::free);
  s->interpreter_.reset(new Interpreter(s->program_, s->arena_.get()));
  s->unpacked_.assign(tensor_count, nullptr);
  for (uint32_t i = 0; i < tensor_count; ++i) {
    const TensorInfo& t = s->program_.tensor(i);
    if (t.dtype != DType::kInt4) continue;
    const int64_t count = int64_t(t.shape.dims[0]) * t.shape.dims[1] * t.shape.dims[2] * t.shape.dims[3];
    s->unpacked_storage_.emplace_back(static_cast<size_t>(count));
    kernels::UnpackInt4(s->program_.constant(t.offset), count, s->unpacked_storage_.back().data());
    s->unpacked_[i] = s->unpacked_storage_.back().data();
  }
  s->interpreter_->SetUnpackedWeights(s->unpacked_.data());
  if (optimized) {
    s->pool_.reset(new ThreadPool(options.threads > 0 ? options.threads : 1));
    s->optimized_.reset(new OptimizedOps(s->program_, *s->interpreter_, optimized, s->pool_.get()));
    s->interpreter_->SetAccelerator(s->optimized_.get());
  }
  return s;
}

namespace {

// Copies each op's outputs right after the op, before the arena reuses their memory.
class OutputDumper : public OpObserver {
 public:
  OutputDumper(const Program& program, Interpreter& interpreter, RunResult* result)
      : program_(program), interpreter_(interpreter), result_(result) {}

  void OnOpEnd(uint32_t op_index, const char*) override {
    const OpView& op = program_.op(op_index);
    for (uint16_t k = 0; k < op.num_outputs; ++k) {
      const TensorInfo& t = program_.tensor(static_cast<uint32_t>(op.outputs[k]));
      const uint8_t* data = interpreter_.TensorData(static_cast<uint32_t>(op.outputs[k]));
      result_->dumps[t.source_index].assign(data, data + t.byte_size);
    }
  }

 private:
  const Program& program_;
  Interpreter& interpreter_;
  RunResult* result_;
};

}  // namespace

void SessionCore::Run(const std::vector<InputView>& inputs, bool dump, RunResult* result) {
  if (inputs.size() != program_.input_count()) {
    result->error = "expected " + std::to_string(program_.input_count()) + " inputs, got " + std::to_string(inputs.size());
    return;
  }
  for (uint32_t i = 0; i < program_.input_count(); ++i) {
    const TensorInfo& t = program_.tensor(program_.input(i));
    if (inputs[i].size != t.byte_size) {
      result->error = "input " + std::to_string(i) + " has " + std::to_string(inputs[i].size) + " bytes, expected " + std::to_string(t.byte_size);
      return;
    }
  }
  for (uint32_t i = 0; i < program_.input_count(); ++i) {
    std::memcpy(interpreter_->TensorData(program_.input(i)), inputs[i].data, inputs[i].size);
  }
  OutputDumper dumper(program_, *interpreter_, result);
  if (dump) {
    for (uint32_t i = 0; i < program_.input_count(); ++i) {
      const TensorInfo& t = program_.tensor(program_.input(i));
      const uint8_t* data = interpreter_->TensorData(program_.input(i));
      result->dumps[t.source_index].assign(data, data + t.byte_size);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  const Status status = interpreter_->Invoke(dump ? &dumper : nullptr);
  if (!status.ok()) {
    result->error = FormatStatus(status);
    return;
  }
  result->nanos = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
  if (dump) {
    for (uint32_t i = 0; i < program_.tensor_count(); ++i) {
      const TensorInfo& t = program_.tensor(i);
      if (t.kind != TensorKind::kVariable) continue;
      const uint8_t* data = interpreter_->TensorData(i);
      result->dumps[t.source_index].assign(data, data + t.byte_size);
    }
  }
  for (uint32_t i = 0; i < program_.output_count(); ++i) {
    const TensorInfo& t = program_.tensor(program_.output(i));
    std::unique_ptr<uint8_t[]> out(new uint8_t[t.byte_size > 0 ? t.byte_size : 1]);
    std::memcpy(out.get(), interpreter_->TensorData(program_.output(i)), t.byte_size);
    result->outputs.push_back(std::move(out));
    result->output_sizes.push_back(t.byte_size);
  }
}

}  // namespace cleave
