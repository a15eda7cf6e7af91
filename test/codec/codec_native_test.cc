// The wire codecs used directly from C++, as firmware would: every codec round-trips (or stays
// within its bound) on seeded tensors, encode and decode allocate nothing, undersized buffers are
// refused, and Decode leaves no half-decoded tensor behind. Prints TAP; run by
// test/codec/native.test.ts, which builds it with -fno-exceptions -fno-rtti and counts allocations
// through the linker (--wrap=malloc and friends) and a replaced operator new.
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "codec/codec.h"
#include "host/status_format.h"

using namespace cleave::codec;
using cleave::Status;
using cleave::StatusCode;

// A failure as the host shows it ("CODEC_TRUNCATED: ..."); empty for success.
static std::string Text(const Status& s) {
  return s.ok() ? std::string() : std::string(cleave::StatusCodeName(s.code)) + ": " + cleave::FormatStatus(s);
}

// ---------------------------------------------------------------------------------------------
// Allocation counting

static int g_allocations = 0;

extern "C" {
void* __real_malloc(size_t);
void* __real_calloc(size_t, size_t);
void* __real_realloc(void*, size_t);
void* __wrap_malloc(size_t n) {
  ++g_allocations;
  return __real_malloc(n);
}
void* __wrap_calloc(size_t a, size_t b) {
  ++g_allocations;
  return __real_calloc(a, b);
}
void* __wrap_realloc(void* p, size_t n) {
  ++g_allocations;
  return __real_realloc(p, n);
}
}
// The replaced operators pair malloc with free, which GCC cannot see through the wrapping.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(size_t n) {
  ++g_allocations;
  return __real_malloc(n);
}
void* operator new[](size_t n) {
  ++g_allocations;
  return __real_malloc(n);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }

// ---------------------------------------------------------------------------------------------
// TAP output

static int g_test = 0;
static int g_failed = 0;

static void Check(bool ok, const char* fmt, ...) {
  char text[256];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  ++g_test;
  if (!ok) ++g_failed;
  std::printf("%sok %d - %s\n", ok ? "" : "not ", g_test, text);
}

static uint32_t g_seed = 12345;
static uint32_t Rand() {
  g_seed = g_seed * 1664525u + 1013904223u;
  return g_seed >> 8;
}

// Static buffers, as firmware has them.
static uint8_t g_data[1 << 16];
static uint8_t g_encoded[9 * (1 << 16)];
static uint8_t g_decoded[1 << 16];
static uint8_t g_workspace[3 * (1 << 16) + 20000];

static void Fill(size_t n, int zp, int kind) {
  for (size_t i = 0; i < n; ++i) {
    int v;
    if (kind == 0) v = static_cast<int>(Rand() % 256) - 128;                   // uniform
    else if (kind == 1) v = (Rand() % 3 == 0) ? zp : zp + 1 + static_cast<int>(Rand() % 40);  // ReLU-like
    else v = (i / 97) % 5 == 0 ? zp + static_cast<int>(Rand() % 9) : zp;      // long runs
    if (v > 127) v = 127;
    g_data[i] = static_cast<uint8_t>(static_cast<int8_t>(v));
  }
}

