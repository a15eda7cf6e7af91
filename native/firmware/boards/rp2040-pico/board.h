// Raspberry Pi Pico (RP2040, Cortex-M0+); boards/rp2040-pico.json describes it. The image runs from
// SRAM: a RAM-only UF2 that the bootrom (BOOTSEL drive or `picotool load`) writes into SRAM and
// enters at its lowest address, so it needs no flash second stage (boot2) and is gone at power-off.
// Core 0 only, at 12 MHz from the crystal (the PLL is not set up). Built and size-checked here; not
// run on silicon (docs/hardware.md).
#pragma once
#include <cstdint>

#include "board/pl011_uart.h"

namespace cleave::board {

constexpr const char* kName = "rp2040-pico";
using Uart = Pl011Uart;
constexpr uint32_t kUart0Base = 0x40034000;  // UART0 on GP0 (TX) / GP1 (RX)
constexpr uint32_t kClockHz = 12000000;      // the crystal: clk_ref, clk_sys (SysTick) and clk_peri (UART)

// Code, data, buffers and stack share the 264 KiB of SRAM (link.ld).
constexpr uint32_t kProgramCapacity = 48u << 10, kArenaCapacity = 64u << 10;
constexpr uint32_t kMaxTensors = 256, kMaxOps = 128;

// Starts the crystal, runs clk_ref, clk_sys and clk_peri from it, takes UART0 and the GPIO bank out
// of reset and gives GP0/GP1 to UART0.
void Init();

}  // namespace cleave::board
