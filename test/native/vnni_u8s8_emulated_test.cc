// The avx512-vnni set's u8s8 matrix product, built from the production sources (kernels.inc,
// gemm_u8s8_512.inc and the set's choices, avx512_vnni_u8s8.h) with its 512-bit operations
// emulated in AVX2 (vec512_emulated.h), checked byte for byte against the reference
// FULLY_CONNECTED kernel: every row and channel tile and their edges, depths around whole groups
// of four, input zero points -128, 0 and 127, weights and activations at -128 and 127, per-channel
// and per-tensor multipliers with left and right shifts, fused activation ranges, strided rows and
// outputs, and row ranges split as the interpreter's threads split them. Runs where the CPU lacks
// AVX-512; the real instructions run in the differential suite on CPUs that have them.
#include "vec512_emulated.h"
#define CLEAVE_X86_ENABLED 1
#include "kernels/x86/avx512_vnni_u8s8.h"
// The set's kS16 form (vpdpwssd) is compiled but never chosen; AVX2's equivalent stands in for it.
#define CLEAVE_X86_MAC(acc, a, w) _mm256_add_epi32((acc), _mm256_madd_epi16((a), (w)))
#define CLEAVE_X86_SET "avx512-vnni-emulated"
#define CLEAVE_X86_ENTRY EmulatedVnniKernels
#include "kernels/x86/kernels.inc"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/fully_connected.h"

using namespace cleave::kernels;

namespace {

struct Rng {
  uint32_t s = 2463534242u;
  uint32_t Next() { return s ^= s << 13, s ^= s >> 17, s ^= s << 5; }
  int32_t In(int32_t lo, int32_t hi) { return lo + int32_t(Next() % uint32_t(int64_t(hi) - lo + 1)); }
};

// How a matrix is filled: random int8, only -128 and 127, all -128, all 127.
enum class Fill { kRandom, kExtremes, kAllMin, kAllMax };
const char* const kFillNames[] = {"random", "extremes", "all -128", "all 127"};

struct Case {
  int32_t m, n, k;
  int32_t input_zero_point;
  bool per_channel;
  Fill activations, weights;
  uint32_t variant;  // picks strides, bias, shifts, activation range and the row split
};

int8_t Value(Fill f, Rng& rng) {
  switch (f) {
    case Fill::kRandom: return int8_t(rng.Next());
    case Fill::kExtremes: return rng.Next() & 1 ? int8_t(-128) : int8_t(127);
    case Fill::kAllMin: return -128;
    case Fill::kAllMax: return 127;
  }
  return 0;
}

constexpr uint8_t kGuard = 0xA5;

// Empty when the emulated product equals the reference, else what differs.
std::string Check(const Case& c, Rng& rng) {
  const OptimizedKernels* set = EmulatedVnniKernels();
  const uint32_t v = c.variant;
  const int32_t lda = c.k + (v % 3 == 0 ? 0 : int32_t(1 + v % 7)), ldc = c.n + (v % 2 == 0 ? 0 : 3);
  std::vector<int8_t> a(size_t(c.m) * lda), a_dense(size_t(c.m) * c.k), b(size_t(c.n) * c.k);
  for (auto& x : a) x = int8_t(rng.Next());  // what lies between rows must not matter
  for (int32_t r = 0; r < c.m; ++r)
    for (int32_t i = 0; i < c.k; ++i) a[size_t(r) * lda + i] = a_dense[size_t(r) * c.k + i] = Value(c.activations, rng);
  for (auto& x : b) x = Value(c.weights, rng);
  const int32_t stages = c.per_channel ? c.n : 1;
  std::vector<int32_t> bias(c.n), multiplier(stages), shift(stages);
  for (auto& x : bias) x = rng.In(-60000, 60000);
  // Left shifts only as far as the reference's x << shift stays within int32.
  const int64_t bound = int64_t(c.k) * 255 * 128 + 60000;
  int32_t max_left = 0;
  while ((bound << (max_left + 1)) < INT32_MAX && max_left < 8) ++max_left;
  for (int32_t i = 0; i < stages; ++i) {
    multiplier[i] = rng.In(1 << 30, INT32_MAX);
    shift[i] = (v + i) % 4 == 1 ? rng.In(0, max_left) : -rng.In(0, 20);
  }
  const int32_t* bias_or_none = v % 5 == 4 ? nullptr : bias.data();
  const int32_t output_offset = rng.In(-128, 127);
  const int32_t ranges[4][2] = {{-128, 127}, {output_offset, 127}, {-20, 40}, {5, 5}};
  const int32_t act_min = ranges[v % 4][0], act_max = ranges[v % 4][1];

  const size_t size = set->gemm_packed_size(c.n, c.k);
  // Room past the blob, so that a packer writing past gemm_packed_size is caught here.
  const size_t allocated = (size + 63) / 64 * 64 + size + 1024;
  uint8_t* packed = static_cast<uint8_t*>(std::aligned_alloc(64, allocated));
  std::memset(packed, kGuard, allocated);
  set->pack_gemm_b(b.data(), bias_or_none, multiplier.data(), shift.data(), c.per_channel, c.m, c.n, c.k, -c.input_zero_point, packed);
  std::string why;
  for (size_t i = size; i < allocated && why.empty(); ++i)
    if (packed[i] != kGuard) why = "the packer wrote past gemm_packed_size";
  if (why.empty() && std::string(set->gemm_variant(packed)) != "gemm-u8s8-512")
    why = std::string("packed as ") + set->gemm_variant(packed) + ", not gemm-u8s8-512";

  std::vector<int8_t> c_ref(size_t(c.m) * c.n), c_out(size_t(c.m) * ldc, int8_t(kGuard));
  if (why.empty()) {
    const FullyConnectedParams p{-c.input_zero_point, 0, output_offset, act_min, act_max, c.per_channel};
    FullyConnected(p, multiplier.data(), shift.data(), c.m, c.k, c.n, a_dense.data(), b.data(), bias_or_none, c_ref.data());
    const GemmArgs g{a.data(), lda,         c.m,     c.n,     c.k,           packed, multiplier.data(), shift.data(),
                     c.per_channel, output_offset, act_min, act_max, c_out.data(), ldc};
    // Two row ranges, split anywhere, as threads run them.
    const int32_t split = int32_t(v * 7 % uint32_t(c.m + 1));
    set->gemm(g, 0, split);
    set->gemm(g, split, c.m);
  }
  for (int32_t r = 0; r < c.m && why.empty(); ++r) {
    for (int32_t ch = 0; ch < ldc && why.empty(); ++ch) {
      const int8_t got = c_out[size_t(r) * ldc + ch];
      const int8_t want = ch < c.n ? c_ref[size_t(r) * c.n + ch] : int8_t(kGuard);
      if (got != want) why = "C[" + std::to_string(r) + "][" + std::to_string(ch) + "] = " + std::to_string(got) + ", want " + std::to_string(want);
    }
  }
  std::free(packed);
  if (why.empty()) return why;
  char where[200];
  std::snprintf(where, sizeof(where), "m=%d n=%d k=%d input zero point %d %s activations %s weights %s variant %u: ", c.m, c.n, c.k,
                c.input_zero_point, c.per_channel ? "per-channel" : "per-tensor", kFillNames[int(c.activations)],
                kFillNames[int(c.weights)], v);
  return where + why;
}

}  // namespace

