// N-API entry point: registers the functions declared in src/native.ts. Glue only: conversions
// between JS values and plain C++ structs; no arithmetic happens here.
#include <napi.h>

#include "addon/addon_data.h"
#include "addon/codec_glue.h"
#include "addon/model.h"
#include "addon/session.h"
#include "addon/sd_notify.h"
#include "host/cpu_features.h"

namespace {

Napi::Value CpuFeaturesJs(const Napi::CallbackInfo& info) {
  const cleave::CpuFeatures f = cleave::DetectCpuFeatures();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("arch", f.arch);
  o.Set("avx2", f.avx2);
  o.Set("fma", f.fma);
  o.Set("avx512vnni", f.avx512vnni);
  o.Set("neon", f.neon);
  o.Set("dotprod", f.dotprod);
  return o;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new cleave::AddonData();
  env.SetInstanceData(data);
  data->completions.reset(new cleave::CompletionPort(env));
  Napi::Function model_class = cleave::ModelWrap::Define(env);
  data->model_class = Napi::Persistent(model_class);
  data->session_class = Napi::Persistent(cleave::SessionWrap::Define(env));
  exports.Set("version", Napi::String::New(env, "0.1.0"));
  exports.Set("cpuFeatures", Napi::Function::New(env, CpuFeaturesJs, "cpuFeatures"));
  exports.Set("NativeModel", model_class);
  exports.Set("loadModel", Napi::Function::New(env, cleave::ModelWrap::LoadAsync, "loadModel"));
  RegisterCodecs(env, exports);
  cleave::RegisterSdNotify(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(cleave, Init)
