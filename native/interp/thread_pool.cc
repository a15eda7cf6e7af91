#include "interp/thread_pool.h"

#include <chrono>
#include <limits>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace cleave {

namespace {

// How long a worker that finished its share keeps watching its mailbox before it parks. Ops of one
// inference follow each other within tens of microseconds (the single-threaded ops between two
// split ones included), and parking then waking costs a futex round trip (5-50 µs, far more under
// load); past this window the session is idle between inferences and the worker sleeps.
constexpr std::chrono::microseconds kSpinWindow{200};
// Pauses between two reads of the clock while spinning (a clock read costs about 20 ns).
constexpr int kPausesPerClockRead = 64;
// Two clock reads of a spin this far apart (they are a few µs apart when the worker keeps its core)
// mean the OS took the core away: the machine has more runnable threads than cores. A spinning
// worker then rarely holds a core when work comes, while a parked one that is woken gets one
// promptly (schedulers favour threads that slept), so it parks at once.
constexpr std::chrono::microseconds kPreempted{50};
// The owner's wait for tasks a worker is still running: it spins this long, then sleeps until the
// last task is done. A worker that keeps its core finishes within one task, a few µs to tens of
// µs; one the OS has descheduled may need this very core to finish, and an owner that kept
// spinning (or yielding, which schedulers do not count as giving up the core) would hold it for
// a whole time slice.
constexpr std::chrono::microseconds kOwnerSpin{50};
// A worker's mailbox value that tells it to exit.
constexpr uint64_t kStop = std::numeric_limits<uint64_t>::max();

// Tells the core this is a spin-wait: on x86 it stops the loop from flooding the pipeline (and
// gives a sibling hyperthread the core); on arm64 `isb` stalls briefly, where `yield` is a no-op on
// most cores.
inline void CpuPause() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("isb" ::: "memory");
#endif
}

constexpr uint64_t PackClaim(uint64_t epoch, int tasks, int next) {
  return (epoch << 32) | (uint64_t(tasks) << 16) | uint64_t(next);
}
constexpr uint32_t ClaimEpoch(uint64_t claim) { return uint32_t(claim >> 32); }
constexpr int ClaimTasks(uint64_t claim) { return int((claim >> 16) & 0xffff); }
constexpr int ClaimNext(uint64_t claim) { return int(claim & 0xffff); }

}  // namespace

struct alignas(64) ThreadPool::Worker {
  // The epoch of the last job posted to this worker (kStop: exit). Only the owner writes it.
  std::atomic<uint64_t> post{0};
  // Set while the worker sleeps (or is about to) on `wake`: the owner then has to notify it.
  std::atomic<bool> parked{false};
  std::mutex mutex;
  std::condition_variable wake;
  std::thread thread;
};

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back(new Worker);
  for (auto& w : workers_) w->thread = std::thread(WorkerLoop, this, w.get());
}

ThreadPool::~ThreadPool() {
  for (auto& w : workers_) {
    w->post.store(kStop);
    std::lock_guard<std::mutex> lock(w->mutex);
    w->wake.notify_one();
  }
  for (auto& w : workers_) w->thread.join();
}

void ThreadPool::TakeTasks(uint64_t epoch) {
  uint64_t claim = claim_.load(std::memory_order_acquire);
  while (ClaimEpoch(claim) == uint32_t(epoch) && ClaimNext(claim) < ClaimTasks(claim)) {
    if (!claim_.compare_exchange_weak(claim, claim + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    // Task ClaimNext(claim) of this job is ours: the job stays in place until done_ counts it.
    (*job_)(ClaimNext(claim));
    // seq_cst, against the owner's store of owner_sleeping_ then load of done_ (see Run).
    if (done_.fetch_add(1) + 1 == ClaimTasks(claim) && owner_sleeping_.load()) {
      std::lock_guard<std::mutex> lock(done_mutex_);
      all_done_.notify_one();
    }
    claim = claim_.load(std::memory_order_acquire);
  }
}

void ThreadPool::Run(int tasks, const std::function<void(int)>& fn, int max_threads, bool wake_parked) {
  std::unique_lock<std::mutex> owner(owner_, std::defer_lock);
  if (workers_.empty() || tasks <= 1 || tasks > kMaxTasks || max_threads <= 1 || !owner.try_lock()) {
    for (int t = 0; t < tasks; ++t) fn(t);
    return;
  }
  const uint64_t epoch = ++epoch_;
  job_ = &fn;
  done_.store(0, std::memory_order_relaxed);
  claim_.store(PackClaim(epoch, tasks, 0), std::memory_order_release);
  int helpers = max_threads - 1;
  if (helpers > tasks - 1) helpers = tasks - 1;
  if (helpers > static_cast<int>(workers_.size())) helpers = static_cast<int>(workers_.size());
  for (int i = 0; i < helpers; ++i) {
    Worker& w = *workers_[i];
    if (!wake_parked && w.parked.load(std::memory_order_relaxed)) continue;
    // seq_cst store then seq_cst load, against the worker's store of `parked` then load of `post`:
    // one of the two sides sees the other's write, so a post is never slept through.
    w.post.store(epoch);
    if (w.parked.load()) {
      std::lock_guard<std::mutex> lock(w.mutex);
      w.wake.notify_one();
    }
  }
  TakeTasks(epoch);
  // Every task is taken; wait for those workers are still running.
  using Clock = std::chrono::steady_clock;
  const Clock::time_point until = Clock::now() + kOwnerSpin;
  for (int spins = 0; done_.load(std::memory_order_acquire) != tasks; ++spins) {
    CpuPause();
    if (spins % kPausesPerClockRead == 0 && Clock::now() >= until) {
      std::unique_lock<std::mutex> lock(done_mutex_);
      owner_sleeping_.store(true);
      all_done_.wait(lock, [&] { return done_.load() == tasks; });
      owner_sleeping_.store(false, std::memory_order_relaxed);
      break;
    }
  }
  job_ = nullptr;
}

void ThreadPool::WorkerLoop(ThreadPool* pool, Worker* self) {
  using Clock = std::chrono::steady_clock;
  uint64_t seen = 0;
  for (;;) {
    // Spin for the window, then park until the owner posts.
    uint64_t post = self->post.load(std::memory_order_acquire);
    Clock::time_point now = Clock::now();
    const Clock::time_point until = now + kSpinWindow;
    while (post == seen) {
      for (int i = 0; i < kPausesPerClockRead && post == seen; ++i) {
        CpuPause();
        post = self->post.load(std::memory_order_acquire);
      }
      if (post != seen) break;
      const Clock::time_point last = now;
      now = Clock::now();
      if (now >= until || now - last > kPreempted) break;
    }
    if (post == seen) {
      std::unique_lock<std::mutex> lock(self->mutex);
      self->parked.store(true);
      self->wake.wait(lock, [&] { return (post = self->post.load()) != seen; });
      self->parked.store(false, std::memory_order_relaxed);
    }
    if (post == kStop) return;
    seen = post;
    pool->TakeTasks(post);
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
