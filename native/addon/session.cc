#include "addon/session.h"

#include <string>
#include <utility>
#include <vector>

namespace cleave {

// Inputs as views into JS-owned memory, kept alive by references until the run ends, so each input
// is copied exactly once: from the caller's typed array into the arena.
struct HeldInputs {
  std::vector<InputView> views;
  std::vector<Napi::Reference<Napi::Value>> keep_alive;
};

namespace {

bool ReadInputs(const Napi::Value& value, HeldInputs* held, std::string* error) {
  if (!value.IsArray()) {
    *error = "inputs must be an array of typed arrays";
    return false;
  }
  Napi::Array list = value.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Value v = list.Get(i);
    if (!v.IsTypedArray()) {
      *error = "input " + std::to_string(i) + " is not a typed array";
      return false;
    }
    Napi::TypedArray ta = v.As<Napi::TypedArray>();
    const uint8_t* base = static_cast<const uint8_t*>(ta.ArrayBuffer().Data());
    held->views.push_back({base + ta.ByteOffset(), ta.ByteLength()});
    held->keep_alive.push_back(Napi::Persistent(v));
  }
  return true;
}

Napi::Value ResultToJs(Napi::Env env, RunResult* r, bool dump) {
  Napi::Object o = Napi::Object::New(env);
  Napi::Array outputs = Napi::Array::New(env, r->outputs.size());
  for (size_t i = 0; i < r->outputs.size(); ++i) {
    uint8_t* data = r->outputs[i].release();
    outputs.Set(i, Napi::Buffer<uint8_t>::New(env, data, r->output_sizes[i], [](Napi::Env, uint8_t* p) { delete[] p; }));
  }
  o.Set("outputs", outputs);
  o.Set("nanos", Napi::Number::New(env, static_cast<double>(r->nanos)));
  if (dump) {
    Napi::Object dumps = Napi::Object::New(env);
    for (auto& [index, bytes] : r->dumps) {
      dumps.Set(std::to_string(index), Napi::Buffer<uint8_t>::Copy(env, bytes.data(), bytes.size()));
    }
    o.Set("dumps", dumps);
  }
  return o;
}

class RunWorker : public Napi::AsyncWorker {
 public:
  RunWorker(Napi::Env env, std::shared_ptr<SessionCore> core, HeldInputs held, bool dump)
      : Napi::AsyncWorker(env, "cleave.run"), core_(std::move(core)), held_(std::move(held)), dump_(dump),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    core_->Run(held_.views, dump_, &result_);
    core_->Release();
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (!result_.error.empty()) {
      deferred_.Reject(Napi::Error::New(env, result_.error).Value());
      return;
    }
    deferred_.Resolve(ResultToJs(env, &result_, dump_));
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  std::shared_ptr<SessionCore> core_;
  HeldInputs held_;
  bool dump_;
  RunResult result_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Function SessionWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeSession",
                     {InstanceAccessor<&SessionWrap::ArenaBytes>("arenaBytes"),
                      InstanceAccessor<&SessionWrap::Kernels>("kernels"),
                      InstanceAccessor<&SessionWrap::Threads>("threads"),
                      InstanceMethod<&SessionWrap::Run>("run"), InstanceMethod<&SessionWrap::RunSync>("runSync"),
                      InstanceMethod<&SessionWrap::ResetState>("resetState"),
                      InstanceMethod<&SessionWrap::Dispose>("dispose")});
}

SessionWrap::SessionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SessionWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    Napi::TypeError::New(env, "NativeSession(program): program must be a Uint8Array").ThrowAsJavaScriptException();
    return;
  }
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  const uint8_t* data = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  SessionOptions options;
  if (info.Length() > 1 && info[1].IsObject()) {
    Napi::Object o = info[1].As<Napi::Object>();
    if (o.Has("threads")) options.threads = o.Get("threads").ToNumber().Int32Value();
    if (o.Has("kernels")) options.kernels = o.Get("kernels").ToString().Utf8Value();
  }
  std::string error;
  core_ = SessionCore::Create(data, ta.ByteLength(), options, &error);
  if (!core_) Napi::Error::New(env, error).ThrowAsJavaScriptException();
}

std::shared_ptr<SessionCore> SessionWrap::Acquire(Napi::Env env) {
  if (!core_) {
    Napi::Error::New(env, "session is disposed").ThrowAsJavaScriptException();
    return nullptr;
  }
  if (!core_->TryAcquire()) {
    Napi::Error::New(env, "session is busy: one run at a time").ThrowAsJavaScriptException();
    return nullptr;
  }
  return core_;
}

Napi::Value SessionWrap::ArenaBytes(const Napi::CallbackInfo& info) {
  return core_ ? Napi::Number::New(info.Env(), core_->arena_bytes()) : info.Env().Undefined();
}

Napi::Value SessionWrap::Kernels(const Napi::CallbackInfo& info) {
  return core_ ? Napi::String::New(info.Env(), core_->kernels()) : info.Env().Undefined();
}

Napi::Value SessionWrap::Threads(const Napi::CallbackInfo& info) {
  return core_ ? Napi::Number::New(info.Env(), core_->threads()) : info.Env().Undefined();
}

// Validates the inputs argument and takes the session's one run slot; null (with a pending JS
// exception) when either fails.
std::shared_ptr<SessionCore> SessionWrap::BeginRun(const Napi::CallbackInfo& info, HeldInputs* held) {
  Napi::Env env = info.Env();
  std::string error;
  if (!ReadInputs(info[0], held, &error)) {
    Napi::TypeError::New(env, error).ThrowAsJavaScriptException();
    return nullptr;
  }
  return Acquire(env);
}

Napi::Value SessionWrap::Run(const Napi::CallbackInfo& info) {
  HeldInputs held;
  std::shared_ptr<SessionCore> core = BeginRun(info, &held);
  if (!core) return info.Env().Undefined();
  auto* worker = new RunWorker(info.Env(), core, std::move(held), info[1].ToBoolean().Value());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

Napi::Value SessionWrap::RunSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  HeldInputs held;
  std::shared_ptr<SessionCore> core = BeginRun(info, &held);
  if (!core) return env.Undefined();
  RunResult result;
  core->Run(held.views, info[1].ToBoolean().Value(), &result);
  core->Release();
  if (!result.error.empty()) {
    Napi::Error::New(env, result.error).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return ResultToJs(env, &result, info[1].ToBoolean().Value());
}

Napi::Value SessionWrap::ResetState(const Napi::CallbackInfo& info) {
  std::shared_ptr<SessionCore> core = Acquire(info.Env());
  if (core) {
    core->ResetState();
    core->Release();
  }
  return info.Env().Undefined();
}

Napi::Value SessionWrap::Dispose(const Napi::CallbackInfo& info) {
  // A run in flight keeps its own reference to the core; memory goes when it finishes.
  core_.reset();
  return info.Env().Undefined();
}

}  // namespace cleave
