// N-API wrapper of one ExecutionContext (native/host/execution_context.h) and its worker thread.
// Every call that touches the context goes through one ordered queue: run() and the state calls
// queue behind earlier calls and settle in order on the JS thread; while nothing is queued, the
// state calls and runSync() execute at once, and runSync() refuses (BUSY) rather than overtake
// queued work. Inputs are copied when run() is called. Glue only: conversions, no arithmetic.
#pragma once
#include <napi.h>

#include <memory>

#include "host/context_worker.h"
#include "host/execution_context.h"
#include "host/loaded_model.h"

namespace cleave {

class SessionWrap : public Napi::ObjectWrap<SessionWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  // A new session (context) on `model`; a JS exception is pending when it cannot be made.
  static Napi::Value Create(Napi::Env env, std::shared_ptr<const LoadedModel> model);
  explicit SessionWrap(const Napi::CallbackInfo& info);
  ~SessionWrap() override;

  // JS thread: a queued job has been settled.
  void Settled();

 private:
  Napi::Value Pending(const Napi::CallbackInfo& info);
  Napi::Value StateBytes(const Napi::CallbackInfo& info);
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value RunSync(const Napi::CallbackInfo& info);
  Napi::Value ResetState(const Napi::CallbackInfo& info);
  Napi::Value ExportState(const Napi::CallbackInfo& info);
  Napi::Value ImportState(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  // Null (with a pending DISPOSED error) once dispose() was called.
  ExecutionContext* Live(Napi::Env env);
  // Queues `job` behind earlier calls; with `inline_now` (nothing queued) executes it here instead.
  // Either way its promise settles from the event loop.
  void Submit(std::unique_ptr<ContextJob> job, bool inline_now = false);
  void Release();

  std::unique_ptr<ExecutionContext> context_;
  std::unique_ptr<ContextWorker> worker_;
  int pending_ = 0;  // jobs submitted and not yet settled (JS thread only)
  bool disposed_ = false;
};

}  // namespace cleave
