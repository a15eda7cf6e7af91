// The AVX2 output stage (kernels/x86/requantize_avx2.h) against the scalar specification
// (MultiplyByQuantizedMultiplier + offset + clamp of kernels/common.cc). Lanes come from the tables
// a packer writes (StoreBlockConstants + LoadRequantizeLanes, per channel) and from UniformLanes
// (per tensor). Covered: every shift in [-31, 30] against boundary and random accumulators (INT32_MIN,
// INT32_MAX, powers of two and their neighbours, the ties of every rounding) and boundary and random
// multipliers (0, 2^30, 2^31 - 1), accumulators that wrap when shifted left as the reference wraps
// them, and random per-lane mixes of everything, both forms (blocks with and without a lane of
// shift >= 0). Prints "ok N - ..." per group, "not ok N - ..." on a difference, and exits 1 on any.
#include <immintrin.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "kernels/common.h"
#include "kernels/x86/requantize_avx2.h"

using namespace cleave::kernels;

namespace {

int group = 0;
int failures = 0;

struct Lane {
  int32_t acc, multiplier, shift;
};

struct OutputRange {
  int32_t offset, lo, hi;
};

// Runs 8 lanes through the vector stage with per-channel tables (or, uniform, with UniformLanes,
// which needs one multiplier and shift for all 8); returns how many lanes differ from the scalar one.
long Check(const Lane (&lanes)[8], const OutputRange& c, bool uniform) {
  alignas(32) int32_t acc[8], got[8];
  // Two blocks, the lanes in the second: the block's address counts as well.
  alignas(32) int32_t blocks[x86::kRequantizeRows * 16] = {};
  x86::ChannelRequantization constants[8];
  for (int j = 0; j < 8; ++j) {
    acc[j] = lanes[j].acc;
    constants[j] = x86::ChannelConstants(lanes[j].multiplier, lanes[j].shift);
  }
  x86::StoreBlockConstants(blocks, 8, constants);
  const x86::RequantizeLanes q =
      uniform ? x86::UniformLanes(lanes[0].multiplier, lanes[0].shift) : x86::LoadRequantizeLanes(blocks, 8);
  const __m256i v = x86::Requantize8(_mm256_load_si256(reinterpret_cast<const __m256i*>(acc)), q, _mm256_set1_epi32(c.offset),
                                     _mm256_set1_epi32(c.lo), _mm256_set1_epi32(c.hi));
  _mm256_store_si256(reinterpret_cast<__m256i*>(got), v);
  // The same tables read where used (PackedLanes, as StoreBlock reads them).
  alignas(32) int32_t packed[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(packed),
                     uniform ? v
                             : x86::Requantize8(_mm256_load_si256(reinterpret_cast<const __m256i*>(acc)), x86::PackedLanesAt(blocks, 8),
                                                _mm256_set1_epi32(c.offset), _mm256_set1_epi32(c.lo), _mm256_set1_epi32(c.hi)));
  // The bare multiply too, unclamped: the clamp would hide most of its range.
  alignas(32) int32_t product[8];
  _mm256_store_si256(reinterpret_cast<__m256i*>(product),
                     x86::MultiplyByQuantizedMultiplier8(_mm256_load_si256(reinterpret_cast<const __m256i*>(acc)), q));
  long bad = 0;
  for (int j = 0; j < 8; ++j) {
    const Lane& l = lanes[j];
    const int32_t want = RequantizeAccumulator(l.acc, l.multiplier, l.shift, c.offset, c.lo, c.hi);
    const int32_t want_product = MultiplyByQuantizedMultiplier(l.acc, l.multiplier, l.shift);
    if (got[j] == want && packed[j] == want && product[j] == want_product) continue;
    ++bad;
    if (failures + bad <= 10) {
      std::printf("# %s acc %d multiplier %d shift %d offset %d: got %d (packed %d, product %d) want %d (product %d)\n",
                  uniform ? "uniform" : "per-channel", l.acc, l.multiplier, l.shift, c.offset, got[j], packed[j], product[j], want,
                  want_product);
    }
  }
  return bad;
}

void Report(const char* what, long checked, long bad) {
  ++group;
  failures += bad ? 1 : 0;
  if (bad) std::printf("not ok %d - %s: %ld of %ld lanes differ from the scalar output stage\n", group, what, bad, checked);
  else std::printf("ok %d - %s: %ld lanes equal the scalar output stage\n", group, what, checked);
}

std::vector<int32_t> BoundaryAccumulators() {
  std::vector<int32_t> v = {0, 1, -1, 2, -2, 3, -3, 12345, -12345, INT32_MAX, INT32_MIN, INT32_MAX - 1, INT32_MIN + 1};
  for (int b = 1; b < 31; ++b) {
    const int32_t p = int32_t(1) << b;
    for (int32_t d : {-1, 0, 1}) {
      v.push_back(p + d);
      v.push_back(-p + d);
      v.push_back(p + (p >> 1) + d);  // rounding ties of a shift by b + 1
      v.push_back(-p - (p >> 1) + d);
    }
  }
  return v;
}

}  // namespace

