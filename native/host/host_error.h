// An error of the host layer: a StatusCode (native/common/status.h) and its text. The firmware-clean
// core reports a Status with a static template; the host adds what only it knows (a kernel set's
// name, a byte count) and formats once. The code crosses to TypeScript as `CleaveError.code`.
#pragma once
#include <string>
#include <utility>

#include "common/status.h"
#include "host/status_format.h"

namespace cleave {

struct HostError {
  StatusCode code = StatusCode::kOk;
  std::string message;

  bool ok() const { return code == StatusCode::kOk; }
  static HostError Ok() { return HostError(); }
  static HostError Of(StatusCode code, std::string message) { return HostError{code, std::move(message)}; }
  static HostError From(const Status& status) { return status.ok() ? Ok() : Of(status.code, FormatStatus(status)); }
};

}  // namespace cleave
