// N-API entry point: registers the functions declared in src/native.ts. Glue only: conversions
// between JS values and plain C++ structs; no arithmetic happens here.
#include <napi.h>

#include "addon/codec_glue.h"
#include "addon/cpu_features.h"
#include "addon/session.h"
#include "bench/peak.h"

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
  exports.Set("version", Napi::String::New(env, "0.1.0"));
  exports.Set("cpuFeatures", Napi::Function::New(env, CpuFeaturesJs, "cpuFeatures"));
  exports.Set("NativeSession", cleave::SessionWrap::Define(env));
  RegisterPeak(env, exports);
  RegisterCodecs(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(cleave, Init)