int main() {
  std::mt19937 rng(1234);
  const std::vector<int32_t> accumulators = BoundaryAccumulators();
  const int32_t multipliers[] = {0, 1 << 30, (1 << 30) + 1, INT32_MAX, INT32_MAX - 1, 1518500250 /* ~2^30.5 */, 1073741823 + 536870912};
  const OutputRange wide{0, INT32_MIN, INT32_MAX};  // only the offset and clamp of RequantizeAccumulator vary below

  // Every shift x boundary multiplier x boundary accumulator, and every shift x 20,000 random
  // accumulators and multipliers; per channel and per tensor. Shifts > 0 take any accumulator:
  // x << shift wraps as the reference's int32 product does.
  long checked = 0, bad = 0;
  for (int32_t shift = -31; shift <= 30; ++shift) {
    for (int32_t m : multipliers) {
      for (size_t i = 0; i < accumulators.size(); i += 8) {
        Lane lanes[8];
        for (int j = 0; j < 8; ++j) lanes[j] = {accumulators[(i + j) % accumulators.size()], m, shift};
        bad += Check(lanes, wide, false) + Check(lanes, wide, true);
        checked += 16;
      }
    }
    for (int round = 0; round < 10000; ++round) {
      Lane lanes[8];
      const int32_t m = (rng() % 64 == 0) ? 0 : int32_t((1u << 30) + (rng() % (1u << 30)));
      for (int j = 0; j < 8; ++j) lanes[j] = {int32_t(rng()) >> (rng() % 32), m, shift};
      bad += Check(lanes, wide, false) + Check(lanes, wide, true);
      checked += 16;
    }
  }
  Report("every shift in [-31, 30], boundary and random accumulators and multipliers", checked, bad);

  // Per-lane mixes of everything, with random offsets and clamps (the clamp bounds of int8 layers).
  checked = 0, bad = 0;
  for (int round = 0; round < 400000; ++round) {
    Lane lanes[8];
    for (int j = 0; j < 8; ++j) {
      const int32_t acc = (rng() % 4 == 0) ? accumulators[rng() % accumulators.size()] : int32_t(rng()) >> (rng() % 32);
      const int32_t m = (rng() % 16 == 0) ? multipliers[rng() % 7] : int32_t((1u << 30) + (rng() % (1u << 30)));
      lanes[j] = {acc, m, int32_t(rng() % 62) - 31};
    }
    const OutputRange c{int32_t(rng() % 256) - 128, -128 + int32_t(rng() % 3), 127 - int32_t(rng() % 3)};
    bad += Check(lanes, c, false);
    checked += 8;
  }
  Report("per-lane mixes of shifts, multipliers and accumulators, int8 offsets and clamps", checked, bad);

  // The same with right shifts only: the blocks that take the short form.
  checked = 0, bad = 0;
  for (int round = 0; round < 400000; ++round) {
    Lane lanes[8];
    for (int j = 0; j < 8; ++j) {
      const int32_t acc = (rng() % 4 == 0) ? accumulators[rng() % accumulators.size()] : int32_t(rng()) >> (rng() % 32);
      const int32_t m = (rng() % 16 == 0) ? multipliers[rng() % 7] : int32_t((1u << 30) + (rng() % (1u << 30)));
      lanes[j] = {acc, m, -1 - int32_t(rng() % 31)};
    }
    const OutputRange c{int32_t(rng() % 256) - 128, -128 + int32_t(rng() % 3), 127 - int32_t(rng() % 3)};
    bad += Check(lanes, c, false);
    checked += 8;
  }
  Report("per-lane mixes of right shifts, multipliers and accumulators, int8 offsets and clamps", checked, bad);
  return failures ? 1 : 0;
}
