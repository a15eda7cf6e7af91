// Entry point of build/Release/cleave_bench.node: native code only the benchmark uses (the MAC
// ceiling loops, the thread pool's hand-off), kept out of the runtime addon. Typed in bench/native.ts; loaded only by bench/.
#include <napi.h>

#include "bench/peak.h"
#include "bench/pool_handoff.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  RegisterPeak(env, exports);
  RegisterPoolHandoff(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(cleave_bench, Init)
