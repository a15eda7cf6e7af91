#include "mcu_server.h"

#include <new>

#include "board/systick.h"
#include "common/crc32.h"
#include "mcu_protocol.h"

namespace cleave::mcu {

namespace {

// Fills a Status message template (common/status.h) without printf: {op} {tensor} {offset} {a}
// {b} {c} {name}.
class TextBuilder {
 public:
  TextBuilder(char* out, size_t capacity) : out_(out), capacity_(capacity) {}
  void Put(char c) {
    if (size_ < capacity_) out_[size_++] = c;
  }
  void Put(const char* s) {
    while (*s) Put(*s++);
  }
  void Put(int64_t v) {
    if (v < 0) {
      Put('-');
      v = -v;
    }
    char digits[20];
    int n = 0;
    do {
      digits[n++] = char('0' + v % 10);
      v /= 10;
    } while (v && n < 20);
    while (n) Put(digits[--n]);
  }
  void PutStatus(const Status& s) {
    for (const char* p = s.what; *p; ++p) {
      if (*p == '{') {
        const char* close = p + 1;
        while (*close && *close != '}') ++close;
        if (*close == '}' && PutField(s, p + 1, close)) {
          p = close;
          continue;
        }
      }
      Put(*p);
    }
  }
  size_t size() const { return size_; }

