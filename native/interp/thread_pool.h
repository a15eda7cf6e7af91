// A fixed pool of worker threads for intra-op parallelism. Work is split into tasks whose results
// land in disjoint output ranges, so any thread count gives the same bytes as one thread.
//
// One pool serves the whole process (ProcessThreadPool()): sessions share it instead of each
// starting its own threads, so several sessions never oversubscribe the cores. A caller that finds
// the pool busy with another caller's op runs its tasks on its own thread rather than waiting.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cleave {

class ThreadPool {
 public:
  // `threads` counts the calling thread: 1 means no workers, everything runs inline.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs fn(task) for task in [0, tasks) on at most `max_threads` threads (the calling thread and
  // up to max_threads - 1 workers); returns when all are done. Safe to call from several threads at
  // once: only one caller at a time gets the workers, the others run their tasks inline.
  void Run(int tasks, const std::function<void(int task)>& fn, int max_threads);

 private:
  void WorkerLoop();

  std::vector<std::thread> workers_;
  std::mutex owner_;  // held by the caller whose op the workers are running
  std::mutex mutex_;
  std::condition_variable work_ready_, work_done_;
  const std::function<void(int)>* job_ = nullptr;
  int next_task_ = 0, tasks_ = 0, pending_ = 0;
  int helpers_allowed_ = 0, helpers_joined_ = 0;
  uint64_t generation_ = 0;
  bool stopping_ = false;
};

// The process-wide pool: as many threads as the machine has cores (at least 2, so the threaded
// paths exist everywhere), started on first use.
ThreadPool& ProcessThreadPool();

}  // namespace cleave
