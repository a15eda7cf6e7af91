// NUCLEO-L4R5ZI bring-up (RM0432): LPUART1 on PG7 (TX) / PG8 (RX), alternate function 8.
#include "board.h"

namespace cleave::board {

namespace {

volatile uint32_t& Reg(uint32_t address) { return *reinterpret_cast<volatile uint32_t*>(address); }

constexpr uint32_t kRcc = 0x40021000, kPwr = 0x40007000, kGpioG = 0x48001800;
constexpr uint32_t kRccAhb2Enr = kRcc + 0x4C, kRccApb1Enr1 = kRcc + 0x58, kRccApb1Enr2 = kRcc + 0x5C;
constexpr uint32_t kGpioGEnable = 1u << 6, kPwrEnable = 1u << 28, kLpuart1Enable = 1u << 0;
constexpr uint32_t kPwrCr2 = kPwr + 0x04, kPwrCr2IoSupplyValid = 1u << 9;
constexpr uint32_t kGpioModer = 0x00, kGpioAfrl = 0x20, kGpioAfrh = 0x24;
constexpr uint32_t kModeAlternate = 2, kAfLpuart1 = 8, kTxPin = 7, kRxPin = 8;

}  // namespace

void Init() {
  Reg(kRccApb1Enr1) = Reg(kRccApb1Enr1) | kPwrEnable;
  Reg(kRccAhb2Enr) = Reg(kRccAhb2Enr) | kGpioGEnable;
  Reg(kRccApb1Enr2) = Reg(kRccApb1Enr2) | kLpuart1Enable;
  // Read back: the clock is on before the first access to the peripheral.
  const uint32_t enabled = Reg(kRccApb1Enr2);
  (void)enabled;
  // PG2-PG15 are supplied by VDDIO2, isolated until software says it is valid.
  Reg(kPwrCr2) = Reg(kPwrCr2) | kPwrCr2IoSupplyValid;
  uint32_t moder = Reg(kGpioG + kGpioModer);
  moder &= ~((3u << (2 * kTxPin)) | (3u << (2 * kRxPin)));
  Reg(kGpioG + kGpioModer) = moder | (kModeAlternate << (2 * kTxPin)) | (kModeAlternate << (2 * kRxPin));
  Reg(kGpioG + kGpioAfrl) = (Reg(kGpioG + kGpioAfrl) & ~(0xFu << (4 * kTxPin))) | (kAfLpuart1 << (4 * kTxPin));
  Reg(kGpioG + kGpioAfrh) = (Reg(kGpioG + kGpioAfrh) & ~(0xFu << (4 * (kRxPin - 8)))) | (kAfLpuart1 << (4 * (kRxPin - 8)));
}

}  // namespace cleave::board
