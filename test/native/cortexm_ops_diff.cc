// Host harness of test/native/cortexm-ops.test.ts: runs Programs on the reference kernels and on
// cleave::CortexMOps and compares every output byte. argv[1] is a manifest, one run per line:
//   <program file> <input file>...   (one input file per Program input, in the Program's order)
// Prints one line per run: "ok <line> accelerated=<ops the Cortex-M kernels ran>", or
// "differ <line> byte <i>: reference <r> cortexm <c>", or "error <line> <what>".
// With --requantize instead of a manifest it compares cortexm::MultiplyByQuantizedMultiplier with
// the reference's over edge and pseudo-random values and prints "requantize <cases> <differing>".
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "interp/interpreter.h"
#include "interp/program.h"
#include "kernels/common.h"
#include "kernels/cortexm/cortexm_kernels.h"
#include "kernels/cortexm/cortexm_ops.h"

namespace {

std::vector<uint8_t> ReadFile(const std::string& path, bool* ok) {
  std::ifstream f(path, std::ios::binary);
  *ok = static_cast<bool>(f);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Counts the ops an accelerator ran.
class KernelCounter final : public cleave::OpObserver {
 public:
  void OnOpEnd(uint32_t, const char* kernel) override {
    if (std::strcmp(kernel, "reference") != 0) ++accelerated;
  }
  int accelerated = 0;
};

// Runs `program` once on `inputs` into `outputs` (all output bytes, back to back). The arena starts
// filled with `fill`, so a kernel that reads memory it never wrote shows up as a difference.
bool Run(const cleave::Program& program, const std::vector<std::vector<uint8_t>>& inputs, cleave::OpAccelerator* accelerator,
         uint8_t fill, KernelCounter* counter, std::vector<uint8_t>* outputs, std::string* error) {
  std::vector<uint64_t> arena_storage(program.arena_bytes() / 8 + 2);
  uint8_t* arena = reinterpret_cast<uint8_t*>(arena_storage.data());
  std::memset(arena, fill, arena_storage.size() * 8);
  cleave::Interpreter interpreter(program, arena);
  interpreter.ResetState();
  interpreter.SetAccelerator(accelerator);
  for (uint32_t i = 0; i < program.input_count(); ++i) {
    const cleave::TensorInfo& t = program.tensor(program.input(i));
    if (inputs[i].size() != t.byte_size) {
      *error = "input " + std::to_string(i) + " is " + std::to_string(inputs[i].size()) + " bytes, the Program wants " +
               std::to_string(t.byte_size);
      return false;
    }
    std::memcpy(interpreter.TensorData(program.input(i)), inputs[i].data(), t.byte_size);
  }
  const cleave::Status s = interpreter.Invoke(counter);
  if (!s.ok()) {
    *error = "invoke failed with status " + std::to_string(static_cast<int>(s.code));
    return false;
  }
  outputs->clear();
  for (uint32_t i = 0; i < program.output_count(); ++i) {
    const uint8_t* data = interpreter.TensorData(program.output(i));
    outputs->insert(outputs->end(), data, data + program.tensor(program.output(i)).byte_size);
  }
  return true;
}

std::string RunLine(const std::string& line, int number) {
  std::istringstream words(line);
  std::string program_path;
  words >> program_path;
  bool ok = false;
  const std::vector<uint8_t> file = ReadFile(program_path, &ok);
  if (!ok) return "error " + std::to_string(number) + " cannot read " + program_path;
  std::vector<uint64_t> bytes_storage(file.size() / 8 + 1);
  std::memcpy(bytes_storage.data(), file.data(), file.size());
  const uint8_t* bytes = reinterpret_cast<const uint8_t*>(bytes_storage.data());
  uint32_t tensor_count = 0, op_count = 0;
  cleave::Status s = cleave::Program::PeekCounts(bytes, file.size(), &tensor_count, &op_count);
  std::vector<cleave::TensorInfo> tensors(tensor_count);
  std::vector<cleave::OpView> ops(op_count);
  cleave::Program program;
  if (s.ok()) s = program.Load(bytes, file.size(), tensors.data(), tensor_count, ops.data(), op_count);
  if (!s.ok()) return "error " + std::to_string(number) + " " + program_path + " does not load (status " + std::to_string(int(s.code)) + ")";
  std::vector<std::vector<uint8_t>> inputs;
  for (std::string input_path; words >> input_path;) {
    inputs.push_back(ReadFile(input_path, &ok));
    if (!ok) return "error " + std::to_string(number) + " cannot read " + input_path;
  }
  if (inputs.size() != program.input_count()) return "error " + std::to_string(number) + " wrong number of inputs";

  std::vector<uint8_t> reference, accelerated;
  std::string error;
  KernelCounter counter;
  cleave::CortexMOps cortexm;
  if (!Run(program, inputs, nullptr, 0x00, nullptr, &reference, &error) ||
      !Run(program, inputs, &cortexm, 0xA5, &counter, &accelerated, &error)) {
    return "error " + std::to_string(number) + " " + error;
  }
  for (size_t i = 0; i < reference.size(); ++i) {
    if (reference[i] != accelerated[i]) {
      return "differ " + std::to_string(number) + " byte " + std::to_string(i) + ": reference " +
             std::to_string(int8_t(reference[i])) + " cortexm " + std::to_string(int8_t(accelerated[i]));
    }
  }
  return "ok " + std::to_string(number) + " accelerated=" + std::to_string(counter.accelerated);
}

void CompareRequantize() {
  const int32_t edges[] = {0, 1, -1, 2, -2, 3, 127, -128, 255, -255, 1 << 15, -(1 << 15), 1 << 30, -(1 << 30),
                           INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1, 0x40000000 - 1, 12345678, -12345678};
  uint32_t state = 12345;
  auto next = [&]() {
    state = state * 1664525u + 1013904223u;
    return static_cast<int32_t>(state);
  };
  long cases = 0, differing = 0;
  for (int shift = -40; shift <= 32; ++shift) {
    for (int i = 0; i < 3000; ++i) {
      const int32_t x = i < 21 * 21 ? edges[i % 21] : (i % 2 ? next() : next() >> (i % 24));
      const int32_t multiplier = i < 21 * 21 ? edges[i / 21] : (i % 3 ? static_cast<int32_t>(0x40000000u | (uint32_t(next()) >> 2)) : next());
      ++cases;
      if (cleave::cortexm::MultiplyByQuantizedMultiplier(x, multiplier, shift) !=
          cleave::kernels::MultiplyByQuantizedMultiplier(x, multiplier, shift)) {
        if (differing++ < 5) std::fprintf(stderr, "differ: x=%d multiplier=%d shift=%d\n", x, multiplier, shift);
      }
    }
  }
  std::printf("requantize %ld %ld\n", cases, differing);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s MANIFEST\n", argv[0]);
    return 2;
  }
  if (std::strcmp(argv[1], "--requantize") == 0) {
    CompareRequantize();
    return 0;
  }
  std::ifstream manifest(argv[1]);
  if (!manifest) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 2;
  }
  int number = 0;
  for (std::string line; std::getline(manifest, line);) {
    if (line.empty()) continue;
    std::printf("%s\n", RunLine(line, ++number).c_str());
  }
  return 0;
}
