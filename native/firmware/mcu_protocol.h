// The MCU protocol's message types and versions (docs/mcu-protocol.md): cleave wire frames with
// types in their own range, 32 and up. src/mcu/protocol.ts is the host side of the same table.
#pragma once
#include <cstdint>

namespace cleave::mcu {

// Bumped when a message layout changes; the host refuses a firmware that speaks another version.
constexpr uint32_t kProtocolVersion = 1;
#ifndef CLEAVE_MCU_FIRMWARE_VERSION
#define CLEAVE_MCU_FIRMWARE_VERSION 1
#endif
// The firmware build's own version: the host expects the one it was built with.
constexpr uint32_t kFirmwareVersion = CLEAVE_MCU_FIRMWARE_VERSION;

enum MessageType : uint8_t {
  kError = 5,  // the wire protocol's error frame: u16 code length, code, message
  kHello = 32,
  kHelloAck = 33,
  kLoadBegin = 34,
  kLoadChunk = 35,
  kLoadEnd = 36,
  kAck = 37,
  kLoaded = 38,
  kSetInput = 39,
  kRun = 40,
  kTiming = 41,
  kReadOutput = 42,
  kOutput = 43,
  kReadTiming = 44,
};

}  // namespace cleave::mcu
