#include "addon/session.h"

#include <string>
#include <utility>
#include <vector>

#include "addon/addon_data.h"
#include "addon/errors.h"
#include "interp/program.h"

namespace cleave {

namespace {

// Views of the caller's typed arrays, valid until the calling JS function returns.
bool ReadInputViews(Napi::Env env, const Napi::Value& value, std::vector<InputView>* views) {
  if (!value.IsArray()) {
    CodedError(env, StatusCode::kBadInput, "inputs must be an array of typed arrays").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Array list = value.As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Value v = list.Get(i);
    if (!v.IsTypedArray()) {
      CodedError(env, StatusCode::kBadInput, "input " + std::to_string(i) + " is not a typed array").ThrowAsJavaScriptException();
      return false;
    }
    Napi::TypedArray ta = v.As<Napi::TypedArray>();
    views->push_back({static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset(), ta.ByteLength()});
  }
  return true;
}

RunOptions ReadRunOptions(const Napi::CallbackInfo& info) {
  RunOptions options;
  options.dump = info[1].ToBoolean().Value();
  options.profile = info[2].ToBoolean().Value();
  return options;
}

Napi::Value ResultToJs(Napi::Env env, const RunResult& r, const RunOptions& options) {
  Napi::Object o = Napi::Object::New(env);
  Napi::Array outputs = Napi::Array::New(env, r.outputs.size());
  for (size_t i = 0; i < r.outputs.size(); ++i) outputs.Set(i, Napi::Buffer<uint8_t>::Copy(env, r.outputs[i].data(), r.outputs[i].size()));
  o.Set("outputs", outputs);
  o.Set("nanos", Napi::Number::New(env, static_cast<double>(r.nanos)));
  if (options.dump) {
    Napi::Object dumps = Napi::Object::New(env);
    for (const auto& [index, bytes] : r.dumps) dumps.Set(std::to_string(index), Napi::Buffer<uint8_t>::Copy(env, bytes.data(), bytes.size()));
    o.Set("dumps", dumps);
  }
  if (options.profile) {
    Napi::Array ops = Napi::Array::New(env, r.profile.size());
    for (size_t i = 0; i < r.profile.size(); ++i) {
      const OpTiming& t = r.profile[i];
      Napi::Object e = Napi::Object::New(env);
      e.Set("op", Napi::Number::New(env, t.op_index));
      e.Set("name", Napi::String::New(env, OpName(t.opcode)));
      e.Set("kernel", Napi::String::New(env, t.kernel));
      e.Set("nanos", Napi::Number::New(env, static_cast<double>(t.nanos)));
      ops.Set(i, e);
    }
    o.Set("profile", ops);
  }
  return o;
}

// A queued request: executed on the worker thread, settled on the JS thread.
class SessionJob : public SettledJob {
 public:
  SessionJob(Napi::Env env, SessionWrap* owner) : owner_(owner), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Settle(Napi::Env env) override {
    owner_->Settled();
    if (!error_.ok()) {
      deferred_.Reject(CodedError(env, error_).Value());
    } else {
      deferred_.Resolve(Value(env));
    }
  }

 protected:
  virtual Napi::Value Value(Napi::Env env) { return env.Undefined(); }
  HostError error_;

 private:
  SessionWrap* owner_;
  Napi::Promise::Deferred deferred_;
};

class RunJob : public SessionJob {
 public:
  // Copies the inputs now: the caller may refill its arrays as soon as run() returns.
  RunJob(Napi::Env env, SessionWrap* owner, const std::vector<InputView>& inputs, RunOptions options)
      : SessionJob(env, owner), options_(options) {
    inputs_.reserve(inputs.size());
    for (const InputView& v : inputs) inputs_.emplace_back(v.data, v.data + v.size);
  }

