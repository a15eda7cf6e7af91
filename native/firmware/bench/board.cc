// Vector table, reset and SysTick for the benchmark images. Memory layout comes from the board's
// linker script (mps2-an385.ld, mps2-an505.ld); everything here is common to both cores.
#include "board.h"

#include <cstring>

extern "C" {
extern uint32_t __stack_top[], __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
[[noreturn]] void Reset_Handler();
void SysTick_Handler();
[[noreturn]] void Fault_Handler();
}

namespace {

// SysTick registers (Armv7-M/Armv8-M System Control Space).
volatile uint32_t* const kSysTickCtrl = reinterpret_cast<volatile uint32_t*>(0xE000E010);
volatile uint32_t* const kSysTickLoad = reinterpret_cast<volatile uint32_t*>(0xE000E014);
volatile uint32_t* const kSysTickValue = reinterpret_cast<volatile uint32_t*>(0xE000E018);
constexpr uint32_t kSysTickPeriod = 1u << 24;  // the counter's full range: fewest interrupts

volatile uint32_t g_wraps;

int Semihost(int operation, const void* argument) {
  register int r0 __asm__("r0") = operation;
  register const void* r1 __asm__("r1") = argument;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

}  // namespace

namespace bench {

uint64_t Ticks() {
  // Read the wrap count on both sides of the counter, so a wrap between the reads is not lost.
  uint32_t wraps, value;
  do {
    wraps = g_wraps;
    value = *kSysTickValue;
  } while (wraps != g_wraps);
  return uint64_t(wraps) * kSysTickPeriod + (kSysTickPeriod - 1 - value);
}

void Print(const char* text) { Semihost(0x04, text); }

void Exit(int status) {
  const uint32_t block[2] = {0x20026 /* ADP_Stopped_ApplicationExit */, static_cast<uint32_t>(status)};
  Semihost(0x20, block);
  for (;;) {
  }
}

}  // namespace bench

// Classes with virtual destructors (OpAccelerator, OpObserver) make the compiler emit deleting
// destructors that name operator delete; nothing here is ever allocated or deleted, and these
// definitions keep the library's (and with it malloc) out of the image.
void operator delete(void*) noexcept { Fault_Handler(); }
void operator delete(void*, size_t) noexcept { Fault_Handler(); }

extern "C" void SysTick_Handler() { g_wraps = g_wraps + 1; }

extern "C" void Fault_Handler() {
  bench::Print("fault\n");
  bench::Exit(3);
}

extern "C" void Reset_Handler() {
  std::memcpy(__data_start, __data_load, static_cast<size_t>(__data_end - __data_start) * 4);
  std::memset(__bss_start, 0, static_cast<size_t>(__bss_end - __bss_start) * 4);
  *kSysTickLoad = kSysTickPeriod - 1;
  *kSysTickValue = 0;
  *kSysTickCtrl = 0x7;  // processor clock, interrupt on wrap, enabled
  // The counter reads 0 until its first reload; Ticks() counts from there.
  while (*kSysTickValue == 0) {
  }
  bench::Exit(BenchMain());
}

// Initial stack pointer, reset, NMI, HardFault, MemManage, BusFault, UsageFault, (SecureFault),
// reserved, SVCall, DebugMonitor, reserved, PendSV, SysTick.
using Vector = void (*)();
extern "C" __attribute__((section(".vectors"), used)) const Vector kVectors[16] = {
    reinterpret_cast<Vector>(__stack_top), Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, Fault_Handler, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, SysTick_Handler};