 private:
  static bool Is(const char* begin, const char* end, const char* key) {
    while (begin < end && *key && *begin == *key) ++begin, ++key;
    return begin == end && !*key;
  }
  bool PutField(const Status& s, const char* begin, const char* end) {
    if (Is(begin, end, "op")) Put(int64_t(s.op));
    else if (Is(begin, end, "tensor")) Put(int64_t(s.tensor));
    else if (Is(begin, end, "offset")) Put(s.offset);
    else if (Is(begin, end, "a")) Put(s.a);
    else if (Is(begin, end, "b")) Put(s.b);
    else if (Is(begin, end, "c")) Put(s.c);
    else if (Is(begin, end, "name")) Put(OpName(s.opcode));
    else return false;
    return true;
  }
  char* out_;
  size_t capacity_, size_ = 0;
};

bool HasPayload(const Frame& f, uint32_t bytes) { return f.size >= bytes; }

}  // namespace

Server::Server(FrameLink& link, const ServerMemory& memory, const OpRegistration* const* ops, size_t op_count,
               OpAccelerator* accelerator)
    : link_(link), memory_(memory), ops_(ops), op_count_(op_count), resolver_(ops, op_count), accelerator_(accelerator) {}

void Server::Reply(const Frame& request, uint8_t type, const uint8_t* head, size_t head_size, const uint8_t* tail,
                   size_t tail_size) {
  link_.Send(type, 0, request.stream, request.seq, head, head_size, tail, tail_size);
}

void Server::Error(uint32_t seq, const char* code, const char* message) {
  uint8_t payload[2 + 32 + 200];
  size_t code_size = 0;
  while (code[code_size] && code_size < 32) ++code_size;
  payload[0] = uint8_t(code_size);
  payload[1] = 0;
  for (size_t i = 0; i < code_size; ++i) payload[2 + i] = uint8_t(code[i]);
  TextBuilder text(reinterpret_cast<char*>(payload + 2 + code_size), sizeof(payload) - 2 - code_size);
  text.Put(message);
  link_.Send(kError, 0, 0, seq, payload, 2 + code_size + text.size());
}

void Server::StatusError(uint32_t seq, const Status& status) {
  char message[200];
  TextBuilder text(message, sizeof(message) - 1);
  text.PutStatus(status);
  message[text.size()] = 0;
  Error(seq, StatusCodeName(status.code), message);
}

void Server::Ack(const Frame& request, uint32_t value) {
  uint8_t payload[4];
  WriteU32(payload, value);
  Reply(request, kAck, payload, sizeof(payload));
}

void Server::Dropped(DropReason reason) {
  Error(0, "MCU_FRAME_DROPPED", DropReasonText(reason));
}

void Server::Handle(const Frame& f) {
  switch (f.type) {
    case kHello: return OnHello(f);
    case kLoadBegin: return OnLoadBegin(f);
    case kLoadChunk: return OnLoadChunk(f);
    case kLoadEnd: return OnLoadEnd(f);
    case kSetInput: return OnSetInput(f);
    case kRun: return OnRun(f);
    case kReadOutput: return OnReadOutput(f);
    case kReadTiming: return SendTiming(f);
    default: return Error(f.seq, "MCU_BAD_REQUEST", "unknown message type");
  }
}

void Server::OnHello(const Frame& f) {
  uint8_t head[40];
  WriteU32(head, kProtocolVersion);
  WriteU32(head + 4, kFirmwareVersion);
  WriteU32(head + 8, kProgramFormatV2);
  WriteU32(head + 12, memory_.arena_capacity);
  WriteU32(head + 16, memory_.program_capacity);
  WriteU32(head + 20, FrameLink::kMaxPayload);
  WriteU32(head + 24, memory_.clock_hz);
  WriteU32(head + 28, interpreter_ ? uint32_t(program_bytes_) : 0);
  WriteU32(head + 32, interpreter_ ? program_.arena_bytes() : 0);
  size_t name_size = 0;
  while (memory_.board_name[name_size]) ++name_size;
  head[36] = uint8_t(name_size);
  head[37] = uint8_t(name_size >> 8);
  // The board name and op list go in the tail, assembled after the fixed fields.
  uint8_t tail[64 + 2 + 2 * 32 + 1 + 32];
  size_t at = 0;
  for (size_t i = 0; i < name_size && at < 64; ++i) tail[at++] = uint8_t(memory_.board_name[i]);
  tail[at++] = uint8_t(op_count_);
  tail[at++] = uint8_t(op_count_ >> 8);
  for (size_t i = 0; i < op_count_ && i < 32; ++i) {
    tail[at++] = uint8_t(ops_[i]->opcode);
    tail[at++] = uint8_t(ops_[i]->opcode >> 8);
  }
  at = AppendResident(tail, at);
  Reply(f, kHelloAck, head, 38, tail, at);
}

// The resident Program, after the op list: u8 flag (1 while the Program the image carries is the
// one loaded), then its 32-byte SHA-256. The host skips the serial load when it asks for that Program.
size_t Server::AppendResident(uint8_t* tail, size_t at) const {
  tail[at++] = resident_sha256_ ? 1 : 0;
  for (size_t i = 0; i < 32; ++i) tail[at++] = resident_sha256_ ? resident_sha256_[i] : 0;
  return at;
}

void Server::OnLoadBegin(const Frame& f) {
  if (!HasPayload(f, 8)) return Error(f.seq, "MCU_BAD_REQUEST", "load-begin: payload shorter than 8 bytes");
  const uint32_t total = ReadU32(f.payload), crc = ReadU32(f.payload + 4);
  // A new load drops the Program there was: its bytes are about to be overwritten.
  interpreter_ = nullptr;
  resident_sha256_ = nullptr;
  have_run_ = false;
  loading_ = false;
  if (total > memory_.program_capacity) {
    return StatusError(f.seq, Status::Error(StatusCode::kProgramTooLarge,
                                            "the Program has {a} bytes, the firmware's Program buffer holds {b}")
                                  .A(total)
                                  .B(memory_.program_capacity));
  }
  loading_ = true;
  load_total_ = total;
  load_crc_ = crc;
  load_received_ = 0;
  verifier_ = ProgramStreamVerifier();
  Ack(f, 0);
}

void Server::OnLoadChunk(const Frame& f) {
  if (!loading_) {
    return Error(f.seq, "MCU_NOT_LOADING",
                 "no Program load in progress (the board was reset, or the load failed or was replaced): send "
                 "load-begin again");
  }
  if (!HasPayload(f, 4)) return Error(f.seq, "MCU_BAD_REQUEST", "load-chunk: payload shorter than 4 bytes");
  const uint32_t offset = ReadU32(f.payload), size = f.size - 4;
  const uint8_t* data = f.payload + 4;
  // A chunk sent again (its ack was lost) is acknowledged again.
  if (offset + size <= load_received_ && offset < load_received_) return Ack(f, load_received_);
  if (offset != load_received_ || size > load_total_ - load_received_) {
    return StatusError(f.seq, Status::Error(StatusCode::kProgramInvalid,
                                            "load-chunk at offset {a} of {c} bytes: the next chunk starts at {b} and the "
                                            "Program has {offset} bytes")
                                  .A(offset)
                                  .B(load_received_)
                                  .C(size)
                                  .Offset(load_total_));
  }
  const Status s = verifier_.Update(data, size);
  if (!s.ok()) {
    loading_ = false;
    return StatusError(f.seq, s);
  }
  for (uint32_t i = 0; i < size; ++i) memory_.program[offset + i] = data[i];
  load_received_ += size;
  Ack(f, load_received_);
}

void Server::OnLoadEnd(const Frame& f) {
  if (!loading_) {
    return Error(f.seq, "MCU_NOT_LOADING",
                 "no Program load in progress (the board was reset, or the load failed): send load-begin again");
  }
  loading_ = false;
  if (load_received_ != load_total_) {
    return StatusError(f.seq, Status::Error(StatusCode::kProgramInvalid,
                                            "load-end after {a} of the Program's {b} bytes")
                                  .A(load_received_)
                                  .B(load_total_));
  }
  const uint32_t crc = Crc32(memory_.program, load_total_);
  if (crc != load_crc_) {
    return StatusError(f.seq, Status::Error(StatusCode::kProgramChecksum,
                                            "the received Program's CRC-32 is {a}, load-begin announced {b}")
                                  .A(crc)
                                  .B(load_crc_));
  }
  Status s = verifier_.Finish();
  if (!s.ok()) return StatusError(f.seq, s);
  if (!LoadProgram(memory_.program, load_total_, f.seq)) return;
  uint8_t head[24];
  WriteU32(head, program_bytes_);
  WriteU32(head + 4, program_.arena_bytes());
  WriteU32(head + 8, program_.tensor_count());
  WriteU32(head + 12, program_.op_count());
  WriteU32(head + 16, program_.input_count());
  WriteU32(head + 20, program_.output_count());
  uint8_t sizes[4 * 32];
  size_t at = 0;
  for (uint32_t i = 0; i < program_.input_count() && at < sizeof(sizes); ++i, at += 4) {
    WriteU32(sizes + at, program_.tensor(program_.input(i)).byte_size);
  }
  for (uint32_t i = 0; i < program_.output_count() && at < sizeof(sizes); ++i, at += 4) {
    WriteU32(sizes + at, program_.tensor(program_.output(i)).byte_size);
  }
  Reply(f, kLoaded, head, sizeof(head), sizes, at);
}

bool Server::LoadResident(const uint8_t* program, uint32_t size, const uint8_t* sha256) {
  if (!LoadProgram(program, size, 0)) return false;
  resident_sha256_ = sha256;
  return true;
}

bool Server::LoadProgram(const uint8_t* bytes, uint32_t size, uint32_t seq) {
  Status s = program_.Load(bytes, size, memory_.tensors, memory_.max_tensors, memory_.ops, memory_.max_ops,
                           resolver_);
  if (s.ok() && program_.arena_bytes() > memory_.arena_capacity) {
    s = Status::Error(StatusCode::kProgramTooLarge, "the Program needs a {a}-byte arena, the firmware's holds {b}")
            .A(program_.arena_bytes())
            .B(memory_.arena_capacity);
  }
  if (s.ok() && program_.input_count() + program_.output_count() > 32) {
    s = Status::Error(StatusCode::kProgramTooLarge, "the Program has {a} inputs and outputs, the firmware handles 32")
            .A(program_.input_count() + program_.output_count());
  }
  // Inputs are staged in the Program buffer: after the Program when it lies there, from its start
  // when the Program is resident elsewhere.
  uint32_t stage = bytes == memory_.program ? (size + 15) & ~15u : 0, input_bytes = 0;
  for (uint32_t i = 0; s.ok() && i < program_.input_count(); ++i) input_bytes += program_.tensor(program_.input(i)).byte_size;
  if (s.ok() && (stage > memory_.program_capacity || input_bytes > memory_.program_capacity - stage)) {
    s = Status::Error(StatusCode::kProgramTooLarge,
                      "the Program ({a} bytes) and its inputs ({b} bytes) exceed the firmware's Program buffer ({c} bytes)")
            .A(size)
            .B(input_bytes)
            .C(memory_.program_capacity);
  }
  if (!s.ok()) {
    if (seq) StatusError(seq, s);
    return false;
  }
  program_bytes_ = size;
  input_stage_ = memory_.program + stage;
  for (uint32_t i = 0; i < input_bytes; ++i) input_stage_[i] = 0;
  interpreter_ = ::new (interpreter_storage_) Interpreter(program_, memory_.arena);
  interpreter_->SetAccelerator(accelerator_);
  interpreter_->ResetState();
  return true;
}

void Server::OnSetInput(const Frame& f) {
  if (!interpreter_) return Error(f.seq, "MCU_NO_PROGRAM", "set-input: no Program is loaded");
  if (!HasPayload(f, 8)) return Error(f.seq, "MCU_BAD_REQUEST", "set-input: payload shorter than 8 bytes");
  const uint32_t index = ReadU32(f.payload), offset = ReadU32(f.payload + 4), size = f.size - 8;
  if (index >= program_.input_count()) {
    return StatusError(f.seq, Status::Error(StatusCode::kBadInput, "set-input: input {a} of {b}")
                                  .A(index)
                                  .B(program_.input_count()));
  }
  const uint32_t id = program_.input(index);
  const uint32_t bytes = program_.tensor(id).byte_size;
  if (offset > bytes || size > bytes - offset) {
    return StatusError(f.seq, Status::Error(StatusCode::kBadInput,
                                            "set-input {a}: {c} bytes at offset {offset} overrun its {b} bytes")
                                  .A(index)
                                  .B(bytes)
                                  .C(size)
                                  .Offset(offset));
  }
  uint8_t* to = StagedInput(index) + offset;
  for (uint32_t i = 0; i < size; ++i) to[i] = f.payload[8 + i];
  Ack(f, offset + size);
}

uint8_t* Server::StagedInput(uint32_t index) {
  uint8_t* at = input_stage_;
  for (uint32_t i = 0; i < index; ++i) at += program_.tensor(program_.input(i)).byte_size;
  return at;
}

Status Server::Run(uint32_t count) {
  runs_ = 0;
  total_ticks_ = min_ticks_ = max_ticks_ = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* staged = input_stage_;
    for (uint32_t k = 0; k < program_.input_count(); ++k) {
      const uint32_t id = program_.input(k), bytes = program_.tensor(id).byte_size;
      uint8_t* to = interpreter_->TensorData(id);
      for (uint32_t b = 0; b < bytes; ++b) to[b] = staged[b];
      staged += bytes;
    }
    const uint64_t start = board::SysTickNow();
    const Status s = interpreter_->Invoke();
    const uint64_t ticks = board::SysTickNow() - start;
    if (!s.ok()) return s;
    total_ticks_ += ticks;
    min_ticks_ = runs_ == 0 || ticks < min_ticks_ ? ticks : min_ticks_;
    max_ticks_ = ticks > max_ticks_ ? ticks : max_ticks_;
    ++runs_;
  }
  return Status::Ok();
}

