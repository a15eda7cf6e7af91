#include "board/stm32_lpuart.h"

namespace cleave::board {

namespace {
constexpr uint32_t kCr1Enable = 1u << 0, kCr1RxEnable = 1u << 2, kCr1TxEnable = 1u << 3;
constexpr uint32_t kIsrOverrun = 1u << 3, kIsrRxNotEmpty = 1u << 5, kIsrTxEmpty = 1u << 7;
constexpr uint32_t kIcrOverrunClear = 1u << 3;
}  // namespace

void Stm32Lpuart::Start(uint32_t clock_hz, uint32_t baud) {
  regs_.cr1 = 0;
  // The LPUART divides by BRR / 256 (64-bit: 256 x clock overflows 32 bits above 16 MHz).
  regs_.brr = uint32_t((uint64_t(clock_hz) * 256 + baud / 2) / baud);
  regs_.cr1 = kCr1Enable | kCr1RxEnable | kCr1TxEnable;
}

void Stm32Lpuart::Write(uint8_t byte) {
  while (!(regs_.isr & kIsrTxEmpty)) {
  }
  regs_.tdr = byte;
}

void Stm32Lpuart::Write(const uint8_t* bytes, size_t size) {
  for (size_t i = 0; i < size; ++i) Write(bytes[i]);
}

int Stm32Lpuart::Read() {
  // An overrun (a byte lost while the interpreter ran) stops reception until cleared; the frame
  // layer's CRC and the host's resend recover the lost byte.
  if (regs_.isr & kIsrOverrun) regs_.icr = kIcrOverrunClear;
  if (!(regs_.isr & kIsrRxNotEmpty)) return -1;
  return static_cast<int>(regs_.rdr & 0xFF);
}

}  // namespace cleave::board
