// The one error convention of cleave's native code, shared by the firmware-clean core (Program
// loader, interpreter, kernels, codecs) and the host layers above it.
//
// A Status is a code from one enum plus a static message template and a few numbers. Nothing is
// formatted where the error happens (no vsnprintf, no heap), so the same code runs on a
// microcontroller, which can send the code and the numbers over a serial line as they are. The
// host turns a Status into text with FormatStatus() (native/common/status_format.h), filling the
// template's placeholders:
//   {op}      the Program op index        {tensor}  the tensor id
//   {offset}  a byte offset               {a} {b} {c}  numbers the message explains
//   {name}    the op's name (from `op`'s opcode, set by the loader or interpreter)
// The codes cross the N-API glue unchanged and become `CleaveError.code` in TypeScript
// (src/errors.ts lists them with their meanings and CLI exit statuses); never classify an error by
// its text.
#pragma once
#include <cstdint>

namespace cleave {

// Keep in step with NATIVE_ERROR_CODES in src/errors.ts (a test compares the two lists).
enum class StatusCode : uint8_t {
  kOk = 0,
  kProgramInvalid = 1,    // a field, offset, table or op parameter of a Program is malformed
  kProgramChecksum = 2,   // a CRC does not match: damaged in storage or transfer
  kProgramVersion = 3,    // a format version this reader does not support
  kProgramTooLarge = 4,   // more tensors, ops or arena than the caller's capacity
  kUnsupportedOp = 5,     // an opcode that is unknown, or not linked into this build
  kKernelFailed = 6,      // a kernel refused its parameters while running
  kBadInput = 7,          // wrong number or size of inputs, or of imported state
  kBadArgument = 8,       // an option the caller passed is invalid (kernel set, thread count)
  kOutOfMemory = 9,       // an allocation failed
  kBusy = 10,             // the object is in use and the call cannot wait
  kDisposed = 11,         // the object was disposed
  kInternal = 12,         // a broken invariant: a bug in cleave
  kNotifyFailed = 13,     // host only: a notification to the service manager ($NOTIFY_SOCKET) could not be sent
  // Wire codecs (native/codec): what is wrong with a payload or an encode request.
  kCodecInvalidArgument = 32,   // encode: bad meta, options or sizes from the caller
  kCodecBufferTooSmall = 33,    // output or workspace smaller than the codec needs
  kCodecBadMagic = 34,          // not a cleave wire tensor
  kCodecUnsupportedVersion = 35,
  kCodecUnknownCodec = 36,
  kCodecBadHeader = 37,         // header fields out of range (dtype, rank, dims, scale, zero point)
  kCodecTruncated = 38,
  kCodecTrailingBytes = 39,
  kCodecHeaderChecksum = 40,
  kCodecPayloadChecksum = 41,
  kCodecShapeMismatch = 42,
  kCodecCorruptPayload = 43,
  kCodecIndexOutOfRange = 44,
  kCodecTooLarge = 45,          // decode: the header claims more bytes than the receiver allows
};

struct Status {
  StatusCode code = StatusCode::kOk;
  // A static string (never freed, never formatted in place); see the placeholders above.
  const char* what = "";
  int32_t op = -1;
  int32_t tensor = -1;
  int64_t offset = -1;
  int64_t a = 0, b = 0, c = 0;
  // The opcode of `op`, so the host can print its name without the Program at hand; 0 = none.
  uint16_t opcode = 0;

  bool ok() const { return code == StatusCode::kOk; }

  // Default-initialized, not value-initialized (`Status()`): the latter zero-fills all 56 bytes
  // (a memset on Cortex-M) before the member initializers run, on every kernel's return.
  static Status Ok() {
    Status s;
    return s;
  }
  static Status Error(StatusCode code, const char* what) {
    Status s;
    s.code = code;
    s.what = what;
    return s;
  }
  // Chainable setters, so an error site reads as one expression:
  //   return Status::Error(kProgramInvalid, "tensor {tensor}: rank {a} is above 4").Tensor(i).A(rank);
  Status& Op(int32_t index, uint16_t op_code) { op = index; opcode = op_code; return *this; }
  Status& Tensor(int32_t id) { tensor = id; return *this; }
  Status& Offset(int64_t byte_offset) { offset = byte_offset; return *this; }
  Status& A(int64_t v) { a = v; return *this; }
  Status& B(int64_t v) { b = v; return *this; }
  Status& C(int64_t v) { c = v; return *this; }
};

// The stable name of a code, as TypeScript sees it in `CleaveError.code` ("PROGRAM_INVALID", ...).
inline const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kProgramInvalid: return "PROGRAM_INVALID";
    case StatusCode::kProgramChecksum: return "PROGRAM_CHECKSUM";
    case StatusCode::kProgramVersion: return "PROGRAM_VERSION";
    case StatusCode::kProgramTooLarge: return "PROGRAM_TOO_LARGE";
    case StatusCode::kUnsupportedOp: return "UNSUPPORTED_OP";
    case StatusCode::kKernelFailed: return "KERNEL_FAILED";
    case StatusCode::kBadInput: return "BAD_INPUT";
    case StatusCode::kBadArgument: return "BAD_ARGUMENT";
    case StatusCode::kOutOfMemory: return "OUT_OF_MEMORY";
    case StatusCode::kBusy: return "BUSY";
    case StatusCode::kDisposed: return "DISPOSED";
    case StatusCode::kInternal: return "INTERNAL";
    case StatusCode::kNotifyFailed: return "NOTIFY_FAILED";
    case StatusCode::kCodecInvalidArgument: return "CODEC_INVALID_ARGUMENT";
    case StatusCode::kCodecBufferTooSmall: return "CODEC_BUFFER_TOO_SMALL";
    case StatusCode::kCodecBadMagic: return "CODEC_BAD_MAGIC";
    case StatusCode::kCodecUnsupportedVersion: return "CODEC_UNSUPPORTED_VERSION";
    case StatusCode::kCodecUnknownCodec: return "CODEC_UNKNOWN_CODEC";
    case StatusCode::kCodecBadHeader: return "CODEC_BAD_HEADER";
    case StatusCode::kCodecTruncated: return "CODEC_TRUNCATED";
    case StatusCode::kCodecTrailingBytes: return "CODEC_TRAILING_BYTES";
    case StatusCode::kCodecHeaderChecksum: return "CODEC_HEADER_CHECKSUM";
    case StatusCode::kCodecPayloadChecksum: return "CODEC_PAYLOAD_CHECKSUM";
    case StatusCode::kCodecShapeMismatch: return "CODEC_SHAPE_MISMATCH";
    case StatusCode::kCodecCorruptPayload: return "CODEC_CORRUPT_PAYLOAD";
    case StatusCode::kCodecIndexOutOfRange: return "CODEC_INDEX_OUT_OF_RANGE";
    case StatusCode::kCodecTooLarge: return "CODEC_TOO_LARGE";
  }
  return "INTERNAL";
}

}  // namespace cleave
