#include "host/status_format.h"

#include <cstring>

#include "interp/program.h"

namespace cleave {

std::string FormatStatus(const Status& status) {
  std::string out;
  const char* p = status.what ? status.what : "";
  while (*p) {
    if (*p != '{') {
      out += *p++;
      continue;
    }
    const char* close = std::strchr(p, '}');
    if (!close) {
      out += p;
      break;
    }
    const std::string key(p + 1, close);
    if (key == "op") out += std::to_string(status.op);
    else if (key == "tensor") out += std::to_string(status.tensor);
    else if (key == "offset") out += std::to_string(status.offset);
    else if (key == "a") out += std::to_string(status.a);
    else if (key == "b") out += std::to_string(status.b);
    else if (key == "c") out += std::to_string(status.c);
    else if (key == "name") out += OpName(status.opcode);
    else out.append(p, close + 1);
    p = close + 1;
  }
  return out;
}

}  // namespace cleave
