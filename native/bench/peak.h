// The machine's int8 multiply-accumulate ceiling, measured with a small register-only loop (no
// memory traffic) that keeps the SIMD multiply ports busy: the figure `npm run bench` reports every
// kernel against (docs/benchmarks.md). Glue for the benchmark only; nothing in the runtime uses it.
#pragma once
#include <napi.h>

#include <string>

namespace cleave {

// Best int8 MAC rate of one core, in MACs per second, over `milliseconds` of measurement (split into
// windows of about 5 ms; the best window counts). `loop` names the loop ("" = PeakLoopName()):
// "avx2-vpmaddubsw", "avx512-vpdpbusd" (for comparison with peers), "neon-sdot", "neon-smlal".
// Returns 0 when this CPU lacks the loop.
double MeasurePeakMacsPerSecond(double milliseconds, const std::string& loop = "");

// The loop of the kernels cleave picks on this CPU: "avx2-vpmaddubsw", "neon-sdot", "neon-smlal"
// or "none".
const char* PeakLoopName();

bool IsPeakLoop(const std::string& name);

}  // namespace cleave

// Adds measurePeakGmac(milliseconds: number, loop?: string) -> number (GMAC/s of one core) and
// peakLoop: string to `exports`.
void RegisterPeak(Napi::Env env, Napi::Object exports);
