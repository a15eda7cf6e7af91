// Arm MPS2 AN505 (Cortex-M33, 20 MHz) as QEMU emulates it, run in the Secure state;
// boards/mps2-an505.json describes it.
#pragma once
#include <cstdint>

namespace cleave::board {

constexpr const char* kName = "mps2-an505";
constexpr uint32_t kUart0Base = 0x50200000;  // CMSDK APB UART0, Secure alias (Non-secure: 0x40200000)
constexpr uint32_t kClockHz = 20000000;      // SysTick counts this clock (CLKSOURCE = processor)
constexpr uint32_t kRamBytes = 4u << 20;     // link.ld: RAM region

}  // namespace cleave::board
