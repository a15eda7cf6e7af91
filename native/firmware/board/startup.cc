// Vector table and reset for every cleave Cortex-M image (M0+, M3, M4F, M33): copy .data from its load
// address, zero .bss, run static constructors, call main(). board/sections.ld places the symbols.
// Faults stop the core in a loop a debugger can see; SysTick is board/systick.cc's.
#include <cstdint>

extern "C" {
extern uint32_t __data_load__, __data_start__, __data_end__, __bss_start__, __bss_end__, __stack_top__;
extern void (*__init_array_start[])();
extern void (*__init_array_end[])();
int main();
[[noreturn]] void Reset_Handler();
void SysTick_Handler();
}

namespace {

[[noreturn]] void HaltOnFault() {
  for (;;) {
  }
}

using Handler = void (*)();

}  // namespace

extern "C" [[noreturn]] void Reset_Handler() {
#if defined(__ARM_FP)
  // Built for a core's FPU (hard-float ABI): grant access to CP10/CP11 before any float instruction.
  auto& cpacr = *reinterpret_cast<volatile uint32_t*>(0xE000ED88);
  cpacr = cpacr | (0xFu << 20);
  __asm__ volatile("dsb\n isb" ::: "memory");
#endif
  const uint32_t* from = &__data_load__;
  for (uint32_t* to = &__data_start__; to < &__data_end__;) *to++ = *from++;
  for (uint32_t* to = &__bss_start__; to < &__bss_end__;) *to++ = 0;
  for (auto* init = __init_array_start; init < __init_array_end; ++init) (*init)();
  main();
  HaltOnFault();
}

// The 16 system exceptions of ARMv7-M / ARMv8-M (ARMv6-M reserves the fault slots it lacks); no device interrupt is enabled, so none is listed.
__attribute__((section(".vectors"), used)) const Handler kVectorTable[16] = {
    reinterpret_cast<Handler>(&__stack_top__),  // initial stack pointer
    Reset_Handler,
    HaltOnFault,  // NMI
    HaltOnFault,  // HardFault
    HaltOnFault,  // MemManage
    HaltOnFault,  // BusFault
    HaltOnFault,  // UsageFault
    HaltOnFault,  // SecureFault (ARMv8-M), reserved on ARMv7-M
    nullptr, nullptr, nullptr,
    HaltOnFault,  // SVCall
    HaltOnFault,  // DebugMonitor
    nullptr,
    HaltOnFault,  // PendSV
    SysTick_Handler,
};