  void Execute(ExecutionContext& context) override {
    std::vector<InputView> views;
    views.reserve(inputs_.size());
    for (const std::vector<uint8_t>& b : inputs_) views.push_back({b.data(), b.size()});
    context.Run(views, options_, &result_);
    error_ = result_.error;
  }

 protected:
  Napi::Value Value(Napi::Env env) override { return ResultToJs(env, result_, options_); }

 private:
  std::vector<std::vector<uint8_t>> inputs_;
  RunOptions options_;
  RunResult result_;
};

class ResetJob : public SessionJob {
 public:
  using SessionJob::SessionJob;
  void Execute(ExecutionContext& context) override { context.ResetState(); }
};

class ImportJob : public SessionJob {
 public:
  ImportJob(Napi::Env env, SessionWrap* owner, const uint8_t* bytes, size_t size)
      : SessionJob(env, owner), state_(bytes, bytes + size) {}
  void Execute(ExecutionContext& context) override { error_ = context.ImportState(state_.data(), state_.size()); }

 private:
  std::vector<uint8_t> state_;
};

class ExportJob : public SessionJob {
 public:
  using SessionJob::SessionJob;
  void Execute(ExecutionContext& context) override { state_ = context.ExportState(); }

 protected:
  Napi::Value Value(Napi::Env env) override { return Napi::Buffer<uint8_t>::Copy(env, state_.data(), state_.size()); }

 private:
  std::vector<uint8_t> state_;
};

Napi::Value Resolved(Napi::Env env, Napi::Value value) {
  Napi::Promise::Deferred d = Napi::Promise::Deferred::New(env);
  d.Resolve(value);
  return d.Promise();
}

Napi::Value Rejected(Napi::Env env, const HostError& error) {
  Napi::Promise::Deferred d = Napi::Promise::Deferred::New(env);
  d.Reject(CodedError(env, error).Value());
  return d.Promise();
}

}  // namespace

Napi::Function SessionWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeSession",
                     {InstanceAccessor<&SessionWrap::Pending>("pending"),
                      InstanceAccessor<&SessionWrap::StateBytes>("stateBytes"),
                      InstanceMethod<&SessionWrap::Run>("run"), InstanceMethod<&SessionWrap::RunSync>("runSync"),
                      InstanceMethod<&SessionWrap::ResetState>("resetState"),
                      InstanceMethod<&SessionWrap::ExportState>("exportState"),
                      InstanceMethod<&SessionWrap::ImportState>("importState"),
                      InstanceMethod<&SessionWrap::Dispose>("dispose")});
}

Napi::Value SessionWrap::Create(Napi::Env env, std::shared_ptr<const LoadedModel> model) {
  auto* holder = new std::shared_ptr<const LoadedModel>(std::move(model));
  return AddonData::Of(env).session_class.New({Napi::External<std::shared_ptr<const LoadedModel>>::New(
      env, holder, [](Napi::Env, std::shared_ptr<const LoadedModel>* p) { delete p; })});
}

SessionWrap::SessionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SessionWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsExternal()) {
    CodedError(env, StatusCode::kBadArgument, "sessions are made by NativeModel.createSession()").ThrowAsJavaScriptException();
    return;
  }
  HostError error;
  context_.reset(new ExecutionContext(*info[0].As<Napi::External<std::shared_ptr<const LoadedModel>>>().Data(), &error));
  if (!error.ok()) {
    context_.reset();
    CodedError(env, error).ThrowAsJavaScriptException();
    return;
  }
  worker_.reset(new ContextWorker(context_.get(), AddonData::Of(env).completions.get()));
}

SessionWrap::~SessionWrap() { Release(); }

void SessionWrap::Release() {
  worker_.reset();  // joins the thread: nothing is queued once pending_ is 0
  context_.reset();
}

ExecutionContext* SessionWrap::Live(Napi::Env env) {
  if (disposed_ || !context_) {
    CodedError(env, StatusCode::kDisposed, "session is disposed").ThrowAsJavaScriptException();
    return nullptr;
  }
  return context_.get();
}

