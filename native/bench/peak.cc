// int8 MAC ceiling loops. Each loop keeps 8 independent accumulators so that the only limit is the
// throughput of the SIMD multiply ports, not the latency of one dependency chain, and touches no
// memory. The x86 bodies are inline assembly (all accumulators stay in registers, nothing can be
// hoisted); the arm64 bodies are intrinsics with an empty asm statement before every step that marks
// an operand as changed (it emits no instruction), so the compiler can neither hoist the
// loop-invariant products nor merge the identical products of different accumulators. Per-function
// target attributes compile each loop without global flags; the CPU is checked at run time first.
#include "bench/peak.h"

#include <chrono>
#include <cstdint>
#include <string>

#if defined(__x86_64__)
#include <immintrin.h>
#endif
#if defined(__aarch64__)
#include <arm_neon.h>
#if defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif
#endif

namespace cleave {
namespace {

using Clock = std::chrono::steady_clock;

#if defined(__x86_64__)

constexpr int kAccumulators = 8;
// Per iteration and accumulator: vpmaddubsw (32 u8*s8 products summed in pairs to int16), vpmaddwd
// with ones (pairs of int16 to int32), vpaddd into the accumulator: 32 MACs.
constexpr uint64_t kMacsPerIteration = 32ull * kAccumulators;

// The loop body is written in assembly so that the compiler keeps all 8 accumulators in registers
// (15 of the 16 ymm registers: 8 accumulators, 3 operands, 4 rotating temporaries).
#define CLEAVE_PEAK_STEP(acc, tmp)                    \
  "vpmaddubsw %[b], %[a], %[" tmp "]\n\t"            \
  "vpmaddwd %[ones], %[" tmp "], %[" tmp "]\n\t"     \
  "vpaddd %[" tmp "], %[" acc "], %[" acc "]\n\t"

__attribute__((target("avx2"))) __attribute__((noinline)) int32_t PeakLoop(uint64_t iterations) {
  if (iterations == 0) return 0;
  const __m256i a = _mm256_set1_epi8(3);    // unsigned operand
  const __m256i b = _mm256_set1_epi8(-5);   // signed operand
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  __m256i t0, t1, t2, t3;
  asm volatile(
      "1:\n\t"
      CLEAVE_PEAK_STEP("c0", "t0") CLEAVE_PEAK_STEP("c1", "t1")
      CLEAVE_PEAK_STEP("c2", "t2") CLEAVE_PEAK_STEP("c3", "t3")
      CLEAVE_PEAK_STEP("c4", "t0") CLEAVE_PEAK_STEP("c5", "t1")
      CLEAVE_PEAK_STEP("c6", "t2") CLEAVE_PEAK_STEP("c7", "t3")
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      : [n] "+r"(iterations), [c0] "+x"(c0), [c1] "+x"(c1), [c2] "+x"(c2), [c3] "+x"(c3),
        [c4] "+x"(c4), [c5] "+x"(c5), [c6] "+x"(c6), [c7] "+x"(c7),
        [t0] "=&x"(t0), [t1] "=&x"(t1), [t2] "=&x"(t2), [t3] "=&x"(t3)
      : [a] "x"(a), [b] "x"(b), [ones] "x"(ones)
      : "cc");
  __m256i sum = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(c0, c1), _mm256_add_epi32(c2, c3)),
                                 _mm256_add_epi32(_mm256_add_epi32(c4, c5), _mm256_add_epi32(c6, c7)));
  return _mm256_extract_epi32(sum, 0);
}
#undef CLEAVE_PEAK_STEP

// For comparison only: AVX-512 VNNI (`vpdpbusd`, u8*s8 summed in fours straight into int32 lanes):
// 64 MACs per instruction. cleave's kernels do not use it, but peers (onnxruntime's MLAS) do on CPUs
// that have it, so the benchmark reports this ceiling beside the AVX2 one.
constexpr uint64_t kMacsPerIterationVnni = 64ull * kAccumulators;

#define CLEAVE_VNNI_STEP(acc) "vpdpbusd %[b], %[a], %[" acc "]\n\t"

