// cleave firmware: the MCU protocol (docs/mcu-protocol.md) and the MLPerf Tiny DUT dialect on one
// UART. A line's first byte tells them apart: 0x00 opens a binary frame, a printable character a DUT
// command ending in '%'. The Program buffer and the arena are static arrays sized by the board
// (board.h); the image links the same loader, interpreter and kernels as the host addon.
#include <cstdint>

#include "board.h"
#include "board/systick.h"
#include "dut.h"
#include "frame_link.h"
#include "kernels/cortexm/cortexm_ops.h"
#include "mcu_server.h"

namespace {

// Every op the core has; an image for known Programs may list fewer (smaller flash).
const cleave::OpRegistration* const kOps[] = {
    &cleave::kConv2DOp,   &cleave::kDepthwiseConv2DOp, &cleave::kFullyConnectedOp, &cleave::kAddOp,
    &cleave::kAveragePool2DOp, &cleave::kMaxPool2DOp, &cleave::kReshapeOp,       &cleave::kSoftmaxOp,
    &cleave::kQuantizeOp, &cleave::kDequantizeOp,      &cleave::kPadOp,            &cleave::kConcatenationOp,
    &cleave::kMeanOp,     &cleave::kSvdfOp,
};

alignas(16) uint8_t g_program[cleave::board::kProgramCapacity];
alignas(16) uint8_t g_arena[cleave::board::kArenaCapacity];
cleave::TensorInfo g_tensors[cleave::board::kMaxTensors];
cleave::OpView g_ops[cleave::board::kMaxOps];

// The Cortex-M kernels (SMLAD/SXTAB16 where the core has DSP), bit-exact with the reference.
cleave::CortexMOps g_cortexm;

cleave::board::Uart g_uart(cleave::board::kUart0Base);
cleave::mcu::FrameLink g_link(g_uart);
cleave::mcu::Server g_server(g_link,
                             {cleave::board::kName, cleave::board::kClockHz, g_program, cleave::board::kProgramCapacity,
                              g_arena, cleave::board::kArenaCapacity, g_tensors, cleave::board::kMaxTensors, g_ops,
                              cleave::board::kMaxOps},
                             kOps, sizeof(kOps) / sizeof(kOps[0]), &g_cortexm);
cleave::mcu::Dut g_dut(g_uart, g_server);

uint8_t NextByte() {
  for (;;) {
    const int b = g_uart.Read();
    if (b >= 0) return uint8_t(b);
  }
}

}  // namespace

// An image built with a Program embedded (`cleave flash --program`) defines these: the Program stays
// where the image put it (flash) and runs from there; its SHA-256 names it in hello.
extern "C" {
__attribute__((weak)) extern const uint8_t cleave_embedded_program[];
__attribute__((weak)) extern const uint32_t cleave_embedded_program_size;
__attribute__((weak)) extern const uint8_t cleave_embedded_program_sha256[32];
}

int main() {
  cleave::board::Init();
  cleave::board::SysTickStart();
  g_uart.Start(cleave::board::kClockHz, 115200);
  if (&cleave_embedded_program_size != nullptr) {
    g_server.LoadResident(cleave_embedded_program, cleave_embedded_program_size, cleave_embedded_program_sha256);
  }
  g_dut.Ready();
  enum class Mode { kStart, kFrame, kLine } mode = Mode::kStart;
  for (;;) {
    const uint8_t b = NextByte();
    if (b == 0) {
      // A delimiter: closes the frame being received (or abandons a text line), opens the next.
      if (mode == Mode::kFrame) {
        cleave::mcu::Frame frame;
        cleave::mcu::DropReason reason;
        if (g_link.EndPacket(&frame, &reason)) g_server.Handle(frame);
        else if (reason != cleave::mcu::DropReason::kNone) g_server.Dropped(reason);
      }
      g_link.BeginPacket();
      g_dut.Abandon();
      mode = Mode::kStart;
      continue;
    }
    if (mode == Mode::kStart) {
      // The first byte after a delimiter decides: a COBS-encoded frame starts with a small code
      // byte (the CLVW header has a zero within its first 8 bytes), a DUT command with a letter.
      if (b == '\r' || b == '\n' || b == ' ') continue;
      mode = b >= 0x20 && b < 0x7F ? Mode::kLine : Mode::kFrame;
    }
    if (mode == Mode::kFrame) {
      g_link.Append(b);
    } else if (g_dut.Put(b)) {
      mode = Mode::kStart;
    }
  }
}
