// Polled driver for the STM32L4/L4+ LPUART (the ST-LINK virtual COM port of the Nucleo-144 L4
// boards), 8N1. The board's Init() clocks it and routes its pins.
#pragma once
#include <cstddef>
#include <cstdint>

namespace cleave::board {

class Stm32Lpuart {
 public:
  explicit Stm32Lpuart(uint32_t base) : regs_(*reinterpret_cast<Regs*>(base)) {}
  // Enables transmit and receive at `baud` from the LPUART's kernel clock `clock_hz`.
  void Start(uint32_t clock_hz, uint32_t baud);
  void Write(uint8_t byte);
  void Write(const uint8_t* bytes, size_t size);
  // -1 when no byte has arrived.
  int Read();

 private:
  struct Regs {
    volatile uint32_t cr1, cr2, cr3, brr, reserved0[2], rqr, isr, icr, rdr, tdr, presc;
  };
  Regs& regs_;
};

}  // namespace cleave::board
