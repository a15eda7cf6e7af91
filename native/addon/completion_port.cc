#include "addon/completion_port.h"

#include <utility>

namespace cleave {

CompletionPort::CompletionPort(Napi::Env env) : env_(env) {
  signal_ = Signal::New(env, "cleave.completions", 0, 1, this);
  signal_.Unref(env);
}

void CompletionPort::Begin() {
  if (in_flight_++ == 0) signal_.Ref(env_);
}

void CompletionPort::End() {
  if (--in_flight_ == 0) signal_.Unref(env_);
}

void CompletionPort::Completed(std::unique_ptr<ContextJob> job) {
  bool signal;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    signal = finished_.empty();
    finished_.push_back(std::move(job));
  }
  if (signal) signal_.NonBlockingCall();
}

void CompletionPort::Drain(Napi::Env env, Napi::Function, CompletionPort* port, void*) {
  if (env == nullptr) return;  // the environment is shutting down
  std::vector<std::unique_ptr<ContextJob>> batch;
  {
    std::lock_guard<std::mutex> lock(port->mutex_);
    batch.swap(port->finished_);
  }
  for (std::unique_ptr<ContextJob>& job : batch) {
    Napi::HandleScope scope(env);
    static_cast<SettledJob*>(job.get())->Settle(env);
  }
}

}  // namespace cleave
