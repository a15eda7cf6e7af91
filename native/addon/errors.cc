#include "addon/errors.h"

namespace cleave {

Napi::Error CodedError(Napi::Env env, StatusCode code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, StatusCodeName(code)));
  return error;
}

}  // namespace cleave
