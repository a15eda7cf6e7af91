// Brings finished jobs from context worker threads (and runs done inline on the JS thread) back to
// the JS thread: one libuv async handle per addon instance, signalled only when the queue of
// finished jobs goes from empty to non-empty, so a burst of completions costs one wake-up of the
// event loop and is settled in one batch. Every batch is its own turn of the event loop (timers
// and I/O run between batches, however fast runs are resubmitted), which a thread-safe function
// does not guarantee: it dispatches up to 1000 calls in one turn. The handle keeps the event loop
// alive only while jobs are in flight.
#pragma once
#include <napi.h>
#include <uv.h>

#include <memory>
#include <mutex>
#include <vector>

#include "host/context_worker.h"

namespace cleave {

// A job whose promise is settled on the JS thread once it has been executed.
class SettledJob : public ContextJob {
 public:
  virtual void Settle(Napi::Env env) = 0;
};

class CompletionPort : public CompletionSink {
 public:
  // Lives as long as the addon instance; the handle is closed by an environment cleanup hook.
  explicit CompletionPort(Napi::Env env);
  ~CompletionPort() override;

  // JS thread: a job was submitted / settled (keeps the event loop alive in between).
  void Begin();
  void End();

  // Any thread: queues a SettledJob for Settle on the JS thread.
  void Completed(std::unique_ptr<ContextJob> job) override;

 private:
  static void OnSignal(uv_async_t* handle);
  static void Close(void* port);
  void Drain();

  napi_env env_;
  Napi::AsyncContext async_context_;
  uv_async_t* signal_ = nullptr;  // freed by uv_close's callback
  std::mutex mutex_;
  std::vector<std::unique_ptr<ContextJob>> finished_;
  int in_flight_ = 0;  // JS thread only
};

}  // namespace cleave
