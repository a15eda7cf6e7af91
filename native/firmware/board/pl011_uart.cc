#include "board/pl011_uart.h"

namespace cleave::board {

namespace {
constexpr uint32_t kFrRxEmpty = 1u << 4, kFrTxFull = 1u << 5;
constexpr uint32_t kLcrFifoEnable = 1u << 4, kLcrWordLength8 = 3u << 5;
constexpr uint32_t kCrEnable = 1u << 0, kCrTxEnable = 1u << 8, kCrRxEnable = 1u << 9;
}  // namespace

void Pl011Uart::Start(uint32_t clock_hz, uint32_t baud) {
  regs_.cr = 0;
  // The divisor clock / (16 baud) as an integer part and a 6-bit fraction, rounded: 64x it is
  // 4 clock / baud.
  const uint32_t divisor64 = uint32_t((uint64_t(clock_hz) * 4 + baud / 2) / baud);
  regs_.ibrd = divisor64 >> 6;
  regs_.fbrd = divisor64 & 63;
  regs_.lcr_h = kLcrWordLength8 | kLcrFifoEnable;  // this write latches the divisor
  regs_.cr = kCrEnable | kCrTxEnable | kCrRxEnable;
}

void Pl011Uart::Write(uint8_t byte) {
  while (regs_.fr & kFrTxFull) {
  }
  regs_.dr = byte;
}

void Pl011Uart::Write(const uint8_t* bytes, size_t size) {
  for (size_t i = 0; i < size; ++i) Write(bytes[i]);
}

int Pl011Uart::Read() {
  if (regs_.fr & kFrRxEmpty) return -1;
  return static_cast<int>(regs_.dr & 0xFF);
}

}  // namespace cleave::board
