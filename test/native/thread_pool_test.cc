// Cases for native/interp/thread_pool.cc, built by test/native/thread-pool.test.ts (plain, and
// under ThreadSanitizer). Prints `ok N - name` / `not ok N - name`; exit status 1 when any failed.
// Every check is a behavioural fact (who ran what, how much CPU an idle pool burns against a bound
// far from both outcomes), never a wall-time race.
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "interp/thread_pool.h"

namespace {

int failures = 0, number = 0;

void Report(bool ok, const char* name, const char* detail = "") {
  ++number;
  std::printf("%s %d - %s%s%s\n", ok ? "ok" : "not ok", number, name, detail[0] ? ": " : "", detail);
  if (!ok) ++failures;
}

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

// Runs `runs` parallel-fors of varying task counts and thread limits; true when every task of
// every run ran exactly once.
bool EveryTaskOnce(cleave::ThreadPool& pool, int runs, int seed) {
  bool ok = true;
  for (int r = 0; r < runs; ++r) {
    const int tasks = (r * 7 + seed) % 41;
    std::vector<std::atomic<int>> count(size_t(tasks) + 1);
    pool.Run(tasks, [&](int task) { count[size_t(task)].fetch_add(1, std::memory_order_relaxed); }, 1 + (r + seed) % 4);
    for (int t = 0; t < tasks; ++t) ok = ok && count[size_t(t)].load() == 1;
  }
  return ok;
}

}  // namespace

int main() {
  {
    cleave::ThreadPool pool(3);
    Report(EveryTaskOnce(pool, 3000, 0), "every task runs exactly once, 0-40 tasks, 1-4 threads, 3000 runs back to back");
  }
  {
    // Idle gaps long enough for the workers to park between runs: each run wakes them.
    cleave::ThreadPool pool(3);
    bool ok = true;
    for (int r = 0; r < 20 && ok; ++r) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      ok = EveryTaskOnce(pool, 1, r);
    }
    Report(ok, "every task runs exactly once when each run wakes parked workers");
  }
  {
    // Two callers at once: one gets the workers, the other runs inline; neither loses a task.
    cleave::ThreadPool pool(3);
    std::atomic<bool> a{false}, b{false};
    std::thread other([&] { a = EveryTaskOnce(pool, 2000, 1); });
    b = EveryTaskOnce(pool, 2000, 2);
    other.join();
    Report(a && b, "two callers sharing the pool each get every task run exactly once");
  }
  {
    // Task 0 waits for task 1 to start (up to 10 s): only a worker taking task 1 while the caller
    // holds task 0 (or the other way round) lets both start within the wait.
    cleave::ThreadPool pool(2);
    bool ok = true;
    for (int r = 0; r < 50 && ok; ++r) {
      std::atomic<int> started{0};
      std::mutex ids_mutex;
      std::set<std::thread::id> ids;
      pool.Run(2, [&](int) {
        {
          std::lock_guard<std::mutex> lock(ids_mutex);
          ids.insert(std::this_thread::get_id());
        }
        started.fetch_add(1);
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (started.load() < 2 && std::chrono::steady_clock::now() < until) std::this_thread::yield();
      }, 2);
      ok = ids.size() == 2;
    }
    Report(ok, "a worker takes a task while the caller runs another (50 runs)");
  }
  {
    cleave::ThreadPool pool(4);
    std::mutex ids_mutex;
    std::set<std::thread::id> ids;
    for (int r = 0; r < 500; ++r) {
      pool.Run(8, [&](int) {
        std::lock_guard<std::mutex> lock(ids_mutex);
        ids.insert(std::this_thread::get_id());
      }, 2);
    }
    char detail[64];
    std::snprintf(detail, sizeof detail, "%zu threads ran tasks", ids.size());
    Report(ids.size() <= 2, "a run limited to 2 threads runs on at most 2 threads of a 4-thread pool", detail);
  }
  {
    // Workers parked (past the spin window): a run told not to wake them runs on the caller alone.
    cleave::ThreadPool pool(3);
    EveryTaskOnce(pool, 10, 6);
    bool ok = true;
    for (int r = 0; r < 5 && ok; ++r) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const std::thread::id caller = std::this_thread::get_id();
      std::atomic<int> elsewhere{0}, ran{0};
      pool.Run(16, [&](int) {
        ran.fetch_add(1);
        if (std::this_thread::get_id() != caller) elsewhere.fetch_add(1);
      }, 3, /*wake_parked=*/false);
      ok = ran.load() == 16 && elsewhere.load() == 0;
    }
    Report(ok, "a run that does not wake parked workers runs every task on the caller");
  }
  {
    // A pool whose workers spin forever would burn ~1 s of CPU per worker here; a parked one ~0.
    cleave::ThreadPool pool(3);
    EveryTaskOnce(pool, 200, 3);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // past the spin window
    const double before = ProcessCpuSeconds();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const double used = ProcessCpuSeconds() - before;
    char detail[64];
    std::snprintf(detail, sizeof detail, "%.3f s of CPU", used);
    Report(used < 0.25, "an idle pool of 3 threads uses under 0.25 s of CPU in 1 s", detail);
  }
  {
    // Destroyed while its workers spin, and while they are parked: both return (a hang is caught
    // by the test harness's timeout).
    { cleave::ThreadPool pool(4); EveryTaskOnce(pool, 10, 4); }
    {
      cleave::ThreadPool pool(4);
      EveryTaskOnce(pool, 10, 5);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    { cleave::ThreadPool pool(4); }
    Report(true, "a pool is destroyed with spinning, parked and never-used workers");
  }
  return failures == 0 ? 0 : 1;
}