int main() {
  {
    static void* volatile sink[2];
    g_allocations = 0;
    sink[0] = std::malloc(16);
    sink[1] = ::operator new(16);
    Check(g_allocations == 2, "the allocation counter sees malloc and new (%d)", g_allocations);
    ::operator delete(sink[1]);
    std::free(sink[0]);
  }
  const CodecId codecs[] = {CodecId::kRaw, CodecId::kLossless, CodecId::kTs, CodecId::kTabq, CodecId::kTsTabq};
  const uint32_t shapes[][5] = {  // rank, dims
      {0, 0, 0, 0, 0}, {1, 1, 0, 0, 0}, {1, 0, 0, 0, 0}, {2, 3, 5, 0, 0}, {4, 1, 12, 12, 16}, {4, 1, 6, 6, 128}, {2, 1, 4099, 0, 0},
  };
  for (CodecId codec : codecs) {
    for (const auto& s : shapes) {
      for (int kind = 0; kind < 3; ++kind) {
        TensorMeta m;
        m.dtype = DType::kInt8;
        m.rank = static_cast<uint8_t>(s[0]);
        for (uint32_t i = 0; i < s[0]; ++i) m.dims[i] = s[1 + i];
        m.scale = 0.25f;
        m.zero_point = kind == 0 ? 3 : -128;
        uint64_t n = 1;
        for (uint32_t i = 0; i < s[0]; ++i) n *= s[1 + i];
        Fill(n, m.zero_point, kind);
        Options opt;
        opt.error_budget = 3;
        const size_t cap = MaxEncodedSize(codec, m);
        const size_t ews = EncodeWorkspaceSize(codec, m), dws = DecodeWorkspaceSize(codec, m);
        if (cap > sizeof(g_encoded) || dws > sizeof(g_workspace) || ews > dws) {
          Check(false, "%s: buffers for %llu elements exceed the test's", CodecName(codec), static_cast<unsigned long long>(n));
          continue;
        }
        g_allocations = 0;
        size_t encoded = 0, decoded = 0;
        const Status e = Encode(codec, m, g_data, n, opt, g_workspace, ews, g_encoded, cap, &encoded);
        DecodeInfo info;
        const Status d = e.ok() ? Decode(g_encoded, encoded, g_workspace, dws, g_decoded, n, &info, &decoded) : e;
        const int allocations = g_allocations;
        int worst = 0;
        for (uint64_t i = 0; d.ok() && i < n; ++i) {
          const int err = std::abs(static_cast<int8_t>(g_data[i]) - static_cast<int8_t>(g_decoded[i]));
          if (err > worst) worst = err;
        }
        const int bound = CodecIsLossless(codec) ? 0 : info.error_bound;
        Check(e.ok() && d.ok() && encoded <= cap && decoded == n && worst <= bound && allocations == 0,
              "%s rank %u n=%llu kind %d: %zu bytes, max error %d (bound %d), %d allocations %s", CodecName(codec), m.rank,
              static_cast<unsigned long long>(n), kind, encoded, worst, bound, allocations, Text(d).c_str());
      }
    }
  }

  // Undersized buffers are refused, never overrun.
  {
    TensorMeta m;
    m.rank = 2;
    m.dims[0] = 16;
    m.dims[1] = 16;
    m.zero_point = -128;
    Fill(256, -128, 1);
    Options opt;
    for (CodecId codec : codecs) {
      const size_t need = MaxEncodedSize(codec, m);
      size_t encoded = 0, decoded = 0;
      Status r = Encode(codec, m, g_data, 256, opt, g_workspace, EncodeWorkspaceSize(codec, m), g_encoded, 20, &encoded);
      Check(r.code == StatusCode::kCodecBufferTooSmall, "%s: a 20-byte output is refused (%s)", CodecName(codec), Text(r).c_str());
      if (EncodeWorkspaceSize(codec, m) > 0) {
        r = Encode(codec, m, g_data, 256, opt, g_workspace, EncodeWorkspaceSize(codec, m) - 1, g_encoded, need, &encoded);
        Check(r.code == StatusCode::kCodecBufferTooSmall, "%s: a short workspace is refused (%s)", CodecName(codec), Text(r).c_str());
      }
      r = Encode(codec, m, g_data, 255, opt, g_workspace, sizeof(g_workspace), g_encoded, need, &encoded);
      Check(r.code == StatusCode::kCodecInvalidArgument, "%s: 255 bytes for 256 elements are refused (%s)", CodecName(codec),
            Text(r).c_str());
      r = Encode(codec, m, g_data, 256, opt, g_workspace, sizeof(g_workspace), g_encoded, need, &encoded);
      DecodeInfo info;
      Status d = Decode(g_encoded, encoded, g_workspace, sizeof(g_workspace), g_decoded, 255, &info, &decoded);
      Check(d.code == StatusCode::kCodecBufferTooSmall, "%s: a 255-byte output for 256 elements is refused (%s)", CodecName(codec),
            Text(d).c_str());
      if (DecodeWorkspaceSize(codec, m) > 0) {
        d = Decode(g_encoded, encoded, g_workspace, DecodeWorkspaceSize(codec, m) - 1, g_decoded, 256, &info, &decoded);
        Check(d.code == StatusCode::kCodecBufferTooSmall, "%s: a short decode workspace is refused (%s)", CodecName(codec),
              Text(d).c_str());
      }
      // A payload damaged after its CRCs were made: Decode fails and leaves zeros, not half a tensor.
      std::memset(g_decoded, 0x55, 256);
      g_encoded[encoded - 1] ^= 0x01;
      d = Decode(g_encoded, encoded, g_workspace, sizeof(g_workspace), g_decoded, 256, &info, &decoded);
      bool untouched = true;
      for (int i = 0; i < 256; ++i) untouched = untouched && (g_decoded[i] == 0x55 || g_decoded[i] == 0);
      Check(d.code == StatusCode::kCodecPayloadChecksum && untouched, "%s: a damaged payload is refused (%s)", CodecName(codec),
            Text(d).c_str());
    }
  }

  // Names and versions.
  for (CodecId codec : codecs) {
    CodecId back;
    Check(CodecByName(CodecName(codec), &back) && back == codec && CodecVersion(codec) == 1, "%s: name and version 1",
          CodecName(codec));
  }
  CodecId none;
  Check(!CodecByName("zstd", &none), "an unknown name is not a codec");

  std::printf("1..%d\n", g_test);
  return g_failed == 0 ? 0 : 1;
}
