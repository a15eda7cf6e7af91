// Wire codecs for the tensor that crosses a cut between two model segments (docs/codecs.md).
//
// Every encoded tensor is a 44-byte self-describing header (magic, codec id and version, dtype,
// shape up to rank 4, scale, zero point, payload length, CRC-32 of the payload, CRC-32 of the
// header) followed by the codec's payload. Codecs:
//   raw       header + the tensor bytes
//   lossless  header + one entropy block (zero-point runs + canonical Huffman, native/codec/entropy.h)
//   ts        threshold splitting: |q - zp| > threshold sent exactly as sparse (index, value) pairs,
//             the rest on a uniform grid of 2^bits levels anchored at the zero point
//   tabq      token-wise adaptive bit quantization: each row (last dimension) gets the smallest
//             bit-width 0..8 whose rounding error stays within the error budget
//   ts+tabq   outliers split off as in ts, the inliers coded by tabq
//
// Plain C++17: no exceptions, no heap, no N-API, so the same code builds for Cortex-M. Callers pass
// every buffer: MaxEncodedSize() sizes the output of Encode(), EncodeWorkspaceSize() and
// DecodeWorkspaceSize() the scratch of each direction (0 for raw and lossless). Decode() validates
// everything before it trusts it; on failure it zeroes its output, so no half-decoded tensor
// survives.
//
// Failures are a cleave::Status (native/common/status.h) with a kCodec* code, a static message
// template and numbers ({offset} is a byte offset in the wire tensor); nothing is formatted here.
// The host formats it with FormatStatus() (native/host/status_format.h).
//
// Stack: about 7 KiB, 20 KiB to encode with a lossy codec (docs/codecs.md).
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/status.h"

namespace cleave {
namespace codec {

constexpr size_t kHeaderBytes = 44;
constexpr int kMaxRank = 4;
// Largest tensor a header can describe: its bytes (and every payload) fit in 31 bits.
constexpr uint64_t kMaxTensorBytes = 0x7fffffffu;

enum class CodecId : uint8_t { kRaw = 0, kLossless = 1, kTs = 2, kTabq = 3, kTsTabq = 4 };
constexpr int kNumCodecs = 5;

// Same numbering as the Program format's tensor dtypes (native/interp/program.h).
enum class DType : uint8_t { kInt8 = 1, kUInt8 = 2, kInt16 = 3, kInt32 = 4, kFloat32 = 5, kInt64 = 6, kBool = 7 };

struct TensorMeta {
  DType dtype = DType::kInt8;
  uint8_t rank = 0;             // 0..4; rank 0 is a scalar (one element)
  uint32_t dims[kMaxRank] = {0, 0, 0, 0};  // dims[rank..3] are 0
  float scale = 0.0f;           // finite and >= 0 (0: not quantized)
  int32_t zero_point = 0;       // int8: -128..127, uint8: 0..255
};

// Encode parameters. Which apply to which codec: ts uses threshold and bits, tabq uses
// error_budget, ts+tabq uses threshold and error_budget (docs/codecs.md).
struct Options {
  int32_t threshold = -1;    // 0..255 in quantized units; -1 = choose automatically
  int32_t bits = 4;          // ts: 1..8 bits per inlier
  int32_t error_budget = 2;  // tabq: 0..127, max |decoded - original| in quantized units
};

// What a decoded payload says about itself besides the tensor.
struct DecodeInfo {
  CodecId codec = CodecId::kRaw;
  uint8_t version = 0;
  TensorMeta meta;
  uint32_t payload_bytes = 0;
  // Lossy codecs (-1 where a field does not apply): the guaranteed bound on
  // |decoded - original| per element (0 for lossless codecs), and the parameters used.
  int32_t error_bound = 0;
  int32_t threshold = -1;
  int32_t bits = -1;
  int32_t step = -1;
  int32_t error_budget = -1;
  int32_t outliers = -1;
  int32_t packing = -1;  // 0 fixed-width bit packing, 1 entropy-coded
};

const char* CodecName(CodecId id);            // "raw", "lossless", "ts", "tabq", "ts+tabq"
bool CodecByName(const char* name, CodecId* id);
uint8_t CodecVersion(CodecId id);             // the version this build writes
bool CodecIsLossless(CodecId id);
int32_t DTypeBytes(DType t);                  // 0 for an unknown dtype

// Checks `meta` for encoding with `codec` (dtype allowed, ranges, size limit). On success
// `*elements` is the element count.
Status CheckMeta(CodecId codec, const TensorMeta& meta, uint64_t* elements);

// Upper bound of Encode()'s output for this tensor; 0 when CheckMeta() fails.
size_t MaxEncodedSize(CodecId codec, const TensorMeta& meta);
// Scratch Encode() and Decode() need for this tensor: 0 for raw and lossless; for the lossy codecs
// about one byte per element (plus two per row) to encode, and 16 KiB more to decode (the decoding
// tables of a context-coded plane).
size_t EncodeWorkspaceSize(CodecId codec, const TensorMeta& meta);
size_t DecodeWorkspaceSize(CodecId codec, const TensorMeta& meta);

// On success `*encoded_bytes` is the size written to `out`.
Status Encode(CodecId codec, const TensorMeta& meta, const uint8_t* data, size_t size, const Options& options,
              uint8_t* workspace, size_t workspace_size, uint8_t* out, size_t out_capacity, size_t* encoded_bytes);

// Validates the header (magic, version, fields, header CRC, total length, payload CRC) without
// decoding the payload. On success `info` has codec, version, meta and payload_bytes, and
// `*tensor_bytes` the size Decode() will write.
Status ReadHeader(const uint8_t* in, size_t size, DecodeInfo* info, size_t* tensor_bytes);

// On success `*decoded_bytes` is the size of the tensor written to `out`.
Status Decode(const uint8_t* in, size_t size, uint8_t* workspace, size_t workspace_size, uint8_t* out,
              size_t out_capacity, DecodeInfo* info, size_t* decoded_bytes);

}  // namespace codec
}  // namespace cleave
