// Host-side text of a Status (native/common/status.h): fills the message template's placeholders.
// Firmware never formats; the host does it for the addon and for Status records read off a serial
// line from a board.
#pragma once
#include <string>

#include "common/status.h"

namespace cleave {

std::string FormatStatus(const Status& status);

}  // namespace cleave
