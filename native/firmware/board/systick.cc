#include "board/systick.h"

namespace {

struct SysTickRegs {
  volatile uint32_t ctrl, load, val, calib;
};
SysTickRegs& systick = *reinterpret_cast<SysTickRegs*>(0xE000E010);
constexpr uint32_t kReload = 0xFFFFFF;
constexpr uint32_t kCtrlEnable = 1, kCtrlInterrupt = 2, kCtrlProcessorClock = 4;

volatile uint32_t g_wraps;

}  // namespace

extern "C" void SysTick_Handler() { g_wraps = g_wraps + 1; }

namespace cleave::board {

void SysTickStart() {
  systick.ctrl = 0;
  systick.load = kReload;
  systick.val = 0;
  g_wraps = 0;
  systick.ctrl = kCtrlEnable | kCtrlInterrupt | kCtrlProcessorClock;
}

uint64_t SysTickNow() {
  // Read the wrap count on both sides of the counter: if it moved, the counter wrapped in between.
  for (;;) {
    const uint32_t before = g_wraps;
    const uint32_t down = systick.val;
    if (g_wraps == before) return (uint64_t(before) << 24) + (kReload - down);
  }
}

}  // namespace cleave::board