__attribute__((target("avx512f,avx512vnni"))) __attribute__((noinline)) int32_t PeakLoopVnni(uint64_t iterations) {
  if (iterations == 0) return 0;
  const __m512i a = _mm512_set1_epi8(3);
  const __m512i b = _mm512_set1_epi8(-5);
  __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  asm volatile(
      "1:\n\t"
      CLEAVE_VNNI_STEP("c0") CLEAVE_VNNI_STEP("c1") CLEAVE_VNNI_STEP("c2") CLEAVE_VNNI_STEP("c3")
      CLEAVE_VNNI_STEP("c4") CLEAVE_VNNI_STEP("c5") CLEAVE_VNNI_STEP("c6") CLEAVE_VNNI_STEP("c7")
      "dec %[n]\n\t"
      "jnz 1b\n\t"
      : [n] "+r"(iterations), [c0] "+v"(c0), [c1] "+v"(c1), [c2] "+v"(c2), [c3] "+v"(c3),
        [c4] "+v"(c4), [c5] "+v"(c5), [c6] "+v"(c6), [c7] "+v"(c7)
      : [a] "v"(a), [b] "v"(b)
      : "cc");
  const __m512i sum = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3)),
                                       _mm512_add_epi32(_mm512_add_epi32(c4, c5), _mm512_add_epi32(c6, c7)));
  alignas(64) int32_t lanes[16];
  _mm512_store_si512(lanes, sum);
  return lanes[0];
}
#undef CLEAVE_VNNI_STEP

bool HasAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}
bool HasVnni() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni");
}

#elif defined(__aarch64__)

constexpr int kAccumulators = 8;

#if defined(__clang__)
#define CLEAVE_DOTPROD_TARGET __attribute__((target("dotprod")))
#else
#define CLEAVE_DOTPROD_TARGET __attribute__((target("arch=armv8.2-a+dotprod")))
#endif

bool HasDotprod() {
#if defined(__linux__) && defined(HWCAP_ASIMDDP)
  return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#else
  return false;
#endif
}

// sdot: 16 s8*s8 products summed in fours into 4 int32 lanes: 16 MACs per accumulator.
constexpr uint64_t kMacsPerIterationDot = 16ull * kAccumulators;

CLEAVE_DOTPROD_TARGET __attribute__((noinline)) int32_t PeakLoopDot(uint64_t iterations) {
  int8x16_t a = vdupq_n_s8(3);
  int8x16_t b = vdupq_n_s8(-5);
  int32x4_t acc[kAccumulators];
  for (int i = 0; i < kAccumulators; ++i) acc[i] = vdupq_n_s32(0);
  for (uint64_t n = 0; n < iterations; ++n) {
#pragma GCC unroll 8
    for (int i = 0; i < kAccumulators; ++i) {
      asm volatile("" : "+w"(a));
      acc[i] = vdotq_s32(acc[i], a, b);
    }
  }
  int32x4_t sum = acc[0];
  for (int i = 1; i < kAccumulators; ++i) sum = vaddq_s32(sum, acc[i]);
  return vgetq_lane_s32(sum, 0);
}

// Without dotprod: smull + smlal2 (16 s8*s8 products widened to int16), sadalp (pairs into int32
// lanes): 16 MACs per accumulator, the classic ARMv8.0 int8 GEMM inner step.
constexpr uint64_t kMacsPerIterationMlal = 16ull * kAccumulators;

__attribute__((noinline)) int32_t PeakLoopMlal(uint64_t iterations) {
  int8x16_t a = vdupq_n_s8(3);
  int8x16_t b = vdupq_n_s8(-5);
  int32x4_t acc[kAccumulators];
  for (int i = 0; i < kAccumulators; ++i) acc[i] = vdupq_n_s32(0);
  for (uint64_t n = 0; n < iterations; ++n) {
#pragma GCC unroll 8
    for (int i = 0; i < kAccumulators; ++i) {
      asm volatile("" : "+w"(a));
      int16x8_t p = vmull_s8(vget_low_s8(a), vget_low_s8(b));
      p = vmlal_high_s8(p, a, b);
      acc[i] = vpadalq_s16(acc[i], p);
    }
  }
  int32x4_t sum = acc[0];
  for (int i = 1; i < kAccumulators; ++i) sum = vaddq_s32(sum, acc[i]);
  return vgetq_lane_s32(sum, 0);
}

