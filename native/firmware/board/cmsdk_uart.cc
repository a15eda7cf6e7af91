#include "board/cmsdk_uart.h"

namespace cleave::board {

namespace {
constexpr uint32_t kStateTxFull = 1, kStateRxFull = 2;
constexpr uint32_t kCtrlTxEnable = 1, kCtrlRxEnable = 2;
}  // namespace

void CmsdkUart::Start(uint32_t clock_hz, uint32_t baud) {
  const uint32_t divider = clock_hz / baud;  // the CMSDK UART takes at least 16
  regs_.bauddiv = divider < 16 ? 16 : divider;
  regs_.ctrl = kCtrlTxEnable | kCtrlRxEnable;
}

void CmsdkUart::Write(uint8_t byte) {
  while (regs_.state & kStateTxFull) {
  }
  regs_.data = byte;
}

void CmsdkUart::Write(const uint8_t* bytes, size_t size) {
  for (size_t i = 0; i < size; ++i) Write(bytes[i]);
}

int CmsdkUart::Read() {
  if (!(regs_.state & kStateRxFull)) return -1;
  return static_cast<int>(regs_.data & 0xFF);
}

}  // namespace cleave::board
