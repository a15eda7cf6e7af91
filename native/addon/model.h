// N-API wrapper of a LoadedModel (native/host/loaded_model.h): one model's weights, shared by the
// sessions it creates. `loadModel()` validates and packs on a worker thread; `new NativeModel()`
// does it inline. Glue only: conversions, no arithmetic.
#pragma once
#include <napi.h>

#include <memory>

#include "host/loaded_model.h"

namespace cleave {

class ModelWrap : public Napi::ObjectWrap<ModelWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  // loadModel(program: Uint8Array, options?) -> Promise<NativeModel>
  static Napi::Value LoadAsync(const Napi::CallbackInfo& info);
  // Wraps an already loaded model (from LoadAsync's worker).
  static Napi::Object Wrap(Napi::Env env, std::shared_ptr<const LoadedModel> model);
  explicit ModelWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value ArenaBytes(const Napi::CallbackInfo& info);
  Napi::Value Kernels(const Napi::CallbackInfo& info);
  Napi::Value Threads(const Napi::CallbackInfo& info);
  Napi::Value SharedBytes(const Napi::CallbackInfo& info);
  Napi::Value Sessions(const Napi::CallbackInfo& info);
  Napi::Value CreateSession(const Napi::CallbackInfo& info);

  std::shared_ptr<const LoadedModel> model_;
};

}  // namespace cleave
