// The cost of handing an op's tasks to the thread pool and getting them back: what splitting a
// layer across threads has to win back before it gains anything. Glue for the benchmark only.
#pragma once
#include <napi.h>

// Adds measurePoolHandoff(threads, calls, idleMicros, taskMicros) to `exports` (see bench/native.ts).
void RegisterPoolHandoff(Napi::Env env, Napi::Object exports);
