// Polled driver for Arm's PrimeCell PL011 UART (the RP2040's UART0/1), 8N1 with its FIFOs on.
// The board's Init() clocks it and routes its pins.
#pragma once
#include <cstddef>
#include <cstdint>

namespace cleave::board {

class Pl011Uart {
 public:
  explicit Pl011Uart(uint32_t base) : regs_(*reinterpret_cast<Regs*>(base)) {}
  // Enables transmit and receive at `baud` from the UART's reference clock `clock_hz`.
  void Start(uint32_t clock_hz, uint32_t baud);
  void Write(uint8_t byte);
  void Write(const uint8_t* bytes, size_t size);
  // -1 when no byte has arrived.
  int Read();

 private:
  struct Regs {
    volatile uint32_t dr, rsr, reserved0[4], fr, reserved1, ilpr, ibrd, fbrd, lcr_h, cr;
  };
  Regs& regs_;
};

}  // namespace cleave::board
