#include "addon/model.h"

#include <utility>
#include <vector>

#include "addon/addon_data.h"
#include "addon/errors.h"
#include "addon/session.h"

namespace cleave {

namespace {

// Reads (program, options) into plain values; false with a pending JS exception when malformed.
bool ReadModelArgs(const Napi::CallbackInfo& info, const uint8_t** bytes, size_t* size, ModelOptions* options) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    CodedError(env, StatusCode::kBadArgument, "program must be a Uint8Array").ThrowAsJavaScriptException();
    return false;
  }
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  *bytes = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  *size = ta.ByteLength();
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object o = info[1].As<Napi::Object>();
    if (o.Has("threads")) options->threads = o.Get("threads").ToNumber().Int32Value();
    if (o.Has("kernels")) options->kernels = o.Get("kernels").ToString().Utf8Value();
    if (o.Has("inlineMicros")) options->inline_run_nanos = static_cast<uint64_t>(o.Get("inlineMicros").ToNumber().DoubleValue() * 1000);
  }
  return true;
}

// Validates and packs a copy of the Program off the JS thread.
class LoadWorker : public Napi::AsyncWorker {
 public:
  LoadWorker(Napi::Env env, const uint8_t* bytes, size_t size, ModelOptions options)
      : Napi::AsyncWorker(env, "cleave.loadModel"), bytes_(bytes, bytes + size), options_(std::move(options)),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override { model_ = LoadedModel::Create(bytes_.data(), bytes_.size(), options_, &error_); }

  void OnOK() override {
    Napi::Env env = Env();
    if (!model_) {
      deferred_.Reject(CodedError(env, error_).Value());
      return;
    }
    deferred_.Resolve(ModelWrap::Wrap(env, std::move(model_)));
  }

 private:
  std::vector<uint8_t> bytes_;
  ModelOptions options_;
  std::shared_ptr<const LoadedModel> model_;
  HostError error_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Function ModelWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeModel",
                     {InstanceAccessor<&ModelWrap::ArenaBytes>("arenaBytes"),
                      InstanceAccessor<&ModelWrap::Kernels>("kernels"),
                      InstanceAccessor<&ModelWrap::Threads>("threads"),
                      InstanceAccessor<&ModelWrap::SharedBytes>("sharedBytes"),
                      InstanceAccessor<&ModelWrap::Sessions>("sessions"),
                      InstanceMethod<&ModelWrap::CreateSession>("createSession")});
}

Napi::Value ModelWrap::LoadAsync(const Napi::CallbackInfo& info) {
  const uint8_t* bytes = nullptr;
  size_t size = 0;
  ModelOptions options;
  if (!ReadModelArgs(info, &bytes, &size, &options)) return info.Env().Undefined();
  auto* worker = new LoadWorker(info.Env(), bytes, size, std::move(options));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Object ModelWrap::Wrap(Napi::Env env, std::shared_ptr<const LoadedModel> model) {
  auto* holder = new std::shared_ptr<const LoadedModel>(std::move(model));
  return AddonData::Of(env).model_class.New({Napi::External<std::shared_ptr<const LoadedModel>>::New(
      env, holder, [](Napi::Env, std::shared_ptr<const LoadedModel>* p) { delete p; })});
}

ModelWrap::ModelWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelWrap>(info) {
  if (info.Length() == 1 && info[0].IsExternal()) {
    model_ = *info[0].As<Napi::External<std::shared_ptr<const LoadedModel>>>().Data();
    return;
  }
  const uint8_t* bytes = nullptr;
  size_t size = 0;
  ModelOptions options;
  if (!ReadModelArgs(info, &bytes, &size, &options)) return;
  HostError error;
  model_ = LoadedModel::Create(bytes, size, options, &error);
  if (!model_) CodedError(info.Env(), error).ThrowAsJavaScriptException();
}

Napi::Value ModelWrap::ArenaBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(model_->program().arena_bytes()));
}

Napi::Value ModelWrap::Kernels(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), model_->kernels()); }

Napi::Value ModelWrap::Threads(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), model_->threads()); }

Napi::Value ModelWrap::SharedBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(model_->shared_bytes()));
}

Napi::Value ModelWrap::Sessions(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), model_->contexts()); }

Napi::Value ModelWrap::CreateSession(const Napi::CallbackInfo& info) { return SessionWrap::Create(info.Env(), model_); }

}  // namespace cleave
