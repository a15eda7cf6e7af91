// A fixed pool of worker threads for intra-op parallelism. Work is split into tasks whose results
// land in disjoint output ranges, so any thread count gives the same bytes as one thread.
//
// One pool serves the whole process (ProcessThreadPool()): sessions share it instead of each
// starting its own threads, so several sessions never oversubscribe the cores. A caller that finds
// the pool busy with another caller's op runs its tasks on its own thread rather than waiting.
//
// Hand-off: within one inference ops come back to back, so a worker that finishes its share spins
// on its mailbox (with the CPU's pause instruction) for a short window before it parks on a
// condition variable. A job posted inside that window starts in well under a microsecond; an idle
// pool parks and burns no CPU. The caller takes tasks too and waits only for tasks a worker has
// taken: a worker the OS has not scheduled yet finds the job gone when it runs, and never delays it.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
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
  // once: only one caller at a time gets the workers, the others run their tasks inline. More than
  // kMaxTasks tasks run inline too (no split needs that many).
  // `wake_parked` false: a worker that has parked (idle, or preempted while spinning) is left
  // asleep and the others (the caller at least) run its share, for an op too small to win back
  // the wake-up; a spinning worker takes part either way.
  static constexpr int kMaxTasks = 0xffff;
  void Run(int tasks, const std::function<void(int task)>& fn, int max_threads, bool wake_parked = true);

 private:
  struct Worker;

  static void WorkerLoop(ThreadPool* pool, Worker* self);
  // Takes tasks of job `epoch` until none is left (or a later job replaced it).
  void TakeTasks(uint64_t epoch);

  std::vector<std::unique_ptr<Worker>> workers_;
  std::mutex owner_;  // held by the caller whose op the workers are running
  uint64_t epoch_ = 0;  // the owner's count of jobs: a job's post, and (low 32 bits) its claims
  // The job: `job_` is written before the job is published in `claim_` and stays until `done_`
  // counts every task. `claim_` packs (epoch << 32 | tasks << 16 | next task): one compare-and-swap
  // both checks that a claim is for the job it was meant for and takes the next task, so a late
  // worker never runs a task of a job it was not posted to, nor reads a job that has ended.
  const std::function<void(int)>* job_ = nullptr;
  alignas(64) std::atomic<uint64_t> claim_{0};
  alignas(64) std::atomic<int> done_{0};
  // The owner sleeps on all_done_ when workers' tasks outlast its spin; the worker that finishes
  // the last task wakes it.
  std::atomic<bool> owner_sleeping_{false};
  std::mutex done_mutex_;
  std::condition_variable all_done_;
};

// The process-wide pool: as many threads as the machine has cores (at least 2, so the threaded
// paths exist everywhere), started on first use.
ThreadPool& ProcessThreadPool();

}  // namespace cleave
