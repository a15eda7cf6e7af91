// Semihosting for the benchmark images under QEMU (-semihosting): text to the host's console and
// the emulator's exit status. Board support (startup, SysTick, linker scripts) is native/firmware/board/.
#pragma once

namespace bench {

// Writes `text` to the host's console (SYS_WRITE0).
void Print(const char* text);
// Ends the emulation with `status` as QEMU's exit status (SYS_EXIT_EXTENDED).
[[noreturn]] void Exit(int status);

}  // namespace bench