void Server::OnRun(const Frame& f) {
  if (!interpreter_) return Error(f.seq, "MCU_NO_PROGRAM", "run: no Program is loaded");
  if (!HasPayload(f, 4)) return Error(f.seq, "MCU_BAD_REQUEST", "run: payload shorter than 4 bytes");
  if (have_run_ && f.seq == last_run_seq_) return SendTiming(f);
  const uint32_t count = ReadU32(f.payload);
  if (count == 0) return Error(f.seq, "MCU_BAD_REQUEST", "run: the count is 0");
  const Status s = Run(count);
  if (!s.ok()) {
    have_run_ = false;
    return StatusError(f.seq, s);
  }
  have_run_ = true;
  last_run_seq_ = f.seq;
  SendTiming(f);
}

void Server::SendTiming(const Frame& f) {
  uint8_t payload[32];
  WriteU32(payload, runs_);
  WriteU32(payload + 4, memory_.clock_hz);
  WriteU64(payload + 8, total_ticks_);
  WriteU64(payload + 16, min_ticks_);
  WriteU64(payload + 24, max_ticks_);
  Reply(f, kTiming, payload, sizeof(payload));
}

void Server::OnReadOutput(const Frame& f) {
  if (!interpreter_) return Error(f.seq, "MCU_NO_PROGRAM", "read-output: no Program is loaded");
  if (!HasPayload(f, 12)) return Error(f.seq, "MCU_BAD_REQUEST", "read-output: payload shorter than 12 bytes");
  const uint32_t index = ReadU32(f.payload), offset = ReadU32(f.payload + 4), size = ReadU32(f.payload + 8);
  if (index >= program_.output_count()) {
    return StatusError(f.seq, Status::Error(StatusCode::kBadInput, "read-output: output {a} of {b}")
                                  .A(index)
                                  .B(program_.output_count()));
  }
  const uint32_t id = program_.output(index);
  const uint32_t bytes = program_.tensor(id).byte_size;
  if (offset > bytes || size > bytes - offset || size > FrameLink::kMaxPayload - 8) {
    return StatusError(f.seq, Status::Error(StatusCode::kBadInput,
                                            "read-output {a}: {c} bytes at offset {offset} of its {b} bytes (at most "
                                            "4096 per frame)")
                                  .A(index)
                                  .B(bytes)
                                  .C(size)
                                  .Offset(offset));
  }
  uint8_t head[8];
  WriteU32(head, index);
  WriteU32(head + 4, offset);
  Reply(f, kOutput, head, sizeof(head), interpreter_->TensorData(id) + offset, size);
}

}  // namespace cleave::mcu
