// A parallel-for on a ThreadPool of its own (the same code as the runtime's process pool): `threads`
// tasks that each busy-wait `taskMicros` (0: empty tasks). With equal tasks, the call's time beyond
// one task's is the hand-off: what the pool adds when every thread does its share. Empty tasks alone
// would not show it, as the caller takes every task before a worker that is slow to start can.
// With no idle time between calls the workers are still spinning when the next call comes, as op
// follows op within one inference; with idle time they have parked and each call pays the wake-up.
#include "bench/pool_handoff.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "interp/thread_pool.h"

namespace {

using Clock = std::chrono::steady_clock;

Napi::Value MeasurePoolHandoffJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto integer = [&](size_t i, const char* name, double lo, double hi) -> double {
    if (info.Length() <= i || !info[i].IsNumber()) {
      Napi::TypeError::New(env, std::string("measurePoolHandoff: ") + name + " must be a number").ThrowAsJavaScriptException();
      return -1;
    }
    const double v = info[i].As<Napi::Number>().DoubleValue();
    if (!(v >= lo && v <= hi) || v != static_cast<int64_t>(v)) {
      Napi::RangeError::New(env, std::string("measurePoolHandoff: ") + name + " must be an integer in [" + std::to_string(int64_t(lo)) +
                                     ", " + std::to_string(int64_t(hi)) + "]")
          .ThrowAsJavaScriptException();
      return -1;
    }
    return v;
  };
  const double threads = integer(0, "threads", 2, 256);
  if (threads < 0) return env.Undefined();
  const double calls = integer(1, "calls", 1, 1000000);
  if (calls < 0) return env.Undefined();
  const double idle = integer(2, "idleMicros", 0, 100000);
  if (idle < 0) return env.Undefined();
  const double task_micros = integer(3, "taskMicros", 0, 10000);
  if (task_micros < 0) return env.Undefined();
  const std::chrono::duration<double, std::micro> task_time(task_micros);

  cleave::ThreadPool pool(static_cast<int>(threads));
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<int64_t> on_workers{0};
  const std::function<void(int)> task = [&](int) {
    if (std::this_thread::get_id() != caller) on_workers.fetch_add(1, std::memory_order_relaxed);
    if (task_micros > 0) {
      const Clock::time_point end = Clock::now() + std::chrono::duration_cast<Clock::duration>(task_time);
      while (Clock::now() < end) {
      }
    }
  };
  // Warm-up: threads started, caches and branch predictors settled.
  for (int i = 0; i < 1000; ++i) pool.Run(static_cast<int>(threads), task, static_cast<int>(threads));
  on_workers.store(0);
  Napi::Float64Array micros = Napi::Float64Array::New(env, static_cast<size_t>(calls));
  for (size_t i = 0; i < micros.ElementLength(); ++i) {
    if (idle > 0) std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(idle)));
    const Clock::time_point t0 = Clock::now();
    pool.Run(static_cast<int>(threads), task, static_cast<int>(threads));
    micros[i] = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("micros", micros);
  result.Set("tasksOnWorkers", Napi::Number::New(env, static_cast<double>(on_workers.load())));
  result.Set("tasks", Napi::Number::New(env, calls * threads));
  return result;
}

}  // namespace

void RegisterPoolHandoff(Napi::Env env, Napi::Object exports) {
  exports.Set("measurePoolHandoff", Napi::Function::New(env, MeasurePoolHandoffJs, "measurePoolHandoff"));
}
