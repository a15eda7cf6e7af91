// Brings finished jobs from context worker threads back to the JS thread: one thread-safe function
// per addon instance, signalled only when the queue of finished jobs goes from empty to non-empty,
// so a burst of completions costs one wake-up of the event loop and is settled in one batch.
// It keeps the event loop alive only while jobs are in flight.
#pragma once
#include <napi.h>

#include <memory>
#include <mutex>
#include <vector>

#include "host/context_worker.h"

namespace cleave {

// A job whose promise is settled on the JS thread once the worker has executed it.
class SettledJob : public ContextJob {
 public:
  virtual void Settle(Napi::Env env) = 0;
};

class CompletionPort : public CompletionSink {
 public:
  // Lives as long as the addon instance; Node closes the thread-safe function when the
  // environment exits, so the port never releases it itself.
  explicit CompletionPort(Napi::Env env);

  // JS thread: a job was submitted / settled (keeps the event loop alive in between).
  void Begin();
  void End();

  // Worker threads: queues a SettledJob for Settle on the JS thread.
  void Completed(std::unique_ptr<ContextJob> job) override;

 private:
  static void Drain(Napi::Env env, Napi::Function unused, CompletionPort* port, void* unused_data);
  using Signal = Napi::TypedThreadSafeFunction<CompletionPort, void, &CompletionPort::Drain>;

  std::mutex mutex_;
  std::vector<std::unique_ptr<ContextJob>> finished_;
  napi_env env_;
  Signal signal_;
  int in_flight_ = 0;  // JS thread only
};

}  // namespace cleave