#endif

// Runs loop `name` for `iterations` and returns the MACs it did (0 when this CPU lacks the loop).
uint64_t RunLoop(const std::string& name, uint64_t iterations, int32_t* sink) {
#if defined(__x86_64__)
  if (name == "avx2-vpmaddubsw" && HasAvx2()) {
    *sink += PeakLoop(iterations);
    return iterations * kMacsPerIteration;
  }
  if (name == "avx512-vpdpbusd" && HasVnni()) {
    *sink += PeakLoopVnni(iterations);
    return iterations * kMacsPerIterationVnni;
  }
#elif defined(__aarch64__)
  if (name == "neon-sdot" && HasDotprod()) {
    *sink += PeakLoopDot(iterations);
    return iterations * kMacsPerIterationDot;
  }
  if (name == "neon-smlal") {
    *sink += PeakLoopMlal(iterations);
    return iterations * kMacsPerIterationMlal;
  }
#endif
  (void)name;
  (void)iterations;
  (void)sink;
  return 0;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

const char* PeakLoopName() {
#if defined(__x86_64__)
  return HasAvx2() ? "avx2-vpmaddubsw" : "none";
#elif defined(__aarch64__)
  return HasDotprod() ? "neon-sdot" : "neon-smlal";
#else
  return "none";
#endif
}

bool IsPeakLoop(const std::string& name) {
  return name == "avx2-vpmaddubsw" || name == "avx512-vpdpbusd" || name == "neon-sdot" || name == "neon-smlal";
}

double MeasurePeakMacsPerSecond(double milliseconds, const std::string& loop) {
  const std::string name = loop.empty() ? PeakLoopName() : loop;
  int32_t sink = 0;
  if (RunLoop(name, 1, &sink) == 0) return 0;
  if (!(milliseconds > 0)) milliseconds = 200;
  // Calibrate a window of about 5 ms (also warms the core up to its boost clock).
  uint64_t iterations = 1000;
  for (;;) {
    const auto t0 = Clock::now();
    RunLoop(name, iterations, &sink);
    const double s = Seconds(Clock::now() - t0);
    if (s >= 0.002 || iterations > (1ull << 40)) {
      iterations = static_cast<uint64_t>(static_cast<double>(iterations) * 0.005 / (s > 0 ? s : 1e-9)) + 1;
      break;
    }
    iterations *= 4;
  }
  // Best window: other processes sharing the core only ever make a window slower.
  double best = 0;
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(milliseconds));
  do {
    const auto t0 = Clock::now();
    const uint64_t macs = RunLoop(name, iterations, &sink);
    const double s = Seconds(Clock::now() - t0);
    if (s > 0 && macs / s > best) best = macs / s;
  } while (Clock::now() < end);
  // Keep the accumulated value observable so no loop is optimized away.
  volatile int32_t keep = sink;
  (void)keep;
  return best;
}

}  // namespace cleave

namespace {

Napi::Value MeasurePeakGmacJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double ms = 200;
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsNumber()) {
      Napi::TypeError::New(env, "measurePeakGmac: milliseconds must be a number").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    ms = info[0].As<Napi::Number>().DoubleValue();
    if (!(ms > 0 && ms <= 60000)) {
      Napi::RangeError::New(env, "measurePeakGmac: milliseconds must be in (0, 60000]").ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  std::string loop;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    if (!info[1].IsString() || !cleave::IsPeakLoop(info[1].As<Napi::String>().Utf8Value())) {
      Napi::TypeError::New(env, "measurePeakGmac: loop must be one of avx2-vpmaddubsw, avx512-vpdpbusd, neon-sdot, neon-smlal")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    loop = info[1].As<Napi::String>().Utf8Value();
  }
  return Napi::Number::New(env, cleave::MeasurePeakMacsPerSecond(ms, loop) / 1e9);
}

}  // namespace

void RegisterPeak(Napi::Env env, Napi::Object exports) {
  exports.Set("measurePeakGmac", Napi::Function::New(env, MeasurePeakGmacJs, "measurePeakGmac"));
  exports.Set("peakLoop", Napi::String::New(env, cleave::PeakLoopName()));
}
