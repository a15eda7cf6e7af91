// Polled driver for Arm's CMSDK APB UART (the UARTs of the MPS2 boards), 8N1.
#pragma once
#include <cstddef>
#include <cstdint>

namespace cleave::board {

class CmsdkUart {
 public:
  explicit CmsdkUart(uint32_t base) : regs_(*reinterpret_cast<Regs*>(base)) {}
  // Enables transmit and receive at `baud` from the UART's clock `clock_hz`.
  void Start(uint32_t clock_hz, uint32_t baud);
  void Write(uint8_t byte);
  void Write(const uint8_t* bytes, size_t size);
  // -1 when no byte has arrived.
  int Read();

 private:
  struct Regs {
    volatile uint32_t data, state, ctrl, intstatus, bauddiv;
  };
  Regs& regs_;
};

}  // namespace cleave::board
