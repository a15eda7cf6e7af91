// Native errors as JS values: every error the addon raises carries `code`, the StatusCodeName of a
// StatusCode (native/common/status.h), which src/ turns into a CleaveError with that code.
#pragma once
#include <napi.h>

#include <string>

#include "common/status.h"
#include "host/host_error.h"

namespace cleave {

Napi::Error CodedError(Napi::Env env, StatusCode code, const std::string& message);
inline Napi::Error CodedError(Napi::Env env, const HostError& error) { return CodedError(env, error.code, error.message); }

}  // namespace cleave
