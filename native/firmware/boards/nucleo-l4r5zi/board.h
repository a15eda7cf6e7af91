// ST NUCLEO-L4R5ZI (STM32L4R5ZI, Cortex-M4F); boards/nucleo-l4r5zi.json describes it. The firmware
// runs on the reset clock (MSI, 4 MHz): the PLL to 120 MHz is not set up, so timings are ~30x
// slower than the part can run. Built and size-checked here; not run on silicon (docs/hardware.md).
#pragma once
#include <cstdint>

#include "board/stm32_lpuart.h"

namespace cleave::board {

constexpr const char* kName = "nucleo-l4r5zi";
using Uart = Stm32Lpuart;
constexpr uint32_t kUart0Base = 0x40008000;  // LPUART1, wired to the ST-LINK virtual COM port (PG7/PG8)
constexpr uint32_t kClockHz = 4000000;       // MSI after reset: the core, SysTick and PCLK1 (the LPUART's clock)

// 640 KiB of SRAM (link.ld). Programs too large for the serial buffer go into flash with
// `cleave flash --program` and run from there.
constexpr uint32_t kProgramCapacity = 224u << 10, kArenaCapacity = 256u << 10;
constexpr uint32_t kMaxTensors = 512, kMaxOps = 256;

// Clocks the LPUART and port G, powers port G's I/O (VDDIO2) and routes PG7/PG8 to LPUART1.
void Init();

}  // namespace cleave::board
