// Seeded fuzzing of the codecs in C++, meant to run under AddressSanitizer and UBSan
// (test/codec/native.test.ts builds it so): random int8 tensors of random shapes through every
// codec with random options must decode within their bounds; then mutants of each encoding (bit
// flips, truncations, extensions, header flips) with both CRCs recomputed must either be refused
// or decode to a tensor of exactly the size their header states, never touching memory outside
// the buffers. Every refusal must carry a codec status code and a message whose placeholders are
// all filled. Usage: codec_fuzz [iterations] [seed]. Prints "ok decoded N rejected M" or the
// first failure, and exits 0 or 1.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "codec/codec.h"
#include "common/crc32.h"
#include "host/status_format.h"

using namespace cleave::codec;
using cleave::Status;
using cleave::StatusCode;

// A refusal as the host shows it, or why it is not a well-formed codec refusal.
static bool WellFormedRefusal(const Status& s, std::string* text) {
  *text = std::string(cleave::StatusCodeName(s.code)) + ": " + cleave::FormatStatus(s);
  const bool codec_code = s.code >= StatusCode::kCodecInvalidArgument && s.code <= StatusCode::kCodecTooLarge;
  return codec_code && text->find('{') == std::string::npos;
}

static uint32_t g_state = 1;
static uint32_t Rand() {
  g_state = g_state * 1664525u + 1013904223u;
  return g_state >> 8;
}

static void PutLE32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Payload length, payload CRC and header CRC made to match the (damaged) bytes.
static void Resign(std::vector<uint8_t>* b) {
  if (b->size() < kHeaderBytes) return;
  PutLE32(b->data() + 32, static_cast<uint32_t>(b->size() - kHeaderBytes));
  PutLE32(b->data() + 36, cleave::Crc32(b->data() + kHeaderBytes, b->size() - kHeaderBytes));
  PutLE32(b->data() + 40, cleave::Crc32(b->data(), 40));
}

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 3000;
  g_state = argc > 2 ? static_cast<uint32_t>(std::atoi(argv[2])) : 1;
  const CodecId codecs[] = {CodecId::kRaw, CodecId::kLossless, CodecId::kTs, CodecId::kTabq, CodecId::kTsTabq};
  size_t decoded = 0, rejected = 0;
  for (int it = 0; it < iterations; ++it) {
    TensorMeta m;
    m.rank = static_cast<uint8_t>(1 + Rand() % 4);
    uint64_t n = 1;
    const bool big = it % 10 == 0;
    for (int i = 0; i < m.rank; ++i) {
      m.dims[i] = 1 + Rand() % (i == m.rank - 1 ? (big ? 300 : 40) : (big ? 12 : 6));
      n *= m.dims[i];
    }
    m.zero_point = static_cast<int32_t>(Rand() % 256) - 128;
    m.scale = 0.5f;
    std::vector<uint8_t> data(n);
    const int kind = static_cast<int>(Rand() % 3);
    for (auto& x : data) {
      x = kind == 0 ? static_cast<uint8_t>(Rand())
                    : static_cast<uint8_t>(Rand() % 3 == 0 ? m.zero_point + static_cast<int32_t>(Rand() % 20) : m.zero_point);
    }
    const CodecId codec = codecs[Rand() % 5];
    Options opt;
    opt.threshold = Rand() % 2 ? -1 : static_cast<int32_t>(Rand() % 256);
    opt.bits = static_cast<int32_t>(1 + Rand() % 8);
    opt.error_budget = static_cast<int32_t>(Rand() % 10);
    std::vector<uint8_t> out(MaxEncodedSize(codec, m)), ws(DecodeWorkspaceSize(codec, m) + 1), back(n);
    size_t encoded = 0, decoded_bytes = 0;
    std::string text;
    const Status r = Encode(codec, m, data.data(), n, opt, ws.data(), ws.size(), out.data(), out.size(), &encoded);
    if (!r.ok()) {
      WellFormedRefusal(r, &text);
      std::printf("iteration %d: encode failed: %s\n", it, text.c_str());
      return 1;
    }
    out.resize(encoded);
    DecodeInfo info;
    const Status d = Decode(out.data(), out.size(), ws.data(), ws.size(), back.data(), n, &info, &decoded_bytes);
    if (!d.ok()) {
      WellFormedRefusal(d, &text);
      std::printf("iteration %d: %s does not decode: %s\n", it, CodecName(codec), text.c_str());
      return 1;
    }
    for (uint64_t i = 0; i < n; ++i) {
      if (std::abs(static_cast<int8_t>(data[i]) - static_cast<int8_t>(back[i])) > info.error_bound) {
        std::printf("iteration %d: %s element %llu beyond the bound %d\n", it, CodecName(codec), static_cast<unsigned long long>(i),
                    static_cast<int>(info.error_bound));
        return 1;
      }
    }
    for (int k = 0; k < 20; ++k) {
      std::vector<uint8_t> b = out;
      const uint32_t mode = Rand() % 4;
      if (mode == 0 && b.size() > kHeaderBytes) b.resize(kHeaderBytes + Rand() % (b.size() - kHeaderBytes));
      if (mode == 1) b.push_back(static_cast<uint8_t>(Rand()));
      const int flips = static_cast<int>(1 + Rand() % 4);
      for (int f = 0; f < flips && b.size() > kHeaderBytes; ++f) b[kHeaderBytes + Rand() % (b.size() - kHeaderBytes)] ^= 1u << (Rand() % 8);
      if (mode == 3) b[4 + Rand() % 28] ^= 1u << (Rand() % 8);
      Resign(&b);
      DecodeInfo h;
      size_t bytes = 0;
      const Status header = ReadHeader(b.data(), b.size(), &h, &bytes);
      if (!header.ok() && !WellFormedRefusal(header, &text)) {
        std::printf("iteration %d: a malformed refusal: %s\n", it, text.c_str());
        return 1;
      }
      if (!header.ok() || bytes > (1u << 20)) {
        ++rejected;
        continue;
      }
      // Exactly sized buffers, so that the sanitizers see any overrun.
      std::vector<uint8_t> w2(DecodeWorkspaceSize(h.codec, h.meta)), o2(bytes);
      size_t z_bytes = 0;
      const Status z = Decode(b.data(), b.size(), w2.data(), w2.size(), o2.data(), o2.size(), &h, &z_bytes);
      if (z.ok() && z_bytes != bytes) {
        std::printf("iteration %d: a mutant decoded to %zu bytes, its header says %zu\n", it, z_bytes, bytes);
        return 1;
      }
      if (!z.ok() && !WellFormedRefusal(z, &text)) {
        std::printf("iteration %d: a malformed refusal: %s\n", it, text.c_str());
        return 1;
      }
      (z.ok() ? decoded : rejected) += 1;
    }
  }
  std::printf("ok decoded %zu rejected %zu\n", decoded, rejected);
  return 0;
}
