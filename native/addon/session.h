// N-API wrapper of SessionCore: converts JS arguments into plain structs, runs on a worker thread
// (AsyncWorker) or inline (runSync), converts results back. No arithmetic here.
#pragma once
#include <napi.h>

#include <memory>

#include "addon/session_core.h"

namespace cleave {

struct HeldInputs;

class SessionWrap : public Napi::ObjectWrap<SessionWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit SessionWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value ArenaBytes(const Napi::CallbackInfo& info);
  Napi::Value Kernels(const Napi::CallbackInfo& info);
  Napi::Value Threads(const Napi::CallbackInfo& info);
  Napi::Value Run(const Napi::CallbackInfo& info);
  Napi::Value RunSync(const Napi::CallbackInfo& info);
  Napi::Value ResetState(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  std::shared_ptr<SessionCore> Acquire(Napi::Env env);
  std::shared_ptr<SessionCore> BeginRun(const Napi::CallbackInfo& info, HeldInputs* held);
  std::shared_ptr<SessionCore> core_;
};

}  // namespace cleave