int main() {
  Rng rng;
  std::vector<Case> cases;
  const int32_t zero_points[] = {-128, 0, 127};
  uint32_t variant = 0;
  // Every row tile and tail (8 rows, 1-7 left), every channel tile and tail (16-channel blocks, 2-8
  // per tile), depths around whole groups of four.
  for (int32_t m : {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65})
    for (int32_t n : {1, 3, 4, 5, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 127, 129})
      for (int32_t k : {1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65}) {
        ++variant;
        cases.push_back({m, n, k, zero_points[variant % 3], variant % 2 == 0, Fill::kRandom, variant % 7 == 0 ? Fill::kExtremes : Fill::kRandom,
                         variant});
      }
  // Extremes: the largest products and folded corrections.
  const Fill extremes[] = {Fill::kExtremes, Fill::kAllMin, Fill::kAllMax};
  for (int32_t m : {1, 3, 8, 9})
    for (int32_t n : {16, 17, 33})
      for (int32_t k : {4, 5, 65})
        for (int32_t zp : zero_points)
          for (Fill x : extremes)
            for (Fill w : extremes)
              for (bool per_channel : {true, false}) cases.push_back({m, n, k, zp, per_channel, x, w, ++variant});
  // Large and odd shapes: a batch-1 fully connected layer, deep products, the conv microbenchmark's
  // im2col piece.
  for (const auto& s : std::vector<std::vector<int32_t>>{{200, 130, 1100}, {1, 1024, 1024}, {3, 77, 2049}, {64, 64, 576}, {131, 257, 9}, {2, 300, 300}})
    for (int32_t zp : zero_points) cases.push_back({s[0], s[1], s[2], zp, zp != 0, Fill::kRandom, Fill::kRandom, ++variant});

  int bad = 0;
  for (const Case& c : cases) {
    const std::string why = Check(c, rng);
    if (!why.empty() && ++bad <= 5) std::printf("# %s\n", why.c_str());
  }
  if (bad == 0) {
    std::printf("ok 1 - %zu emulated 512-bit u8s8 products equal the reference\n", cases.size());
  } else {
    std::printf("not ok 1 - %d of %zu emulated 512-bit u8s8 products differ from the reference\n", bad, cases.size());
  }
  return bad != 0;
}
