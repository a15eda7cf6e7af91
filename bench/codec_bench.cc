// Native throughput of the wire codecs on one core (thread CPU time), against zlib's deflate at levels 1 and 6 on
// the same bytes (docs/codecs.md, "Measured"). Driven by bench/codecs.ts, which lists the golden
// activations; run by hand:
//   g++ -std=c++17 -O3 -Inative bench/codec_bench.cc native/codec/*.cc native/common/crc32.cc -lz -o /tmp/codec_bench
//   /tmp/codec_bench LIST [repeat-ms]
// LIST: one tensor per line, "path zero_point d0 d1 ... " (int8); `node dist/bench/codecs.js --list
// LIST` writes one for the golden activations. Prints one line per tensor:
//   name bytes lossless_bytes enc_MBps dec_MBps z1_bytes z1_enc_MBps z6_bytes z6_enc_MBps
//   z1_dec_MBps ts_bytes tabq_bytes tstabq_bytes
// (lossless and lossy sizes include the 44-byte header; zlib's are compress2's zlib streams), then
// a summary: total and median ratios, and MB/s as total bytes over total time (and the median and
// slowest tensor's).
#include <zlib.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <string>
#include <vector>

#include "codec/codec.h"

using namespace cleave::codec;

namespace {

// CPU time of this thread: what one core spends, whatever else shares the machine.
double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Runs fn repeatedly for about `ms` milliseconds of CPU time in 5 rounds; returns the best
// round's CPU seconds per call.
template <typename F>
double TimeIt(F fn, double ms) {
  double best = 1e30;
  for (int round = 0; round < 5; ++round) {
    int reps = 0;
    const double t0 = CpuSeconds();
    double el = 0;
    do {
      fn();
      ++reps;
      el = CpuSeconds() - t0;
    } while (el * 1000.0 < ms / 5);
    if (el / reps < best) best = el / reps;
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s LIST [repeat-ms]\n", argv[0]);
    return 2;
  }
  const double ms = argc > 2 ? std::atof(argv[2]) : 60;
  FILE* list = std::fopen(argv[1], "r");
  if (!list) return 2;
  char line[4096];
  struct Sum {
    double raw = 0, bytes = 0, enc = 0, dec = 0;
    std::vector<double> ratio, enc_rate;
    void Add(double n, double b, double te, double td) {
      raw += n;
      bytes += b;
      enc += te;
      dec += td;
      ratio.push_back(n / b);
      enc_rate.push_back(n / 1e6 / te);
    }
  } lossless, z1sum, z6sum;
  auto med = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : (v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2);
  };
  while (std::fgets(line, sizeof(line), list)) {
    char path[3000];
    int zp, off = 0;
    if (std::sscanf(line, "%2999s %d%n", path, &zp, &off) < 2) continue;
    TensorMeta m;
    m.dtype = DType::kInt8;
    m.scale = 0.1f;
    m.zero_point = zp;
    const char* rest = line + off;
    unsigned d;
    int used;
    while (m.rank < 4 && std::sscanf(rest, "%u%n", &d, &used) == 1) {
      m.dims[m.rank++] = d;
      rest += used;
    }
    FILE* f = std::fopen(path, "rb");
    if (!f) return 2;
    std::vector<uint8_t> data;
    int c;
    while ((c = std::fgetc(f)) != EOF) data.push_back(static_cast<uint8_t>(c));
    std::fclose(f);

    const size_t n = data.size();
    std::vector<uint8_t> enc(MaxEncodedSize(CodecId::kLossless, m)), dec(n);
    Options opt;
    Result r = Encode(CodecId::kLossless, m, data.data(), n, opt, nullptr, 0, enc.data(), enc.size());
    if (!r.ok()) {
      std::fprintf(stderr, "%s: %s\n", path, r.message);
      return 1;
    }
    const size_t lossless_bytes = r.size;
    DecodeInfo info;
    Result d2 = Decode(enc.data(), lossless_bytes, nullptr, 0, dec.data(), n, &info);
    if (!d2.ok() || std::memcmp(dec.data(), data.data(), n) != 0) {
      std::fprintf(stderr, "%s: round trip failed: %s\n", path, d2.message);
      return 1;
    }
    const double te = TimeIt([&] { Encode(CodecId::kLossless, m, data.data(), n, opt, nullptr, 0, enc.data(), enc.size()); }, ms);
    const double td = TimeIt([&] { Decode(enc.data(), lossless_bytes, nullptr, 0, dec.data(), n, &info); }, ms);

    std::vector<uint8_t> z(compressBound(n));
    uLongf z1 = z.size(), z6 = z.size();
    compress2(z.data(), &z1, data.data(), n, 1);
    const double tz1 = TimeIt([&] { uLongf l = z.size(); compress2(z.data(), &l, data.data(), n, 1); }, ms);
    compress2(z.data(), &z6, data.data(), n, 6);
    const double tz6 = TimeIt([&] { uLongf l = z.size(); compress2(z.data(), &l, data.data(), n, 6); }, ms);
    compress2(z.data(), &z6, data.data(), n, 6);
    std::vector<uint8_t> z6copy(z.begin(), z.begin() + z6);
    compress2(z.data(), &z1, data.data(), n, 1);
    const double tzd = TimeIt([&] { uLongf l = n; uncompress(dec.data(), &l, z.data(), z1); }, ms);

    size_t lossy[3];
    const CodecId lc[3] = {CodecId::kTs, CodecId::kTabq, CodecId::kTsTabq};
    for (int i = 0; i < 3; ++i) {
      std::vector<uint8_t> ws(EncodeWorkspaceSize(lc[i], m)), out(MaxEncodedSize(lc[i], m));
      Result lr = Encode(lc[i], m, data.data(), n, opt, ws.data(), ws.size(), out.data(), out.size());
      lossy[i] = lr.ok() ? lr.size : 0;
    }
    const double tz6d = TimeIt([&] { uLongf l = n; uncompress(dec.data(), &l, z6copy.data(), z6); }, ms);
    lossless.Add(n, static_cast<double>(lossless_bytes), te, td);
    z1sum.Add(n, z1, tz1, tzd);
    z6sum.Add(n, z6, tz6, tz6d);
    const double mb = n / 1e6;
    std::printf("%s %zu %zu %.1f %.1f %lu %.1f %lu %.1f %.1f %zu %zu %zu\n", path, n, lossless_bytes, mb / te, mb / td,
                static_cast<unsigned long>(z1), mb / tz1, static_cast<unsigned long>(z6), mb / tz6, mb / tzd, lossy[0],
                lossy[1], lossy[2]);
    std::fflush(stdout);
  }
  const struct {
    const char* name;
    const Sum* s;
  } rows[] = {{"lossless", &lossless}, {"deflate-1", &z1sum}, {"deflate-6", &z6sum}};
  std::printf("# %zu tensors, %.0f bytes; ratio total/median; encode MB/s total/median/slowest; decode MB/s total\n",
              lossless.ratio.size(), lossless.raw);
  for (const auto& row : rows) {
    const Sum& x = *row.s;
    std::printf("# %-9s ratio %.3f / %.3f  encode %.0f / %.0f / %.0f  decode %.0f\n", row.name, x.raw / x.bytes, med(x.ratio),
                x.raw / 1e6 / x.enc, med(x.enc_rate), x.enc_rate.empty() ? 0.0 : *std::min_element(x.enc_rate.begin(), x.enc_rate.end()),
                x.raw / 1e6 / x.dec);
  }
  return 0;
}
