// The firmware-clean core on its own (no addon, no optimized kernels): op resolvers, kernel
// failures reaching the caller, and recurrent state export/import. test/native/interp.test.ts
// compiles the Programs and passes their paths:
//   interp_test CONV_PROGRAM PADDED_AVERAGE_POOL_PROGRAM SVDF_PROGRAM
// Prints TAP lines ("ok N - name" / "not ok N - name: detail") and a plan.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "interp/interpreter.h"
#include "interp/op_resolver.h"
#include "interp/ops.h"
#include "interp/program.h"

using namespace cleave;

namespace {

int g_count = 0;
int g_failed = 0;

void Report(bool ok, const char* name, const Status& s = Status::Ok()) {
  ++g_count;
  if (ok) {
    std::printf("ok %d - %s\n", g_count, name);
    return;
  }
  ++g_failed;
  std::printf("not ok %d - %s: status %s \"%s\" op %d opcode %d a %lld b %lld\n", g_count, name, StatusCodeName(s.code), s.what, s.op,
              s.opcode, static_cast<long long>(s.a), static_cast<long long>(s.b));
}

// Program bytes and the tables and arena to load and run them, all 16-byte aligned.
struct Loaded {
  uint8_t* bytes = nullptr;
  size_t size = 0;
  std::vector<TensorInfo> tensors;
  std::vector<OpView> ops;
  Program program;
  Status status;

