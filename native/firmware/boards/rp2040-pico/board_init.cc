// RP2040 bring-up (RP2040 datasheet: 2.15 clocks, 2.16 XOSC, 2.14 resets, 2.19 GPIO) and the entry
// the bootrom jumps to after a RAM-only UF2 download.
#include "board.h"

extern "C" {
extern uint32_t __stack_top__, __vectors_start__;
[[noreturn]] void Reset_Handler();
}

// The bootrom enters a RAM-only image at its lowest address, as code (not through a vector table):
// point VTOR at the vector table, take its stack and go to Reset_Handler. link.ld puts this first.
extern "C" __attribute__((naked, noreturn, used, section(".ram_entry"))) void RamEntry() {
  __asm__ volatile(
      "ldr r0, =__vectors_start__\n"
      "ldr r1, =0xE000ED08\n"  // VTOR
      "str r0, [r1]\n"
      "ldr r0, =__stack_top__\n"
      "msr msp, r0\n"
      "ldr r0, =Reset_Handler\n"
      "bx r0\n"
      ".ltorg\n");
}

namespace cleave::board {

namespace {

volatile uint32_t& Reg(uint32_t address) { return *reinterpret_cast<volatile uint32_t*>(address); }

constexpr uint32_t kXosc = 0x40024000, kClocks = 0x40008000, kResets = 0x4000C000, kIoBank0 = 0x40014000;
constexpr uint32_t kAtomicClear = 0x3000;  // writes to this alias clear the bits written
constexpr uint32_t kXoscCtrl = kXosc + 0x00, kXoscStatus = kXosc + 0x04, kXoscStartup = kXosc + 0x0C;
constexpr uint32_t kXoscRange1To15MHz = 0xAA0, kXoscEnable = 0xFABu << 12, kXoscStable = 1u << 31;
constexpr uint32_t kXoscStartupDelay = 47;  // x 256 cycles of 12 MHz: about 1 ms
constexpr uint32_t kClkRefCtrl = kClocks + 0x30, kClkRefSelected = kClocks + 0x38;
constexpr uint32_t kClkSysCtrl = kClocks + 0x3C, kClkSysSelected = kClocks + 0x44;
constexpr uint32_t kClkPeriCtrl = kClocks + 0x48;
constexpr uint32_t kClkRefFromXosc = 2, kClkSysFromClkRef = 0, kClkPeriEnable = 1u << 11;
constexpr uint32_t kResetsReset = kResets + 0x0, kResetsDone = kResets + 0x8;
constexpr uint32_t kResetIoBank0 = 1u << 5, kResetPadsBank0 = 1u << 8, kResetUart0 = 1u << 22;
constexpr uint32_t kGpioCtrl0 = kIoBank0 + 0x04, kGpioCtrl1 = kIoBank0 + 0x0C, kFuncUart = 2;

}  // namespace

void Init() {
  Reg(kXoscCtrl) = kXoscRange1To15MHz;
  Reg(kXoscStartup) = kXoscStartupDelay;
  Reg(kXoscCtrl) = kXoscRange1To15MHz | kXoscEnable;
  while (!(Reg(kXoscStatus) & kXoscStable)) {
  }
  // Glitchless switches; SELECTED is one-hot by source.
  Reg(kClkRefCtrl) = (Reg(kClkRefCtrl) & ~3u) | kClkRefFromXosc;
  while (!(Reg(kClkRefSelected) & (1u << kClkRefFromXosc))) {
  }
  Reg(kClkSysCtrl) = (Reg(kClkSysCtrl) & ~1u) | kClkSysFromClkRef;
  while (!(Reg(kClkSysSelected) & (1u << kClkSysFromClkRef))) {
  }
  Reg(kClkPeriCtrl) = kClkPeriEnable;  // auxiliary source 0: clk_sys

  const uint32_t blocks = kResetIoBank0 | kResetPadsBank0 | kResetUart0;
  Reg(kResetsReset + kAtomicClear) = blocks;
  while ((Reg(kResetsDone) & blocks) != blocks) {
  }
  Reg(kGpioCtrl0) = kFuncUart;
  Reg(kGpioCtrl1) = kFuncUart;
}

}  // namespace cleave::board
