// sd_notify(3) as `sdNotify(state)`: see sd_notify.cc.
#pragma once
#include <napi.h>

namespace cleave {

void RegisterSdNotify(Napi::Env env, Napi::Object exports);

}  // namespace cleave
