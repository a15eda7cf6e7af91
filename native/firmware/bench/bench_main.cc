// The MCU benchmark image (board support from native/firmware/board/): runs the embedded Program (payload.S) on its embedded input once on the
// reference kernels and once with cleave::CortexMOps, timing Invoke() with SysTick, then once more
// each way with a per-op profile. Prints, over semihosting, lines that bench/mcu.ts parses:
//   calibration loop_instructions=<n> ticks=<t>      a loop of known length, for ticks->instructions
//   program arena=<bytes> ops=<n>
//   run kernels=<reference|cortexm> ticks=<t> output=<hex bytes>
//   op kernels=<set> index=<i> opcode=<code> kernel=<name> ticks=<t>
// bench_config.h (generated per model by bench/mcu-image.ts) sizes the tables and the arena and
// lists the ops the image links.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "bench_config.h"
#include "board/systick.h"
#include "interp/interpreter.h"
#include "interp/op_resolver.h"
#include "interp/program.h"
#include "kernels/cortexm/cortexm_ops.h"
#include "semihost.h"

extern "C" const uint8_t bench_program[], bench_program_end[], bench_input[], bench_input_end[];

namespace {

const cleave::OpRegistration* const kOps[] = {BENCH_OPS};
constexpr cleave::OpResolver kResolver(kOps, sizeof(kOps) / sizeof(kOps[0]));
cleave::TensorInfo g_tensors[BENCH_MAX_TENSORS];
cleave::OpView g_ops[BENCH_MAX_OPS];
alignas(16) uint8_t g_arena[BENCH_ARENA_BYTES];
cleave::CortexMOps g_cortexm;

// Appends decimal `v` at `out`; returns the end.
char* Decimal(char* out, uint64_t v) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0) *out++ = digits[--n];
  return out;
}

char* Text(char* out, const char* text) {
  while (*text) *out++ = *text++;
  return out;
}

// One line of `key=value` fields: Line("run").Field("ticks", 12).End().
class Line {
 public:
  explicit Line(const char* kind) : end_(Text(buffer_, kind)) {}
  Line& Field(const char* key, uint64_t value) {
    end_ = Decimal(Text(Text(Text(end_, " "), key), "="), value);
    return *this;
  }
  Line& Field(const char* key, const char* value) {
    end_ = Text(Text(Text(Text(end_, " "), key), "="), value);
    return *this;
  }
  // Prints the line, ended with a newline unless more of it follows (PrintHex).
  void End(bool newline = true) {
    if (newline) *end_++ = '\n';
    *end_ = '\0';
    bench::Print(buffer_);
  }

 private:
  char buffer_[160];
  char* end_;
};

// Prints `bytes` as hex in chunks (semihosting writes a NUL-terminated string per call).
void PrintHex(const uint8_t* bytes, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  char chunk[129];
  size_t n = 0;
  for (size_t i = 0; i < size; ++i) {
    chunk[n++] = kDigits[bytes[i] >> 4];
    chunk[n++] = kDigits[bytes[i] & 15];
    if (n == 128 || i + 1 == size) {
      chunk[n] = '\0';
      bench::Print(chunk);
      n = 0;
    }
  }
}

// Times each op; prints one line per op after its end tick is read, so printing is not timed.
class OpProfiler final : public cleave::OpObserver {
 public:
  OpProfiler(const cleave::Program& program, const char* set) : program_(program), set_(set) {}
  void OnOpBegin(uint32_t) override { begin_ = cleave::board::SysTickNow(); }
  void OnOpEnd(uint32_t op_index, const char* kernel) override {
    const uint64_t ticks = cleave::board::SysTickNow() - begin_;
    Line("op").Field("kernels", set_).Field("index", op_index).Field("opcode", program_.op(op_index).opcode)
        .Field("kernel", kernel).Field("ticks", ticks).End();
  }

 private:
  const cleave::Program& program_;
  const char* set_;
  uint64_t begin_ = 0;
};

// A loop of exactly 2 * n instructions (subs, bne), to measure instructions per SysTick tick.
void Calibrate() {
  constexpr uint32_t kIterations = 1000000;
  uint32_t n = kIterations;
  const uint64_t t0 = cleave::board::SysTickNow();
  __asm__ volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(n) : : "cc");
  const uint64_t ticks = cleave::board::SysTickNow() - t0;
  Line("calibration").Field("loop_instructions", 2 * uint64_t{kIterations}).Field("ticks", ticks).End();
}

bool RunOnce(const cleave::Program& program, cleave::OpAccelerator* accelerator, const char* set, bool profile) {
  cleave::Interpreter interpreter(program, g_arena);
  interpreter.SetAccelerator(accelerator);
  interpreter.ResetState();
  std::memcpy(interpreter.TensorData(program.input(0)), bench_input, static_cast<size_t>(bench_input_end - bench_input));
  OpProfiler profiler(program, set);
  const uint64_t t0 = cleave::board::SysTickNow();
  const cleave::Status s = interpreter.Invoke(profile ? &profiler : nullptr);
  const uint64_t ticks = cleave::board::SysTickNow() - t0;
  if (!s.ok()) {
    Line("error").Field("kernels", set).Field("status", static_cast<uint64_t>(s.code)).Field("op", static_cast<uint64_t>(s.op)).End();
    return false;
  }
  if (profile) return true;
  Line("run").Field("kernels", set).Field("ticks", ticks).Field("output", "").End(false);
  const cleave::TensorInfo& out = program.tensor(program.output(0));
  PrintHex(interpreter.TensorData(program.output(0)), out.byte_size);
  bench::Print("\n");
  return true;
}

int RunBench() {
  cleave::Program program;
  const cleave::Status s = program.Load(bench_program, static_cast<size_t>(bench_program_end - bench_program), g_tensors,
                                        BENCH_MAX_TENSORS, g_ops, BENCH_MAX_OPS, kResolver);
  if (!s.ok()) {
    Line("error").Field("load_status", static_cast<uint64_t>(s.code)).End();
    return 1;
  }
  const size_t input_bytes = static_cast<size_t>(bench_input_end - bench_input);
  if (program.arena_bytes() > sizeof(g_arena) || program.input_count() != 1 || program.output_count() != 1 ||
      program.tensor(program.input(0)).byte_size != input_bytes) {
    Line("error").Field("arena", program.arena_bytes()).Field("input_bytes", input_bytes).End();
    return 1;
  }
  // Not before the load: SysTick's value register reads 0 until its first reload after
  // SysTickStart(), which board/systick.cc would count as a full period.
  Calibrate();
  Line("program").Field("arena", program.arena_bytes()).Field("ops", program.op_count()).End();
  const bool ran = RunOnce(program, nullptr, "reference", false) && RunOnce(program, &g_cortexm, "cortexm", false) &&
                   RunOnce(program, nullptr, "reference", true) && RunOnce(program, &g_cortexm, "cortexm", true);
  return ran ? 0 : 1;
}

}  // namespace

int main() {
  cleave::board::SysTickStart();
  bench::Exit(RunBench());
}