void SessionWrap::Submit(std::unique_ptr<ContextJob> job, bool inline_now) {
  const bool idle = pending_ == 0;
  if (pending_++ == 0) Ref();  // the JS object outlives its jobs
  CompletionPort* completions = AddonData::Of(Env()).completions.get();
  completions->Begin();
  if (inline_now && idle) {
    job->Execute(*context_);
    completions->Completed(std::move(job));
    return;
  }
  worker_->Submit(std::move(job));
}

void SessionWrap::Settled() {
  AddonData::Of(Env()).completions->End();
  if (--pending_ > 0) return;
  if (disposed_) Release();
  Unref();
}

Napi::Value SessionWrap::Pending(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), pending_); }

Napi::Value SessionWrap::StateBytes(const Napi::CallbackInfo& info) {
  ExecutionContext* context = Live(info.Env());
  return context ? Napi::Number::New(info.Env(), static_cast<double>(context->state_bytes())) : info.Env().Undefined();
}

// run(inputs, dump, profile) -> Promise<result>
Napi::Value SessionWrap::Run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<InputView> views;
  if (!Live(env) || !ReadInputViews(env, info[0], &views)) return env.Undefined();
  auto job = std::make_unique<RunJob>(env, this, views, ReadRunOptions(info));
  Napi::Value promise = job->Promise();
  Submit(std::move(job), context_->short_runs());
  return promise;
}

// runSync(inputs, dump, profile) -> result
Napi::Value SessionWrap::RunSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ExecutionContext* context = Live(env);
  if (!context) return env.Undefined();
  if (pending_ > 0) {
    CodedError(env, StatusCode::kBusy,
               "runSync() while " + std::to_string(pending_) + " queued call(s) have not finished: await them first")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<InputView> views;
  if (!ReadInputViews(env, info[0], &views)) return env.Undefined();
  const RunOptions options = ReadRunOptions(info);
  RunResult result;
  context->Run(views, options, &result);
  if (!result.error.ok()) {
    CodedError(env, result.error).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return ResultToJs(env, result, options);
}

Napi::Value SessionWrap::ResetState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ExecutionContext* context = Live(env);
  if (!context) return env.Undefined();
  if (pending_ == 0) {
    context->ResetState();
    return Resolved(env, env.Undefined());
  }
  auto job = std::make_unique<ResetJob>(env, this);
  Napi::Value promise = job->Promise();
  Submit(std::move(job));
  return promise;
}

Napi::Value SessionWrap::ExportState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ExecutionContext* context = Live(env);
  if (!context) return env.Undefined();
  if (pending_ == 0) {
    const std::vector<uint8_t> state = context->ExportState();
    return Resolved(env, Napi::Buffer<uint8_t>::Copy(env, state.data(), state.size()));
  }
  auto job = std::make_unique<ExportJob>(env, this);
  Napi::Value promise = job->Promise();
  Submit(std::move(job));
  return promise;
}

Napi::Value SessionWrap::ImportState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ExecutionContext* context = Live(env);
  if (!context) return env.Undefined();
  if (info.Length() < 1 || !info[0].IsTypedArray()) {
    CodedError(env, StatusCode::kBadInput, "state must be a Uint8Array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
  const uint8_t* bytes = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  if (pending_ == 0) {
    const HostError error = context->ImportState(bytes, ta.ByteLength());
    return error.ok() ? Resolved(env, env.Undefined()) : Rejected(env, error);
  }
  auto job = std::make_unique<ImportJob>(env, this, bytes, ta.ByteLength());
  Napi::Value promise = job->Promise();
  Submit(std::move(job));
  return promise;
}

Napi::Value SessionWrap::Dispose(const Napi::CallbackInfo& info) {
  // Calls already queued still finish; the context goes when the last of them settles.
  disposed_ = true;
  if (pending_ == 0) Release();
  return info.Env().Undefined();
}

}  // namespace cleave
