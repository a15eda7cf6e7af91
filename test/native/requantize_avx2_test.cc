// The AVX2 output stage (kernels/x86/requantize_avx2.h) against the scalar specification
// (MultiplyByQuantizedMultiplier + offset + clamp) on random and edge accumulators, multipliers and
// shifts. Prints "ok N" / "not ok N - ..." and exits 1 on any difference.
#include <immintrin.h>

#include <cstdint>
#include <cstdio>
#include <random>

#include "kernels/common.h"
#include "kernels/x86/requantize_avx2.h"

using namespace cleave::kernels;

int main() {
  std::mt19937 rng(1234);
  const int32_t edges[] = {0, 1, -1, 2, -2, 3, -3, 1 << 30, -(1 << 30), INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1, 12345, -12345};
  int failures = 0;
  long checked = 0;
  for (int round = 0; round < 200000; ++round) {
    alignas(32) int32_t acc[8], mult[8], left[8], right[8], mask[8], half[8], got[8];
    int32_t shift[8];
    for (int j = 0; j < 8; ++j) {
      acc[j] = (rng() % 4 == 0) ? edges[rng() % (sizeof(edges) / sizeof(edges[0]))] : int32_t(rng() >> (rng() % 32));
      if (rng() % 2) acc[j] = -acc[j];
      // QuantizeMultiplier's range: 0, or [2^30, 2^31) with shifts in [-31, 30].
      mult[j] = (rng() % 50 == 0) ? 0 : int32_t((1u << 30) + (rng() % (1u << 30)));
      shift[j] = int32_t(rng() % 32) - 31 + ((rng() % 4 == 0) ? int32_t(rng() % 8) : 0);
      left[j] = shift[j] > 0 ? shift[j] : 0;
      right[j] = shift[j] > 0 ? 0 : -shift[j];
      mask[j] = right[j] >= 31 ? 0x7fffffff : int32_t((1u << right[j]) - 1);
      half[j] = mask[j] >> 1;
      if (left[j] > 0) acc[j] >>= left[j];  // keep acc << left inside int32, as real layers do
    }
    const int32_t offset = int32_t(rng() % 256) - 128, lo = -128 + int32_t(rng() % 3), hi = 127 - int32_t(rng() % 3);
    auto load = [](const int32_t* p) { return _mm256_load_si256(reinterpret_cast<const __m256i*>(p)); };
    const x86::RequantizeLanes lanes{load(mult), load(left), load(right), load(mask), load(half)};
    _mm256_store_si256(reinterpret_cast<__m256i*>(got),
                       x86::Requantize8(load(acc), lanes, _mm256_set1_epi32(offset), _mm256_set1_epi32(lo), _mm256_set1_epi32(hi)));
    for (int j = 0; j < 8; ++j) {
      const int32_t want = RequantizeAccumulator(acc[j], mult[j], shift[j], offset, lo, hi);
      ++checked;
      if (got[j] != want && failures++ < 10) {
        std::printf("not ok %d - acc %d mult %d shift %d offset %d: got %d want %d\n", failures, acc[j], mult[j], shift[j], offset, got[j], want);
      }
    }
  }
  if (failures == 0) std::printf("ok 1 - %ld lanes equal the scalar output stage\n", checked);
  return failures ? 1 : 0;
}
