#include "dut.h"

#include "board/systick.h"

namespace cleave::mcu {

namespace {

constexpr const char* kDeviceName = "dut";
constexpr const char* kVendor = "cleave";
constexpr const char* kFirmwareProfile = "cleave MLPerf Tiny DUT v1";

// The next space-separated word of `*p`: its start, and `*p` moved past it; null at the end.
const char* NextWord(const char** p, size_t* size) {
  const char* s = *p;
  while (*s == ' ') ++s;
  if (!*s) return nullptr;
  const char* start = s;
  while (*s && *s != ' ') ++s;
  *size = size_t(s - start);
  *p = s;
  return start;
}

bool Equals(const char* word, size_t size, const char* literal) {
  size_t i = 0;
  for (; i < size && literal[i]; ++i) {
    if (word[i] != literal[i]) return false;
  }
  return i == size && !literal[i];
}

// A decimal count; false when it is not one (or above 10^9).
bool ParseCount(const char* word, size_t size, uint32_t* out) {
  if (size == 0 || size > 9) return false;
  uint32_t v = 0;
  for (size_t i = 0; i < size; ++i) {
    if (word[i] < '0' || word[i] > '9') return false;
    v = v * 10 + uint32_t(word[i] - '0');
  }
  *out = v;
  return true;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void Dut::Text(const char* s) {
  while (*s) uart_.Write(uint8_t(*s++));
}

void Dut::Number(uint64_t v) {
  char digits[20];
  int n = 0;
  do {
    digits[n++] = char('0' + v % 10);
    v /= 10;
  } while (v);
  while (n) uart_.Write(uint8_t(digits[--n]));
}

void Dut::Ready() {
  Line("m-init-done");
  Line("m-ready");
}

bool Dut::Put(uint8_t c) {
  if (c != '%') {
    if (length_ < kLineBytes) line_[length_++] = char(c);
    else overflow_ = true;
    return false;
  }
  line_[length_] = 0;
  if (overflow_) {
    Text("e-[Command longer than ");
    Number(kLineBytes);
    Line(" characters]");
  } else {
    Execute();
  }
  Line("m-ready");
  length_ = 0;
  overflow_ = false;
  return true;
}

void Dut::Execute() {
  const char* p = line_;
  size_t size = 0;
  const char* command = NextWord(&p, &size);
  if (!command) {
    Line("e-[Empty command]");
  } else if (Equals(command, size, "name")) {
    Name();
  } else if (Equals(command, size, "profile")) {
    Profile();
  } else if (Equals(command, size, "timestamp")) {
    Timestamp();
  } else if (Equals(command, size, "db")) {
    Db(p);
  } else if (Equals(command, size, "infer")) {
    Infer(p);
  } else if (Equals(command, size, "results")) {
    Results();
  } else {
    Text("e-[Unknown command: ");
    Text(line_);
    Line("]");
  }
}

void Dut::Name() {
  Text("m-name-");
  Text(kDeviceName);
  Text("-[");
  Text(kVendor);
  Line("]");
}

void Dut::Profile() {
  Text("m-profile-[");
  Text(kFirmwareProfile);
  Line("]");
  Text("m-model-[");
  Text(server_.program() ? "cleave-program" : "none");
  Line("]");
}

void Dut::Timestamp() {
  // Microseconds of SysTick time, as th_timestamp() prints in performance mode.
  Text("m-lap-us-");
  Number(board::SysTickNow() * 1000000 / server_.clock_hz());
  Text("\r\n");
}

void Dut::Db(const char* args) {
  size_t size = 0;
  const char* word = NextWord(&args, &size);
  const Program* program = server_.program();
  if (!word) return Line("e-[Command 'db' requires a subcommand]");
  if (!program) return Line("e-[No Program is loaded]");
  const uint32_t input_bytes = program->tensor(program->input(0)).byte_size;
  if (Equals(word, size, "load")) {
    const char* count = NextWord(&args, &size);
    uint32_t n = 0;
    if (!count || !ParseCount(count, size, &n) || n == 0) return Line("e-[Command 'db load' requires a byte count > 0]");
    if (n > input_bytes) {
      Text("e-[db load ");
      Number(n);
      Text(" bytes: the Program's input 0 holds ");
      Number(input_bytes);
      return Line("]");
    }
    db_expected_ = n;
    db_received_ = 0;
    Text("m-[Expecting ");
    Number(n);
    return Line(" bytes]");
  }
  if (db_expected_ == 0) return Line("e-[Send 'db load N' first]");
  if (size % 2) return Line("e-[Insufficent number of hex digits]");
  uint8_t* input = server_.interpreter()->TensorData(program->input(0));
  for (size_t i = 0; i < size && db_received_ < db_expected_; i += 2) {
    const int hi = HexDigit(word[i]), lo = HexDigit(word[i + 1]);
    if (hi < 0 || lo < 0) return Line("e-[Invalid hex digit]");
    input[db_received_++] = uint8_t(hi * 16 + lo);
  }
  if (db_received_ == db_expected_) Line("m-load-done");
}

void Dut::Infer(const char* args) {
  if (!server_.program()) return Line("e-[No Program is loaded]");
  uint32_t n = 1, warmup = 0;
  size_t size = 0;
  if (const char* word = NextWord(&args, &size)) {
    if (!ParseCount(word, size, &n) || n == 0) return Line("e-[Inference iterations must be >0]");
    if ((word = NextWord(&args, &size)) && !ParseCount(word, size, &warmup)) {
      return Line("e-[Inference warmup must be >=0]");
    }
  }
  Text("m-warmup-start-");
  Number(warmup);
  Text("\r\n");
  if (warmup) {
    const Status s = server_.Run(warmup);
    if (!s.ok()) return Line("e-[Inference failed]");
  }
  Line("m-warmup-done");
  Text("m-infer-start-");
  Number(n);
  Text("\r\n");
  Timestamp();
  const Status s = server_.Run(n);
  Timestamp();
  if (!s.ok()) return Line("e-[Inference failed]");
  Line("m-infer-done");
  Results();
}

void Dut::Results() {
  const Program* program = server_.program();
  if (!program) return Line("e-[No Program is loaded]");
  // Output 0 dequantized, three decimals, as the reference th_results() prints its float vector.
  const TensorInfo& out = program->tensor(program->output(0));
  const uint8_t* data = server_.interpreter()->TensorData(program->output(0));
  Text("m-results-[");
  for (uint32_t i = 0; i < out.byte_size; ++i) {
    int32_t q = out.dtype == DType::kUInt8 ? int32_t(data[i]) : int32_t(int8_t(data[i]));
    const float value = float(q - out.zero_point) * out.scale;
    int64_t milli = int64_t(value * 1000.0f + (value < 0 ? -0.5f : 0.5f));
    if (milli < 0) {
      uart_.Write('-');
      milli = -milli;
    }
    Number(uint64_t(milli / 1000));
    uart_.Write('.');
    const uint32_t frac = uint32_t(milli % 1000);
    uart_.Write(uint8_t('0' + frac / 100));
    uart_.Write(uint8_t('0' + frac / 10 % 10));
    uart_.Write(uint8_t('0' + frac % 10));
    if (i + 1 < out.byte_size) uart_.Write(',');
  }
  Line("]");
}

}  // namespace cleave::mcu
