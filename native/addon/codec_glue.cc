#include "addon/codec_glue.h"

#include <cmath>
#include <string>
#include <vector>

#include "codec/codec.h"
#include "common/status.h"
#include "host/status_format.h"

namespace cleave {

namespace {

struct DTypeName {
  const char* name;
  codec::DType dtype;
};
constexpr DTypeName kDTypes[] = {
    {"int8", codec::DType::kInt8},     {"uint8", codec::DType::kUInt8}, {"int16", codec::DType::kInt16},
    {"int32", codec::DType::kInt32},   {"float32", codec::DType::kFloat32}, {"int64", codec::DType::kInt64},
    {"bool", codec::DType::kBool},
};

const char* DTypeToName(codec::DType t) {
  for (const auto& d : kDTypes) {
    if (d.dtype == t) return d.name;
  }
  return "?";
}

Napi::Value ThrowType(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return env.Undefined();
}

// The codec's Status as a JS Error: `code` is its StatusCodeName (CleaveError's code in
// TypeScript), the message its formatted template after `context`.
Napi::Value ThrowStatus(Napi::Env env, const Status& status, const std::string& context = "") {
  Napi::Error e = Napi::Error::New(env, context + FormatStatus(status));
  e.Set("code", Napi::String::New(env, StatusCodeName(status.code)));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

bool ReadBytes(const Napi::Value& v, const uint8_t** data, size_t* size) {
  if (!v.IsTypedArray()) return false;
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  *data = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  *size = ta.ByteLength();
  return true;
}

// An integral JS number within [lo, hi].
bool ReadInt(const Napi::Value& v, double lo, double hi, int64_t* out) {
  if (!v.IsNumber()) return false;
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= lo && d <= hi) || std::floor(d) != d) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

bool ReadMeta(const Napi::Value& v, codec::TensorMeta* m, std::string* err) {
  if (!v.IsObject()) {
    *err = "meta must be an object {dtype, shape, scale, zeroPoint}";
    return false;
  }
  Napi::Object o = v.As<Napi::Object>();
  Napi::Value dtype = o.Get("dtype");
  bool found = false;
  if (dtype.IsString()) {
    const std::string name = dtype.As<Napi::String>().Utf8Value();
    for (const auto& d : kDTypes) {
      if (name == d.name) {
        m->dtype = d.dtype;
        found = true;
      }
    }
  }
  if (!found) {
    *err = "meta.dtype must be one of int8, uint8, int16, int32, float32, int64, bool";
    return false;
  }
  Napi::Value shape = o.Get("shape");
  if (!shape.IsArray() || shape.As<Napi::Array>().Length() > codec::kMaxRank) {
    *err = "meta.shape must be an array of at most 4 dimensions";
    return false;
  }
  Napi::Array dims = shape.As<Napi::Array>();
  m->rank = static_cast<uint8_t>(dims.Length());
  for (uint32_t i = 0; i < dims.Length(); ++i) {
    int64_t d;
    if (!ReadInt(dims.Get(i), 0, 4294967295.0, &d)) {
      *err = "meta.shape[" + std::to_string(i) + "] must be a non-negative integer";
      return false;
    }
    m->dims[i] = static_cast<uint32_t>(d);
  }
  Napi::Value scale = o.Get("scale");
  if (!scale.IsNumber()) {
    *err = "meta.scale must be a number";
    return false;
  }
  m->scale = static_cast<float>(scale.As<Napi::Number>().DoubleValue());
  int64_t zp;
  if (!ReadInt(o.Get("zeroPoint"), -2147483648.0, 2147483647.0, &zp)) {
    *err = "meta.zeroPoint must be an integer";
    return false;
  }
  m->zero_point = static_cast<int32_t>(zp);
  return true;
}

bool ReadOptions(const Napi::Value& v, codec::Options* opt, std::string* err) {
  if (v.IsUndefined() || v.IsNull()) return true;
  if (!v.IsObject()) {
    *err = "options must be an object {threshold?, errorBudget?, bits?}";
    return false;
  }
  Napi::Object o = v.As<Napi::Object>();
  struct Field {
    const char* name;
    int32_t* target;
  } fields[] = {{"threshold", &opt->threshold}, {"errorBudget", &opt->error_budget}, {"bits", &opt->bits}};
  for (const Field& f : fields) {
    Napi::Value x = o.Get(f.name);
    if (x.IsUndefined()) continue;
    int64_t value;
    if (!ReadInt(x, -2147483648.0, 2147483647.0, &value)) {
      *err = std::string("options.") + f.name + " must be an integer";
      return false;
    }
    *f.target = static_cast<int32_t>(value);
  }
  return true;
}

// codecEncode(name, data, meta, options?) -> Buffer
Napi::Value CodecEncode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) return ThrowType(env, "codecEncode(name, data, meta, options): name must be a string");
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  codec::CodecId id;
  if (!codec::CodecByName(name.c_str(), &id)) return ThrowType(env, "unknown codec '" + name + "'");
  const uint8_t* data;
  size_t size;
  if (!ReadBytes(info[1], &data, &size)) return ThrowType(env, "codecEncode: data must be a typed array");
  codec::TensorMeta meta;
  codec::Options options;
  std::string err;
  if (!ReadMeta(info[2], &meta, &err) || !ReadOptions(info[3], &options, &err)) return ThrowType(env, "codecEncode: " + err);

