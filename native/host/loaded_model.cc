#include "host/loaded_model.h"

#include <cstring>

#include "host/cpu_features.h"
#include "interp/thread_pool.h"
#include "kernels/int4.h"
#include "kernels/optimized.h"

namespace cleave {

namespace {

// The kernel set a model asks for, refusing one this CPU cannot run.
HostError ChooseKernels(const std::string& name, const kernels::OptimizedKernels** chosen) {
  const CpuFeatures f = DetectCpuFeatures();
  *chosen = nullptr;
  if (name == "reference") return HostError::Ok();
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
    return HostError::Ok();
  }
  for (const Candidate& c : candidates) {
    if (c.set && name == c.set->name) {
      if (!c.supported) break;
      *chosen = c.set;
      return HostError::Ok();
    }
  }
  return HostError::Of(StatusCode::kBadArgument, "kernel set \"" + name + "\" is not available on this CPU (" + f.arch + ")");
}

}  // namespace

std::shared_ptr<const LoadedModel> LoadedModel::Create(const uint8_t* bytes, size_t size, const ModelOptions& options,
                                                       HostError* error) {
  const kernels::OptimizedKernels* optimized = nullptr;
  *error = ChooseKernels(options.kernels, &optimized);
  if (!error->ok()) return nullptr;
  std::shared_ptr<LoadedModel> m(new LoadedModel());
  m->program_storage_.resize((size + 7) / 8);
  std::memcpy(m->program_storage_.data(), bytes, size);
  const uint8_t* copy = reinterpret_cast<const uint8_t*>(m->program_storage_.data());
  uint32_t tensor_count = 0, op_count = 0;
  Status st = Program::PeekCounts(copy, size, &tensor_count, &op_count);
  if (st.ok()) {
    m->tensors_.resize(tensor_count);
    m->ops_.resize(op_count);
    st = m->program_.Load(copy, size, m->tensors_.data(), tensor_count, m->ops_.data(), op_count);
  }
  if (!st.ok()) {
    *error = HostError::Of(st.code, "invalid Program: " + FormatStatus(st));
    return nullptr;
  }
  m->unpacked_.assign(tensor_count, nullptr);
  for (uint32_t i = 0; i < tensor_count; ++i) {
    const TensorInfo& t = m->program_.tensor(i);
    if (t.dtype != DType::kInt4) continue;
    const int64_t count = int64_t(t.shape.dims[0]) * t.shape.dims[1] * t.shape.dims[2] * t.shape.dims[3];
    m->unpacked_storage_.emplace_back(static_cast<size_t>(count));
    kernels::UnpackInt4(m->program_.constant(t.offset), count, m->unpacked_storage_.back().data());
    m->unpacked_[i] = m->unpacked_storage_.back().data();
  }
  m->inline_run_nanos_ = options.inline_run_nanos;
  ThreadPool& pool = ProcessThreadPool();
  const int wanted = options.threads > 0 ? options.threads : 1;
  m->threads_ = optimized ? (wanted < pool.threads() ? wanted : pool.threads()) : 1;
  if (optimized) {
    // Packing reads constants only, through an interpreter that presents int4 weights unpacked;
    // it needs no arena.
    Interpreter constants(m->program_, nullptr);
    constants.SetUnpackedWeights(m->unpacked_.data());
    m->optimized_.reset(new OptimizedOps(m->program_, constants, optimized, &pool, m->threads_));
  }
  return m;
}

size_t LoadedModel::shared_bytes() const {
  size_t bytes = program_storage_.size() * sizeof(uint64_t);
  for (const std::vector<int8_t>& u : unpacked_storage_) bytes += u.size();
  if (optimized_) bytes += optimized_->packed_bytes();
  return bytes;
}

}  // namespace cleave
