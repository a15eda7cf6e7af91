// What one instance of the addon (one per Node environment: main thread or worker_thread) keeps:
// the constructors used to make wrapped objects from C++ and the port that settles promises.
#pragma once
#include <napi.h>

#include <memory>

#include "addon/completion_port.h"

namespace cleave {

struct AddonData {
  Napi::FunctionReference model_class;
  Napi::FunctionReference session_class;
  std::unique_ptr<CompletionPort> completions;

  static AddonData& Of(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }
};

}  // namespace cleave
