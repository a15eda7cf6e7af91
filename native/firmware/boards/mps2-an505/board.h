// Arm MPS2 AN505 (Cortex-M33, 20 MHz) as QEMU emulates it, run in the Secure state;
// boards/mps2-an505.json describes it.
#pragma once
#include <cstdint>

#include "board/cmsdk_uart.h"

namespace cleave::board {

constexpr const char* kName = "mps2-an505";
using Uart = CmsdkUart;
constexpr uint32_t kUart0Base = 0x50200000;  // CMSDK APB UART0, Secure alias (Non-secure: 0x40200000)
constexpr uint32_t kClockHz = 20000000;      // SysTick and the UART count this clock
constexpr uint32_t kRamBytes = 4u << 20;     // link.ld: RAM region

// Half the RAM for a Program loaded over serial, a quarter for the arena; the rest holds the
// tables, buffers and the stack.
constexpr uint32_t kProgramCapacity = kRamBytes / 2, kArenaCapacity = kRamBytes / 4;
constexpr uint32_t kMaxTensors = 1024, kMaxOps = 512;

// QEMU starts the board with its clocks and UART pins ready: nothing to set up.
inline void Init() {}

}  // namespace cleave::board
