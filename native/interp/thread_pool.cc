#include "interp/thread_pool.h"

namespace cleave {

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::Run(int tasks, const std::function<void(int)>& fn, int max_threads) {
  std::unique_lock<std::mutex> owner(owner_, std::defer_lock);
  if (workers_.empty() || tasks <= 1 || max_threads <= 1 || !owner.try_lock()) {
    for (int t = 0; t < tasks; ++t) fn(t);
    return;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  job_ = &fn;
  next_task_ = 0;
  tasks_ = tasks;
  pending_ = tasks;
  helpers_allowed_ = max_threads - 1;
  helpers_joined_ = 0;
  ++generation_;
  if (helpers_allowed_ >= static_cast<int>(workers_.size())) {
    work_ready_.notify_all();
  } else {
    for (int i = 0; i < helpers_allowed_; ++i) work_ready_.notify_one();
  }
  // The calling thread takes tasks too instead of waiting idle.
  while (next_task_ < tasks_) {
    const int task = next_task_++;
    lock.unlock();
    fn(task);
    lock.lock();
    --pending_;
  }
  work_done_.wait(lock, [this] { return pending_ == 0; });
  job_ = nullptr;
}

void ThreadPool::WorkerLoop() {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    work_ready_.wait(lock, [&] {
      return stopping_ || (generation_ != seen && next_task_ < tasks_ && helpers_joined_ < helpers_allowed_);
    });
    if (stopping_) return;
    seen = generation_;
    ++helpers_joined_;
    while (job_ && next_task_ < tasks_) {
      const int task = next_task_++;
      const std::function<void(int)>* job = job_;
      lock.unlock();
      (*job)(task);
      lock.lock();
      if (--pending_ == 0) work_done_.notify_all();
    }
  }
}

ThreadPool& ProcessThreadPool() {
  // Never destroyed: workers may still be parked when the process exits.
  static ThreadPool* pool = [] {
    const unsigned cores = std::thread::hardware_concurrency();
    return new ThreadPool(cores > 2 ? static_cast<int>(cores) : 2);
  }();
  return *pool;
}

}  // namespace cleave
