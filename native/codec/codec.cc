#include "codec/codec.h"

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

// Shared by encode (caller's meta, kCodecInvalidArgument) and decode (header's meta,
// kCodecBadHeader, with the byte offset of the field).
Status CheckMetaFields(CodecId codec, const TensorMeta& m, StatusCode code, uint64_t* elements) {
  const int32_t esize = DTypeBytes(m.dtype);
  if (esize == 0) return Status::Error(code, "unknown dtype {a} (byte {offset})").A(static_cast<int>(m.dtype)).Offset(kOffDType);
  if (IsLossy(codec) && m.dtype != DType::kInt8) {
    return Status::Error(code, "a lossy codec takes int8 tensors only, not dtype {a} (byte {offset})")
        .A(static_cast<int>(m.dtype))
        .Offset(kOffDType);
  }
  if (m.rank > kMaxRank) return Status::Error(code, "rank {a} (at most {b}) (byte {offset})").A(m.rank).B(kMaxRank).Offset(kOffRank);
  uint64_t n = 1;
  for (int i = 0; i < kMaxRank; ++i) {
    const size_t at = kOffDims + 4 * static_cast<size_t>(i);
    if (i >= m.rank) {
      if (m.dims[i] != 0) {
        return Status::Error(code, "dimension {a} is {b} beyond rank {c} (must be 0) (byte {offset})").A(i).B(m.dims[i]).C(m.rank).Offset(at);
      }
      continue;
    }
    if (m.dims[i] > kMaxTensorBytes) return Status::Error(code, "dimension {a} is {b} (too large) (byte {offset})").A(i).B(m.dims[i]).Offset(at);
    n *= m.dims[i];
    if (n * static_cast<uint64_t>(esize) > kMaxTensorBytes) {
      return Status::Error(code, "tensor larger than {a} bytes (byte {offset})").A(static_cast<int64_t>(kMaxTensorBytes)).Offset(at);
    }
  }
  const uint32_t sb = FloatBits(m.scale);
  if ((sb >> 31) != 0 && sb != 0x80000000u) return Status::Error(code, "scale is negative (byte {offset})").Offset(kOffScale);
  if (((sb >> 23) & 0xff) == 0xff) return Status::Error(code, "scale is not finite (byte {offset})").Offset(kOffScale);
  if (m.dtype == DType::kInt8 && (m.zero_point < -128 || m.zero_point > 127)) {
    return Status::Error(code, "zero point {a} outside int8 (byte {offset})").A(m.zero_point).Offset(kOffZeroPoint);
  }
  if (m.dtype == DType::kUInt8 && (m.zero_point < 0 || m.zero_point > 255)) {
    return Status::Error(code, "zero point {a} outside uint8 (byte {offset})").A(m.zero_point).Offset(kOffZeroPoint);
  }
  *elements = n;
  return Status::Ok();
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

Status CheckMeta(CodecId codec, const TensorMeta& meta, uint64_t* elements) {
  if (!KnownCodec(static_cast<uint8_t>(codec))) {
    return Status::Error(StatusCode::kCodecInvalidArgument, "unknown codec id {a}").A(static_cast<int>(codec));
  }
  return CheckMetaFields(codec, meta, StatusCode::kCodecInvalidArgument, elements);
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

Status Encode(CodecId codec, const TensorMeta& meta, const uint8_t* data, size_t size, const Options& options,
              uint8_t* workspace, size_t workspace_size, uint8_t* out, size_t out_capacity, size_t* encoded_bytes) {
  *encoded_bytes = 0;
  uint64_t n;
  const Status meta_status = CheckMeta(codec, meta, &n);
  if (!meta_status.ok()) return meta_status;
  const uint64_t bytes = RawBytes(meta, n);
  if (size != bytes) {
    return Status::Error(StatusCode::kCodecInvalidArgument, "data has {a} bytes, the shape needs {b}")
        .A(static_cast<int64_t>(size))
        .B(static_cast<int64_t>(bytes));
  }
  if (codec == CodecId::kTs || codec == CodecId::kTsTabq) {
    if (options.threshold < -1 || options.threshold > 255) {
      return Status::Error(StatusCode::kCodecInvalidArgument, "threshold {a} (0..255, or -1 for automatic)").A(options.threshold);
    }
  }
  if (codec == CodecId::kTs && (options.bits < 1 || options.bits > 8)) {
    return Status::Error(StatusCode::kCodecInvalidArgument, "bits {a} (1..8)").A(options.bits);
  }
  if ((codec == CodecId::kTabq || codec == CodecId::kTsTabq) && (options.error_budget < 0 || options.error_budget > 127)) {
    return Status::Error(StatusCode::kCodecInvalidArgument, "error budget {a} (0..127)").A(options.error_budget);
  }
  if (out_capacity < kHeaderBytes) {
    return Status::Error(StatusCode::kCodecBufferTooSmall, "output of {a} bytes cannot hold the {b}-byte header")
        .A(static_cast<int64_t>(out_capacity))
        .B(static_cast<int64_t>(kHeaderBytes));
  }
  uint8_t* payload = out + kHeaderBytes;
  const size_t capacity = out_capacity - kHeaderBytes;
  size_t payload_bytes = 0;
  switch (codec) {
    case CodecId::kRaw:
      if (capacity < bytes) {
        return Status::Error(StatusCode::kCodecBufferTooSmall, "raw payload needs {a} bytes").A(static_cast<int64_t>(bytes));
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
      if (capacity < need) {
        return Status::Error(StatusCode::kCodecBufferTooSmall, "lossless payload needs {a} bytes").A(static_cast<int64_t>(need));
      }
      payload_bytes = WriteBlock(plan, data, static_cast<size_t>(bytes), payload);
      break;
    }
    default: {
      const Status st = EncodeLossy(codec, meta, reinterpret_cast<const int8_t*>(data), n, options, workspace, workspace_size,
                                    payload, capacity, &payload_bytes);
      if (!st.ok()) return st;
      break;
    }
  }
  WriteHeader(codec, meta, payload, static_cast<uint32_t>(payload_bytes), out);
  *encoded_bytes = kHeaderBytes + payload_bytes;
  return Status::Ok();
}

Status ReadHeader(const uint8_t* in, size_t size, DecodeInfo* info, size_t* tensor_bytes) {
  const size_t magic_bytes = size < 4 ? size : 4;
  if (std::memcmp(in, kMagic, magic_bytes) != 0) {
    return Status::Error(StatusCode::kCodecBadMagic, "not a cleave wire tensor (bad magic)").Offset(0);
  }
  if (size < kHeaderBytes) {
    return Status::Error(StatusCode::kCodecTruncated, "{a} bytes, shorter than the {b}-byte header")
        .A(static_cast<int64_t>(size))
        .B(static_cast<int64_t>(kHeaderBytes));
  }
  const uint32_t want = GetU32(in + kOffHeaderCrc), got = Crc32(in, kOffHeaderCrc);
  if (want != got) {
    // CRCs are shown in decimal: a template has numbers, not formats.
    return Status::Error(StatusCode::kCodecHeaderChecksum, "header checksum mismatch: header says {a}, computed {b} (damaged header)")
        .A(want)
        .B(got)
        .Offset(kOffHeaderCrc);
  }
  const uint8_t id = in[kOffCodec];
  if (!KnownCodec(id)) return Status::Error(StatusCode::kCodecUnknownCodec, "unknown codec id {a} (byte {offset})").A(id).Offset(kOffCodec);
  const CodecId codec = static_cast<CodecId>(id);
  if (in[kOffVersion] != CodecVersion(codec)) {
    return Status::Error(StatusCode::kCodecUnsupportedVersion,
                         "codec id {a} version {b} is not supported (this build reads version {c})")
        .A(id)
        .B(in[kOffVersion])
        .C(CodecVersion(codec))
        .Offset(kOffVersion);
  }
  TensorMeta m;
  m.dtype = static_cast<DType>(in[kOffDType]);
  m.rank = in[kOffRank];
  for (int i = 0; i < kMaxRank; ++i) m.dims[i] = GetU32(in + kOffDims + 4 * i);
  const uint32_t sb = GetU32(in + kOffScale);
  std::memcpy(&m.scale, &sb, 4);
  m.zero_point = static_cast<int32_t>(GetU32(in + kOffZeroPoint));
  uint64_t n;
  const Status fields = CheckMetaFields(codec, m, StatusCode::kCodecBadHeader, &n);
  if (!fields.ok()) return fields;
  const uint32_t payload_bytes = GetU32(in + kOffPayloadBytes);
  const uint64_t total = kHeaderBytes + static_cast<uint64_t>(payload_bytes);
  if (size < total) {
    return Status::Error(StatusCode::kCodecTruncated, "header says {a} bytes, only {b} present (truncated)")
        .A(static_cast<int64_t>(total))
        .B(static_cast<int64_t>(size));
  }
  if (size > total) {
    return Status::Error(StatusCode::kCodecTrailingBytes, "header says {a} bytes, {b} present (trailing bytes)")
        .A(static_cast<int64_t>(total))
        .B(static_cast<int64_t>(size));
  }
  const uint32_t pwant = GetU32(in + kOffPayloadCrc), pgot = Crc32(in + kHeaderBytes, payload_bytes);
  if (pwant != pgot) {
    return Status::Error(StatusCode::kCodecPayloadChecksum, "payload checksum mismatch: header says {a}, computed {b} (damaged payload)")
        .A(pwant)
        .B(pgot)
        .Offset(kHeaderBytes);
  }
  info->codec = codec;
  info->version = in[kOffVersion];
  info->meta = m;
  info->payload_bytes = payload_bytes;
  *tensor_bytes = static_cast<size_t>(RawBytes(m, n));
  return Status::Ok();
}

Status Decode(const uint8_t* in, size_t size, uint8_t* workspace, size_t workspace_size, uint8_t* out, size_t out_capacity,
              DecodeInfo* info, size_t* decoded_bytes) {
  *decoded_bytes = 0;
  size_t bytes = 0;
  DecodeInfo local;
  const Status header = ReadHeader(in, size, &local, &bytes);
  if (!header.ok()) return header;
  if (out_capacity < bytes) {
    return Status::Error(StatusCode::kCodecBufferTooSmall, "output of {a} bytes, the tensor has {b}")
        .A(static_cast<int64_t>(out_capacity))
        .B(static_cast<int64_t>(bytes));
  }
  const uint8_t* payload = in + kHeaderBytes;
  const size_t payload_bytes = local.payload_bytes;
  const uint64_t n = bytes / static_cast<size_t>(DTypeBytes(local.meta.dtype));
  Status st;
  switch (local.codec) {
    case CodecId::kRaw:
      if (payload_bytes != bytes) {
        st = Status::Error(StatusCode::kCodecShapeMismatch, "raw payload has {a} bytes, the shape needs {b}")
                 .A(static_cast<int64_t>(payload_bytes))
                 .B(static_cast<int64_t>(bytes))
                 .Offset(kHeaderBytes);
        break;
      }
      if (bytes != 0) std::memcpy(out, payload, bytes);
      break;
    case CodecId::kLossless: {
      size_t used = 0;
      st = ReadBlock(payload, payload_bytes, out, bytes, kHeaderBytes, &used);
      if (st.ok() && used != payload_bytes) {
        st = Status::Error(StatusCode::kCodecTrailingBytes, "{a} bytes after the entropy block (byte {offset})")
                 .A(static_cast<int64_t>(payload_bytes - used))
                 .Offset(static_cast<int64_t>(kHeaderBytes + used));
      }
      break;
    }
    default:
      st = DecodeLossy(local.codec, local.meta, payload, payload_bytes, workspace, workspace_size,
                       reinterpret_cast<int8_t*>(out), n, &local);
      break;
  }
  if (!st.ok()) {
    // Nothing half-decoded survives a failure.
    if (bytes != 0) std::memset(out, 0, bytes);
    return st;
  }
  if (!IsLossy(local.codec)) local.error_bound = 0;
  *info = local;
  *decoded_bytes = bytes;
  return Status::Ok();
}

}  // namespace codec
}  // namespace cleave
