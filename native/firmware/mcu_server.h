// The firmware's side of the MCU protocol (docs/mcu-protocol.md): answers hello, receives a Program
// in CRC-checked chunks into a static buffer, loads it with the core loader, sets inputs, runs the
// interpreter N times under SysTick, reads outputs and timing. Every refusal is an error frame with
// a code (a native StatusCodeName or an MCU_ code) and a message.
#pragma once
#include <cstddef>
#include <cstdint>

#include "frame_link.h"
#include "interp/interpreter.h"
#include "interp/program.h"

namespace cleave::mcu {

struct ServerMemory {
  const char* board_name;
  uint32_t clock_hz;  // SysTick's clock
  uint8_t* program;  // 16-byte aligned
  uint32_t program_capacity;
  uint8_t* arena;    // 16-byte aligned
  uint32_t arena_capacity;
  TensorInfo* tensors;
  uint32_t max_tensors;
  OpView* ops;
  uint32_t max_ops;
};

class Server {
 public:
  // `accelerator` (not owned; null for none) runs the ops it has faster kernels for, on every run.
  Server(FrameLink& link, const ServerMemory& memory, const OpRegistration* const* ops, size_t op_count,
         OpAccelerator* accelerator);

  // Loads the Program resident in the image (`cleave flash --program`), run where it lies (flash);
  // `sha256` (32 bytes, computed when the image was built) names it in hello while it stays loaded.
  // False if it is refused.
  bool LoadResident(const uint8_t* program, uint32_t size, const uint8_t* sha256);
  // One whole frame from the link.
  void Handle(const Frame& frame);
  // A packet the link dropped: said on the line, so the host resends without waiting for a timeout.
  void Dropped(DropReason reason);

  // For the DUT mode (dut.h), which drives the same loaded Program.
  Interpreter* interpreter() { return interpreter_; }
  const Program* program() const { return interpreter_ ? &program_ : nullptr; }
  // Runs the loaded Program `count` times; ticks of the fastest and slowest runs and the total. The
  // inputs are copied from their staging buffers into the arena before each run (untimed): the
  // arena reuses input memory for later activations.
  Status Run(uint32_t count);
  // Where input `index` (below the Program's input count) is kept between runs.
  uint8_t* StagedInput(uint32_t index);
  uint64_t total_ticks() const { return total_ticks_; }
  uint32_t clock_hz() const { return memory_.clock_hz; }

 private:
  void Reply(const Frame& request, uint8_t type, const uint8_t* head, size_t head_size, const uint8_t* tail = nullptr,
             size_t tail_size = 0);
  void Error(uint32_t seq, const char* code, const char* message);
  void StatusError(uint32_t seq, const Status& status);
  void Ack(const Frame& request, uint32_t value);
  void SendTiming(const Frame& request);
  size_t AppendResident(uint8_t* tail, size_t at) const;
  bool LoadProgram(const uint8_t* bytes, uint32_t size, uint32_t seq);

  void OnHello(const Frame& f);
  void OnLoadBegin(const Frame& f);
  void OnLoadChunk(const Frame& f);
  void OnLoadEnd(const Frame& f);
  void OnSetInput(const Frame& f);
  void OnRun(const Frame& f);
  void OnReadOutput(const Frame& f);

  FrameLink& link_;
  const ServerMemory memory_;
  const OpRegistration* const* ops_;
  size_t op_count_;
  OpResolver resolver_;
  OpAccelerator* accelerator_;

  // The load in progress.
  bool loading_ = false;
  uint32_t load_total_ = 0, load_crc_ = 0, load_received_ = 0;
  ProgramStreamVerifier verifier_;

  Program program_;
  uint32_t program_bytes_ = 0;
  // The resident Program's SHA-256 while it is the one loaded; null once a load over serial began.
  const uint8_t* resident_sha256_ = nullptr;
  // The inputs, back to back in the Program buffer (after the Program when it was loaded there).
  uint8_t* input_stage_ = nullptr;
  Interpreter* interpreter_ = nullptr;
  alignas(Interpreter) uint8_t interpreter_storage_[sizeof(Interpreter)];

  // The last run, for read-timing and for a repeated run request (same sequence number: answered
  // again, not run again).
  uint32_t last_run_seq_ = 0;
  bool have_run_ = false;
  uint32_t runs_ = 0;
  uint64_t total_ticks_ = 0, min_ticks_ = 0, max_ticks_ = 0;
  uint32_t run_status_ = 0;
};

}  // namespace cleave::mcu
