#include "addon/completion_port.h"

#include <utility>

namespace cleave {

CompletionPort::CompletionPort(Napi::Env env) : env_(env), async_context_(env, "cleave.completions") {
  uv_loop_t* loop = nullptr;
  NAPI_THROW_IF_FAILED_VOID(env, napi_get_uv_event_loop(env, &loop));
  signal_ = new uv_async_t;
  signal_->data = this;
  uv_async_init(loop, signal_, &CompletionPort::OnSignal);
  uv_unref(reinterpret_cast<uv_handle_t*>(signal_));
  napi_add_env_cleanup_hook(env, &CompletionPort::Close, this);
}

CompletionPort::~CompletionPort() {
  napi_remove_env_cleanup_hook(env_, &CompletionPort::Close, this);
  Close(this);
}

void CompletionPort::Close(void* data) {
  auto* port = static_cast<CompletionPort*>(data);
  std::lock_guard<std::mutex> lock(port->mutex_);
  if (!port->signal_) return;
  port->signal_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(port->signal_), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
  port->signal_ = nullptr;
}

void CompletionPort::Begin() {
  if (in_flight_++ == 0 && signal_) uv_ref(reinterpret_cast<uv_handle_t*>(signal_));
}

void CompletionPort::End() {
  if (--in_flight_ == 0 && signal_) uv_unref(reinterpret_cast<uv_handle_t*>(signal_));
}

void CompletionPort::Completed(std::unique_ptr<ContextJob> job) {
  bool signal;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    signal = finished_.empty();
    finished_.push_back(std::move(job));
    // Under the lock: Close() (JS thread) cannot free the handle while a worker uses it.
    if (signal && signal_) uv_async_send(signal_);
  }
}

void CompletionPort::OnSignal(uv_async_t* handle) {
  if (handle->data) static_cast<CompletionPort*>(handle->data)->Drain();
}

void CompletionPort::Drain() {
  std::vector<std::unique_ptr<ContextJob>> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batch.swap(finished_);
  }
  Napi::Env env(env_);
  Napi::HandleScope handles(env);
  // Microtasks (the callers' continuations) run when this scope closes, after the whole batch.
  Napi::CallbackScope callback(env, async_context_);
  for (std::unique_ptr<ContextJob>& job : batch) static_cast<SettledJob*>(job.get())->Settle(env);
}

}  // namespace cleave
