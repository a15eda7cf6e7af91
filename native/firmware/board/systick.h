// Time from SysTick, counting the processor clock: 24 bits wide, so its interrupt extends it to 64
// bits. Under QEMU with `-icount shift=0` one instruction takes 1 ns of emulated time, so ticks
// convert to instructions as ticks * 1e9 / clock Hz (x40 on mps2-an385 at 25 MHz).
#pragma once
#include <cstdint>

namespace cleave::board {

void SysTickStart();
uint64_t SysTickNow();

}  // namespace cleave::board
