// The one thread that runs an execution context's requests, in the order they were submitted.
// A persistent thread with a hand-off queue instead of a thread-pool task per request: after a
// request it spins briefly for the next one (a caller awaiting results in a loop submits again
// within microseconds), then sleeps on a condition variable. Finished jobs go to a CompletionSink,
// which the N-API glue drains on the JS thread. No V8 types here.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "host/execution_context.h"

namespace cleave {

// A request for a context: runs on the worker thread, touches no JS value.
class ContextJob {
 public:
  virtual ~ContextJob() = default;
  virtual void Execute(ExecutionContext& context) = 0;
};

// Receives each finished job, on the worker thread.
class CompletionSink {
 public:
  virtual ~CompletionSink() = default;
  virtual void Completed(std::unique_ptr<ContextJob> job) = 0;
};

class ContextWorker {
 public:
  // `context` and `sink` must outlive the worker.
  ContextWorker(ExecutionContext* context, CompletionSink* sink);
  // Finishes the jobs already submitted, then stops the thread.
  ~ContextWorker();
  ContextWorker(const ContextWorker&) = delete;
  ContextWorker& operator=(const ContextWorker&) = delete;

  void Submit(std::unique_ptr<ContextJob> job);

 private:
  void Loop();
  std::unique_ptr<ContextJob> Next();

  ExecutionContext* context_;
  CompletionSink* sink_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::unique_ptr<ContextJob>> queue_;
  std::atomic<size_t> queued_{0};  // queue_.size(), readable without the lock while spinning
  bool sleeping_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cleave