  uint64_t elements;
  Status st = codec::CheckMeta(id, meta, &elements);
  if (!st.ok()) return ThrowStatus(env, st);
  std::vector<uint8_t> out(codec::MaxEncodedSize(id, meta));
  std::vector<uint8_t> workspace(codec::EncodeWorkspaceSize(id, meta));
  size_t encoded_bytes = 0;
  st = codec::Encode(id, meta, data, size, options, workspace.data(), workspace.size(), out.data(), out.size(), &encoded_bytes);
  if (!st.ok()) return ThrowStatus(env, st);
  return Napi::Buffer<uint8_t>::Copy(env, out.data(), encoded_bytes);
}

// codecDecode(payload, maxBytes) -> {data, meta, codec}
Napi::Value CodecDecode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint8_t* in;
  size_t size;
  if (!ReadBytes(info[0], &in, &size)) return ThrowType(env, "codecDecode(payload, maxBytes): payload must be a typed array");
  int64_t max_bytes;
  if (!ReadInt(info[1], 0, 9007199254740991.0, &max_bytes)) {
    return ThrowType(env, "codecDecode(payload, maxBytes): maxBytes must be a non-negative integer");
  }

  codec::DecodeInfo header;
  size_t bytes = 0;
  const Status header_status = codec::ReadHeader(in, size, &header, &bytes);
  if (!header_status.ok()) return ThrowStatus(env, header_status);
  // A header can claim any size (a run token stands for up to 2^31 bytes): refuse before allocating.
  if (static_cast<uint64_t>(bytes) > static_cast<uint64_t>(max_bytes)) {
    return ThrowStatus(env, Status::Error(StatusCode::kCodecTooLarge, "the header claims a tensor of {a} bytes, more than the {b} allowed")
                                .A(static_cast<int64_t>(bytes))
                                .B(max_bytes));
  }
  Napi::Buffer<uint8_t> data = Napi::Buffer<uint8_t>::New(env, bytes);
  std::vector<uint8_t> workspace(codec::DecodeWorkspaceSize(header.codec, header.meta));
  codec::DecodeInfo d;
  size_t decoded_bytes = 0;
  const Status st = codec::Decode(in, size, workspace.data(), workspace.size(), data.Data(), bytes, &d, &decoded_bytes);
  // The header is valid here, so the message can name the codec whose payload is wrong.
  if (!st.ok()) return ThrowStatus(env, st, std::string(codec::CodecName(header.codec)) + ": ");

  Napi::Object meta = Napi::Object::New(env);
  meta.Set("dtype", DTypeToName(d.meta.dtype));
  Napi::Array shape = Napi::Array::New(env, d.meta.rank);
  for (uint32_t i = 0; i < d.meta.rank; ++i) shape.Set(i, Napi::Number::New(env, d.meta.dims[i]));
  meta.Set("shape", shape);
  meta.Set("scale", Napi::Number::New(env, d.meta.scale));
  meta.Set("zeroPoint", Napi::Number::New(env, d.meta.zero_point));

  Napi::Object c = Napi::Object::New(env);
  c.Set("name", codec::CodecName(d.codec));
  c.Set("id", Napi::Number::New(env, static_cast<int>(d.codec)));
  c.Set("version", Napi::Number::New(env, d.version));
  c.Set("lossless", Napi::Boolean::New(env, codec::CodecIsLossless(d.codec)));
  c.Set("errorBound", Napi::Number::New(env, d.error_bound));
  c.Set("payloadBytes", Napi::Number::New(env, d.payload_bytes));
  const struct {
    const char* name;
    int32_t value;
  } optional[] = {{"threshold", d.threshold}, {"bits", d.bits},         {"step", d.step},
                  {"errorBudget", d.error_budget}, {"outliers", d.outliers}, {"packing", d.packing}};
  for (const auto& f : optional) {
    if (f.value >= 0) c.Set(f.name, Napi::Number::New(env, f.value));
  }

  Napi::Object result = Napi::Object::New(env);
  result.Set("data", data);
  result.Set("meta", meta);
  result.Set("codec", c);
  return result;
}

}  // namespace

}  // namespace cleave

void RegisterCodecs(Napi::Env env, Napi::Object exports) {
  exports.Set("codecEncode", Napi::Function::New(env, cleave::CodecEncode, "codecEncode"));
  exports.Set("codecDecode", Napi::Function::New(env, cleave::CodecDecode, "codecDecode"));
}
