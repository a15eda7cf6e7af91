#include "semihost.h"

#include <cstddef>
#include <cstdint>

namespace {

int Semihost(int operation, const void* argument) {
  register int r0 __asm__("r0") = operation;
  register const void* r1 __asm__("r1") = argument;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

}  // namespace

namespace bench {

void Print(const char* text) { Semihost(0x04, text); }

void Exit(int status) {
  const uint32_t block[2] = {0x20026 /* ADP_Stopped_ApplicationExit */, static_cast<uint32_t>(status)};
  Semihost(0x20, block);
  for (;;) {
  }
}

}  // namespace bench
