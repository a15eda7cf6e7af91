#include "codec/codec.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "common/crc32.h"
#include "codec/entropy.h"
#include "codec/internal.h"
#include "codec/lossy.h"

namespace cleave {
namespace codec {

namespace {

constexpr uint8_t kMagic[4] = {'C', 'L', 'V', 'W'};

// Header offsets.
constexpr size_t kOffCodec = 4, kOffVersion = 5, kOffDType = 6, kOffRank = 7, kOffDims = 8, kOffScale = 24,
                 kOffZeroPoint = 28, kOffPayloadBytes = 32, kOffPayloadCrc = 36, kOffHeaderCrc = 40;

struct CodecRow {
  const char* name;
  uint8_t version;
  bool lossless;
};
constexpr CodecRow kCodecs[kNumCodecs] = {
    {"raw", 1, true}, {"lossless", 1, true}, {"ts", 1, false}, {"tabq", 1, false}, {"ts+tabq", 1, false},
};

bool IsLossy(CodecId c) { return !kCodecs[static_cast<int>(c)].lossless; }
bool KnownCodec(uint8_t id) { return id < kNumCodecs; }

uint32_t FloatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// Shared by encode (caller's meta) and decode (header's meta).
bool CheckMetaFields(CodecId codec, const TensorMeta& m, uint64_t* elements, Result* r, Status status) {
  const int32_t esize = DTypeBytes(m.dtype);
  if (esize == 0) {
    Fail(*r, status, "unknown dtype %u", static_cast<unsigned>(m.dtype));
    return false;
  }
  if (IsLossy(codec) && m.dtype != DType::kInt8) {
    Fail(*r, status, "codec %s takes int8 tensors only", CodecName(codec));
    return false;
  }
  if (m.rank > kMaxRank) {
    Fail(*r, status, "rank %u (at most %d)", m.rank, kMaxRank);
    return false;
  }
  uint64_t n = 1;
  for (int i = 0; i < kMaxRank; ++i) {
    if (i >= m.rank) {
      if (m.dims[i] != 0) {
        Fail(*r, status, "dimension %d is %u beyond rank %u (must be 0)", i, static_cast<unsigned>(m.dims[i]), m.rank);
        return false;
      }
      continue;
    }
    if (m.dims[i] > kMaxTensorBytes) {
      Fail(*r, status, "dimension %d is %u (too large)", i, static_cast<unsigned>(m.dims[i]));
      return false;
    }
    n *= m.dims[i];
    if (n * static_cast<uint64_t>(esize) > kMaxTensorBytes) {
      Fail(*r, status, "tensor larger than %llu bytes", static_cast<unsigned long long>(kMaxTensorBytes));
      return false;
    }
  }
  const uint32_t sb = FloatBits(m.scale);
  if ((sb >> 31) != 0 && sb != 0x80000000u) {
    Fail(*r, status, "scale is negative");
    return false;
  }
  if (((sb >> 23) & 0xff) == 0xff) {
    Fail(*r, status, "scale is not finite");
    return false;
  }
  if (m.dtype == DType::kInt8 && (m.zero_point < -128 || m.zero_point > 127)) {
    Fail(*r, status, "zero point %d outside int8", static_cast<int>(m.zero_point));
    return false;
  }
  if (m.dtype == DType::kUInt8 && (m.zero_point < 0 || m.zero_point > 255)) {
    Fail(*r, status, "zero point %d outside uint8", static_cast<int>(m.zero_point));
    return false;
  }
  *elements = n;
  return true;
}

void WriteHeader(CodecId codec, const TensorMeta& m, const uint8_t* payload, uint32_t payload_bytes, uint8_t* h) {
  std::memcpy(h, kMagic, 4);
  h[kOffCodec] = static_cast<uint8_t>(codec);
  h[kOffVersion] = CodecVersion(codec);
  h[kOffDType] = static_cast<uint8_t>(m.dtype);
  h[kOffRank] = m.rank;
  for (int i = 0; i < kMaxRank; ++i) PutU32(h + kOffDims + 4 * i, m.dims[i]);
  PutU32(h + kOffScale, FloatBits(m.scale));
  PutU32(h + kOffZeroPoint, static_cast<uint32_t>(m.zero_point));
  PutU32(h + kOffPayloadBytes, payload_bytes);
  PutU32(h + kOffPayloadCrc, Crc32(payload, payload_bytes));
  PutU32(h + kOffHeaderCrc, Crc32(h, kOffHeaderCrc));
}

uint64_t RawBytes(const TensorMeta& m, uint64_t n) { return n * static_cast<uint64_t>(DTypeBytes(m.dtype)); }

}  // namespace

Result& Fail(Result& r, Status status, const char* fmt, ...) {
  r.status = status;
  r.size = 0;
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(r.message, sizeof(r.message), fmt, ap);
  va_end(ap);
  return r;
}

const char* StatusName(Status s) {
  switch (s) {
    case Status::kOk: return "OK";
    case Status::kInvalidArgument: return "INVALID_ARGUMENT";
    case Status::kBufferTooSmall: return "BUFFER_TOO_SMALL";
    case Status::kBadMagic: return "BAD_MAGIC";
    case Status::kUnsupportedVersion: return "UNSUPPORTED_VERSION";
    case Status::kUnknownCodec: return "UNKNOWN_CODEC";
    case Status::kBadHeader: return "BAD_HEADER";
    case Status::kTruncated: return "TRUNCATED";
    case Status::kTrailingBytes: return "TRAILING_BYTES";
    case Status::kHeaderChecksum: return "HEADER_CHECKSUM";
    case Status::kPayloadChecksum: return "PAYLOAD_CHECKSUM";
    case Status::kShapeMismatch: return "SHAPE_MISMATCH";
    case Status::kCorruptPayload: return "CORRUPT_PAYLOAD";
    case Status::kIndexOutOfRange: return "INDEX_OUT_OF_RANGE";
  }
  return "UNKNOWN";
}

const char* CodecName(CodecId id) {
  const int i = static_cast<int>(id);
  return i >= 0 && i < kNumCodecs ? kCodecs[i].name : "?";
}

bool CodecByName(const char* name, CodecId* id) {
  for (int i = 0; i < kNumCodecs; ++i) {
    if (std::strcmp(name, kCodecs[i].name) == 0) {
      *id = static_cast<CodecId>(i);
      return true;
    }
  }
  return false;
}

uint8_t CodecVersion(CodecId id) { return kCodecs[static_cast<int>(id)].version; }
bool CodecIsLossless(CodecId id) { return kCodecs[static_cast<int>(id)].lossless; }

int32_t DTypeBytes(DType t) {
  switch (t) {
    case DType::kInt8: case DType::kUInt8: case DType::kBool: return 1;
    case DType::kInt16: return 2;
    case DType::kInt32: case DType::kFloat32: return 4;
    case DType::kInt64: return 8;
  }
  return 0;
}

Result CheckMeta(CodecId codec, const TensorMeta& meta, uint64_t* elements) {
  Result r;
  if (!KnownCodec(static_cast<uint8_t>(codec))) {
    return Fail(r, Status::kInvalidArgument, "unknown codec id %u", static_cast<unsigned>(codec));
  }
  CheckMetaFields(codec, meta, elements, &r, Status::kInvalidArgument);
  return r;
}

size_t MaxEncodedSize(CodecId codec, const TensorMeta& meta) {
  uint64_t n;
  if (!CheckMeta(codec, meta, &n).ok()) return 0;
  uint64_t payload;
  switch (codec) {
    case CodecId::kRaw: payload = RawBytes(meta, n); break;
    case CodecId::kLossless: payload = MaxBlockSize(RawBytes(meta, n)); break;
    default: payload = LossyMaxPayload(codec, meta, n); break;
  }
  return static_cast<size_t>(kHeaderBytes + payload);
}

size_t EncodeWorkspaceSize(CodecId codec, const TensorMeta& meta) {
  uint64_t n;
  if (!CheckMeta(codec, meta, &n).ok() || !IsLossy(codec)) return 0;
  return static_cast<size_t>(LossyWorkspace(codec, meta, n, false));
}

size_t DecodeWorkspaceSize(CodecId codec, const TensorMeta& meta) {
  uint64_t n;
  if (!CheckMeta(codec, meta, &n).ok() || !IsLossy(codec)) return 0;
  return static_cast<size_t>(LossyWorkspace(codec, meta, n, true));
}

Result Encode(CodecId codec, const TensorMeta& meta, const uint8_t* data, size_t size, const Options& options,
              uint8_t* workspace, size_t workspace_size, uint8_t* out, size_t out_capacity) {
  uint64_t n;
  Result r = CheckMeta(codec, meta, &n);
  if (!r.ok()) return r;
  const uint64_t bytes = RawBytes(meta, n);
  if (size != bytes) {
    return Fail(r, Status::kInvalidArgument, "data has %zu bytes, the shape needs %llu", size,
                static_cast<unsigned long long>(bytes));
  }
  if (codec == CodecId::kTs || codec == CodecId::kTsTabq) {
    if (options.threshold < -1 || options.threshold > 255) {
      return Fail(r, Status::kInvalidArgument, "threshold %d (0..255, or -1 for automatic)",
                  static_cast<int>(options.threshold));
    }
  }
  if (codec == CodecId::kTs && (options.bits < 1 || options.bits > 8)) {
    return Fail(r, Status::kInvalidArgument, "bits %d (1..8)", static_cast<int>(options.bits));
  }
  if ((codec == CodecId::kTabq || codec == CodecId::kTsTabq) && (options.error_budget < 0 || options.error_budget > 127)) {
    return Fail(r, Status::kInvalidArgument, "error budget %d (0..127)", static_cast<int>(options.error_budget));
  }
  if (out_capacity < kHeaderBytes) {
    return Fail(r, Status::kBufferTooSmall, "output of %zu bytes cannot hold the header", out_capacity);
  }
  uint8_t* payload = out + kHeaderBytes;
  const size_t capacity = out_capacity - kHeaderBytes;
  size_t payload_bytes = 0;
  switch (codec) {
    case CodecId::kRaw:
      if (capacity < bytes) {
        return Fail(r, Status::kBufferTooSmall, "raw payload needs %llu bytes", static_cast<unsigned long long>(bytes));
      }
      if (bytes != 0) std::memcpy(payload, data, static_cast<size_t>(bytes));
      payload_bytes = static_cast<size_t>(bytes);
      break;
    case CodecId::kLossless: {
      BlockPlan plan;
      const uint8_t hint = static_cast<uint8_t>(meta.dtype == DType::kInt8 || meta.dtype == DType::kUInt8 ? meta.zero_point : 0);
      // Row prediction looks one row (the last dimension) back.
      const uint64_t row = meta.rank == 0 ? 0 : static_cast<uint64_t>(meta.dims[meta.rank - 1]) * DTypeBytes(meta.dtype);
      const size_t need = PlanBlock(data, static_cast<size_t>(bytes), hint, static_cast<size_t>(row), &plan);
      if (capacity < need) return Fail(r, Status::kBufferTooSmall, "lossless payload needs %zu bytes", need);
      payload_bytes = WriteBlock(plan, data, static_cast<size_t>(bytes), payload);
      break;
    }
    default: {
      r = EncodeLossy(codec, meta, reinterpret_cast<const int8_t*>(data), n, options, workspace, workspace_size, payload, capacity);
      if (!r.ok()) return r;
      payload_bytes = r.size;
      break;
    }
  }
  WriteHeader(codec, meta, payload, static_cast<uint32_t>(payload_bytes), out);
  r.status = Status::kOk;
  r.size = kHeaderBytes + payload_bytes;
  return r;
}

Result ReadHeader(const uint8_t* in, size_t size, DecodeInfo* info, size_t* tensor_bytes) {
  Result r;
  const size_t magic_bytes = size < 4 ? size : 4;
  if (std::memcmp(in, kMagic, magic_bytes) != 0) {
    return Fail(r, Status::kBadMagic, "not a cleave wire tensor (bad magic)");
  }
  if (size < kHeaderBytes) {
    return Fail(r, Status::kTruncated, "%zu bytes, shorter than the %zu-byte header", size, kHeaderBytes);
  }
  const uint32_t want = GetU32(in + kOffHeaderCrc), got = Crc32(in, kOffHeaderCrc);
  if (want != got) {
    return Fail(r, Status::kHeaderChecksum, "header checksum mismatch: header 0x%08x, computed 0x%08x (damaged header)",
                static_cast<unsigned>(want), static_cast<unsigned>(got));
  }
  const uint8_t id = in[kOffCodec];
  if (!KnownCodec(id)) return Fail(r, Status::kUnknownCodec, "unknown codec id %u", id);
  const CodecId codec = static_cast<CodecId>(id);
  if (in[kOffVersion] != CodecVersion(codec)) {
    return Fail(r, Status::kUnsupportedVersion, "codec %s version %u is not supported (this build reads version %u)", CodecName(codec),
                in[kOffVersion], CodecVersion(codec));
  }
  TensorMeta m;
  m.dtype = static_cast<DType>(in[kOffDType]);
  m.rank = in[kOffRank];
  for (int i = 0; i < kMaxRank; ++i) m.dims[i] = GetU32(in + kOffDims + 4 * i);
  const uint32_t sb = GetU32(in + kOffScale);
  std::memcpy(&m.scale, &sb, 4);
  m.zero_point = static_cast<int32_t>(GetU32(in + kOffZeroPoint));
  uint64_t n;
  if (!CheckMetaFields(codec, m, &n, &r, Status::kBadHeader)) return r;
  const uint32_t payload_bytes = GetU32(in + kOffPayloadBytes);
  const uint64_t total = kHeaderBytes + static_cast<uint64_t>(payload_bytes);
  if (size < total) {
    return Fail(r, Status::kTruncated, "header says %llu bytes, only %zu present (truncated)",
                static_cast<unsigned long long>(total), size);
  }
  if (size > total) {
    return Fail(r, Status::kTrailingBytes, "header says %llu bytes, %zu present (trailing bytes)",
                static_cast<unsigned long long>(total), size);
  }
  const uint32_t pwant = GetU32(in + kOffPayloadCrc), pgot = Crc32(in + kHeaderBytes, payload_bytes);
  if (pwant != pgot) {
    return Fail(r, Status::kPayloadChecksum,
                "payload checksum mismatch: header 0x%08x, computed 0x%08x (damaged payload)",
                static_cast<unsigned>(pwant), static_cast<unsigned>(pgot));
  }
  info->codec = codec;
  info->version = in[kOffVersion];
  info->meta = m;
  info->payload_bytes = payload_bytes;
  *tensor_bytes = static_cast<size_t>(RawBytes(m, n));
  return r;
}

Result Decode(const uint8_t* in, size_t size, uint8_t* workspace, size_t workspace_size, uint8_t* out, size_t out_capacity,
              DecodeInfo* info) {
  size_t bytes = 0;
  DecodeInfo local;
  Result r = ReadHeader(in, size, &local, &bytes);
  if (!r.ok()) return r;
  if (out_capacity < bytes) {
    return Fail(r, Status::kBufferTooSmall, "output of %zu bytes, the tensor has %zu", out_capacity, bytes);
  }
  const uint8_t* payload = in + kHeaderBytes;
  const size_t payload_bytes = local.payload_bytes;
  const uint64_t n = bytes / static_cast<size_t>(DTypeBytes(local.meta.dtype));
  switch (local.codec) {
    case CodecId::kRaw:
      if (payload_bytes != bytes) {
        Fail(r, Status::kShapeMismatch, "raw payload has %zu bytes, the shape needs %zu", payload_bytes, bytes);
        break;
      }
      if (bytes != 0) std::memcpy(out, payload, bytes);
      break;
    case CodecId::kLossless: {
      size_t used = 0;
      if (!ReadBlock(payload, payload_bytes, out, bytes, &used, &r, "payload")) break;
      if (used != payload_bytes) Fail(r, Status::kTrailingBytes, "%zu bytes after the entropy block", payload_bytes - used);
      break;
    }
    default:
      r = DecodeLossy(local.codec, local.meta, payload, payload_bytes, workspace, workspace_size,
                      reinterpret_cast<int8_t*>(out), n, &local);
      break;
  }
  if (!r.ok()) {
    // Nothing half-decoded survives a failure.
    if (bytes != 0) std::memset(out, 0, bytes);
    return r;
  }
  if (!IsLossy(local.codec)) local.error_bound = 0;
  *info = local;
  r.size = bytes;
  return r;
}

}  // namespace codec
}  // namespace cleave
