#include "host/context_worker.h"

#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CLEAVE_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CLEAVE_CPU_RELAX() asm volatile("yield")
#else
#define CLEAVE_CPU_RELAX() ((void)0)
#endif

namespace cleave {

namespace {

// How long the worker watches for the next job before sleeping: longer than the JS side needs to
// settle a promise and submit the next request, short enough that an idle session costs nothing.
constexpr std::chrono::microseconds kSpin{50};

}  // namespace

ContextWorker::ContextWorker(ExecutionContext* context, CompletionSink* sink)
    : context_(context), sink_(sink), thread_([this] { Loop(); }) {}

ContextWorker::~ContextWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_one();
  thread_.join();
}

void ContextWorker::Submit(std::unique_ptr<ContextJob> job) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(job));
    queued_.store(queue_.size(), std::memory_order_release);
    wake = sleeping_;
  }
  if (wake) ready_.notify_one();
}

std::unique_ptr<ContextJob> ContextWorker::Next() {
  const auto spin_until = std::chrono::steady_clock::now() + kSpin;
  while (queued_.load(std::memory_order_acquire) == 0 && std::chrono::steady_clock::now() < spin_until) CLEAVE_CPU_RELAX();
  std::unique_lock<std::mutex> lock(mutex_);
  sleeping_ = true;
  ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
  sleeping_ = false;
  if (queue_.empty()) return nullptr;  // stopping, nothing left
  std::unique_ptr<ContextJob> job = std::move(queue_.front());
  queue_.pop_front();
  queued_.store(queue_.size(), std::memory_order_release);
  return job;
}

void ContextWorker::Loop() {
  while (std::unique_ptr<ContextJob> job = Next()) {
    job->Execute(*context_);
    sink_->Completed(std::move(job));
  }
}

}  // namespace cleave
