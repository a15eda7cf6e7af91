// The fast path of the interpreter: ops an optimized kernel set accelerates (CONV_2D as a matrix
// product, DEPTHWISE_CONV_2D, FULLY_CONNECTED, same-shape int8 ADD), with weights packed once at load
// and work split over a thread pool. Every other op, and every op when no set applies, runs the
// reference kernels. Host-only (allocates at load); firmware runs the reference interpreter.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "interp/interpreter.h"
#include "interp/program.h"
#include "interp/thread_pool.h"
#include "kernels/optimized.h"

namespace cleave {

class OptimizedOps final : public OpAccelerator {
 public:
  // Packs weights as `interpreter` presents them (int4 weights already unpacked). An op uses at
  // most `threads` threads of `pool` (the calling thread included). Run() is reentrant: contexts
  // sharing these packed weights may call it at the same time from different threads.
  OptimizedOps(const Program& program, const Interpreter& interpreter, const kernels::OptimizedKernels* kernels,
               ThreadPool* pool, int threads);
  ~OptimizedOps();

  const char* Run(uint32_t op_index, Interpreter& interpreter) override;
  const char* name() const { return kernels_->name; }
  // Bytes of packed weights, for reporting what contexts share.
  size_t packed_bytes() const { return packed_bytes_; }

 private:
  enum class Kind { kReference, kGemmConv, kDepthwise, kFullyConnected, kAdd };
  // Output channels [begin, begin + count) of a fully connected layer, packed as a product alone.
  struct ChannelBlock {
    int32_t begin, count;
    void* packed;
  };
  struct Prepared {
    Kind kind = Kind::kReference;
    void* packed = nullptr;
    // A fully connected layer's packed weights: one block of every channel, or one per task where
    // the layer is split by output channels.
    std::vector<ChannelBlock> channel_blocks;
    // Small ops run on the calling thread: waking workers costs more than they would save.
    bool parallel = false;
    // Modelled one-thread cost: multiply-accumulates plus the output stage (optimized_ops.cc).
    int64_t work = 0;
    // A convolution (kGemmConv) the set's direct convolution runs, without im2col rows.
    bool direct_conv = false;
    // What runs the op, as the OpObserver reports it: "<set>:<implementation>", e.g.
    // "avx2:im2col+gemm-u8s8".
    std::string kernel;
  };

  // Runs fn(task) for every task, on the pool when the op is worth it.
  void RunTasks(const Prepared& prepared, int tasks, const std::function<void(int)>& fn);

  void RunConv(const OpView& op, const Prepared& prepared, Interpreter& interpreter);
  void RunDepthwise(const OpView& op, const Prepared& prepared, Interpreter& interpreter);
  void RunFullyConnected(const OpView& op, const Prepared& prepared, Interpreter& interpreter);
  void RunAdd(const OpView& op, Interpreter& interpreter);

  const Program& program_;
  const kernels::OptimizedKernels* kernels_;
  ThreadPool* pool_;
  int threads_;
  size_t packed_bytes_ = 0;
  std::vector<Prepared> ops_;
};

}  // namespace cleave