  Loaded(const char* path, const OpResolver& resolver) {
    FILE* f = std::fopen(path, "rb");
    if (!f) {
      status = Status::Error(StatusCode::kBadInput, "cannot open the Program file");
      return;
    }
    std::fseek(f, 0, SEEK_END);
    size = static_cast<size_t>(std::ftell(f));
    std::fseek(f, 0, SEEK_SET);
    bytes = static_cast<uint8_t*>(std::aligned_alloc(16, (size + 15) / 16 * 16));
    const size_t read = std::fread(bytes, 1, size, f);
    std::fclose(f);
    uint32_t tc = 0, oc = 0;
    status = read == size ? Program::PeekCounts(bytes, size, &tc, &oc) : Status::Error(StatusCode::kBadInput, "short read");
    if (!status.ok()) return;
    tensors.resize(tc);
    ops.resize(oc);
    status = program.Load(bytes, size, tensors.data(), tc, ops.data(), oc, resolver);
  }
  ~Loaded() { std::free(bytes); }
};

struct Arena {
  uint8_t* data;
  explicit Arena(const Program& p) : data(static_cast<uint8_t*>(std::aligned_alloc(16, (p.arena_bytes() + 16) / 16 * 16))) {
    std::memset(data, 0, p.arena_bytes());
  }
  ~Arena() { std::free(data); }
};

// Every op but `left_out`.
struct ResolverWithout {
  const OpRegistration* registrations[14];
  size_t count = 0;
  explicit ResolverWithout(uint16_t left_out) {
    const OpRegistration* all[] = {&kConv2DOp, &kDepthwiseConv2DOp, &kFullyConnectedOp, &kAddOp, &kAveragePool2DOp,
                                   &kMaxPool2DOp, &kReshapeOp, &kSoftmaxOp, &kQuantizeOp, &kDequantizeOp, &kPadOp,
                                   &kConcatenationOp, &kMeanOp, &kSvdfOp};
    for (const OpRegistration* r : all) {
      if (r->opcode != left_out) registrations[count++] = r;
    }
  }
  OpResolver resolver() const { return OpResolver(registrations, count); }
};

void TestResolver(const char* conv_path) {
  const ResolverWithout without_conv(kConv2D);
  const OpResolver resolver = without_conv.resolver();
  Loaded refused(conv_path, resolver);
  Report(refused.status.code == StatusCode::kUnsupportedOp && refused.status.op == 0 && refused.status.opcode == kConv2D,
         "a resolver without CONV_2D refuses a Program that uses it, naming op 0 and its opcode", refused.status);

  const ResolverWithout without_softmax(kSoftmax);
  const OpResolver other = without_softmax.resolver();
  Loaded loaded(conv_path, other);
  Report(loaded.status.ok(), "a resolver that lacks only ops the Program does not use loads it", loaded.status);
  if (!loaded.status.ok()) return;
  Arena arena(loaded.program);
  Interpreter interpreter(loaded.program, arena.data);
  const Status run = interpreter.Invoke();
  Report(run.ok(), "and runs it through its registrations", run);
}

Status AcceptAnything(const OpCheck&) { return Status::Ok(); }

void TestKernelFailure(const char* padded_path) {
  Loaded checked(padded_path, AllOps());
  Report(checked.status.code == StatusCode::kProgramInvalid && checked.status.op == 0 && checked.status.opcode == kAveragePool2D,
         "the loader refuses an AVERAGE_POOL_2D window that lies entirely in the padding", checked.status);

  // Past a validator that accepts anything, the kernel's own refusal must still reach the caller.
  const OpRegistration unchecked_pool = {kAveragePool2D, AcceptAnything, EvalAveragePool2D};
  const OpRegistration* registrations[] = {&unchecked_pool};
  const OpResolver resolver(registrations, 1);
  Loaded loaded(padded_path, resolver);
  Report(loaded.status.ok(), "an accept-anything validator loads it", loaded.status);
  if (!loaded.status.ok()) return;
  Arena arena(loaded.program);
  Interpreter interpreter(loaded.program, arena.data);
  const Status run = interpreter.Invoke();
  Report(run.code == StatusCode::kKernelFailed && run.op == 0 && run.opcode == kAveragePool2D,
         "Invoke returns the kernel's failure as kKernelFailed naming op 0 (AVERAGE_POOL_2D)", run);
}

// Fills the Program's first input with a pattern that differs per step.
void FillInput(Interpreter& interpreter, const Program& program, int step) {
  const uint32_t id = program.input(0);
  uint8_t* data = interpreter.TensorData(id);
  for (uint32_t i = 0; i < program.tensor(id).byte_size; ++i) data[i] = static_cast<uint8_t>(i * 37 + step * 101 + 11);
}

std::vector<uint8_t> Output(const Interpreter& interpreter, const Program& program) {
  const uint32_t id = program.output(0);
  const uint8_t* data = interpreter.TensorData(id);
  return std::vector<uint8_t>(data, data + program.tensor(id).byte_size);
}

void TestState(const char* svdf_path) {
  Loaded a(svdf_path, AllOps());
  Loaded b(svdf_path, AllOps());
  Report(a.status.ok() && b.status.ok(), "the SVDF Program loads", a.status);
  if (!a.status.ok() || !b.status.ok()) return;
  Arena arena_a(a.program), arena_b(b.program);
  Interpreter first(a.program, arena_a.data);
  Interpreter second(b.program, arena_b.data);
  const size_t bytes = first.StateBytes();
  Report(bytes > 0, "a stateful Program has state bytes");

  for (int step = 0; step < 3; ++step) {
    FillInput(first, a.program, step);
    first.Invoke();
  }
  std::vector<uint8_t> state(bytes);
  Report(first.ExportState(state.data(), bytes - 1).code == StatusCode::kBadInput, "export into a buffer of the wrong size is kBadInput");
  Report(second.ImportState(state.data(), bytes + 1).code == StatusCode::kBadInput, "import of the wrong size is kBadInput");
  const Status exported = first.ExportState(state.data(), bytes);
  const Status imported = second.ImportState(state.data(), bytes);
  Report(exported.ok() && imported.ok(), "export, then import into a fresh interpreter", exported.ok() ? imported : exported);

  // Replays steps 3..6 on `interpreter`; true when every output matches the original's.
  std::vector<std::vector<uint8_t>> outputs;
  for (int step = 3; step < 7; ++step) {
    FillInput(first, a.program, step);
    first.Invoke();
    outputs.push_back(Output(first, a.program));
  }
  std::vector<uint8_t> final_state(bytes), other_state(bytes);
  first.ExportState(final_state.data(), bytes);
  auto replay = [&](Interpreter& interpreter) {
    bool same = true;
    for (int step = 3; step < 7; ++step) {
      FillInput(interpreter, b.program, step);
      interpreter.Invoke();
      same = same && Output(interpreter, b.program) == outputs[step - 3];
    }
    interpreter.ExportState(other_state.data(), bytes);
    return same && other_state == final_state;
  };
  Report(replay(second), "the imported interpreter continues byte for byte as the original (outputs and state)");
  // From a zeroed state the same steps end elsewhere: the imported state is what carried over.
  second.ResetState();
  Report(!replay(second), "from a fresh state the same steps differ (the check can fail)");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: interp_test CONV_PROGRAM PADDED_AVERAGE_POOL_PROGRAM SVDF_PROGRAM\n");
    return 2;
  }
  TestResolver(argv[1]);
  TestKernelFailure(argv[2]);
  TestState(argv[3]);
  std::printf("1..%d\n", g_count);
  return g_failed == 0 ? 0 : 1;
}
