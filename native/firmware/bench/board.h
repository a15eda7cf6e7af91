// The minimum board support the MCU benchmark needs on QEMU's mps2-an385 (Cortex-M3) and
// mps2-an505 (Cortex-M33): reset, a free-running SysTick counter, semihosting output and exit.
#pragma once
#include <cstdint>

namespace bench {

// SysTick ticks since reset (the 24-bit counter extended by its wrap interrupt).
uint64_t Ticks();
// Writes `text` to the host's stdout (semihosting SYS_WRITE0).
void Print(const char* text);
// Ends the emulation with `status` as QEMU's exit status (semihosting SYS_EXIT_EXTENDED).
[[noreturn]] void Exit(int status);

}  // namespace bench

// The benchmark's entry, called by Reset_Handler once memory is initialized.
int BenchMain();
