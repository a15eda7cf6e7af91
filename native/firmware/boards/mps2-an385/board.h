// Arm MPS2 AN385 (Cortex-M3, 25 MHz) as QEMU emulates it; boards/mps2-an385.json describes it.
#pragma once
#include <cstdint>

namespace cleave::board {

constexpr const char* kName = "mps2-an385";
constexpr uint32_t kUart0Base = 0x40004000;  // CMSDK APB UART0
constexpr uint32_t kClockHz = 25000000;      // SysTick counts this clock (CLKSOURCE = processor)
constexpr uint32_t kRamBytes = 4u << 20;     // link.ld: RAM region

}  // namespace cleave::board
