#include "interp/optimized_ops.h"

#include <cstdlib>
#include <cstring>

#include "interp/op_params.h"

namespace cleave {

namespace {

// Rows of the im2col matrix built per task: enough work to amortize a task, small enough to stay
// in cache.
constexpr int32_t kConvRowsPerTask = 64;
// Output rows of a depthwise convolution per task, on one thread.
constexpr int32_t kDepthwiseRowsPerTask = 4;

// Whether an op is worth splitting across threads (else it runs on the calling thread: the split
// would cost more than it saves). Its one-thread time, its work, is modelled as multiply-accumulates
// plus kMacsPerOutput per output value for the output stage (TFLite's exact requantization weighs
// as much as the arithmetic of a layer with few input channels), fitted to one-thread times measured
// on a 2-core x86: a 1x1 conv 8->16 on 48x48 (0.29M MACs, 37K outputs) takes 32 µs, a 1x1 conv
// 64->64 on 9x9 (0.33M MACs, 5K outputs) 7.3 µs, and a depthwise layer's outputs cost the same.
// Timed at 1 and 2 threads over a sweep of such layers (bench/thread-split.ts with this at 0), two
// threads won from about 4 µs of one-thread time, kMinParallelWork (the hand-off to a spinning
// worker is about 0.3 µs; docs/benchmarks.md, "Threads at small-model sizes").
constexpr int64_t kMacsPerOutput = 85;
constexpr int64_t kMinParallelWork = 400000;
// Work from which an op wakes a parked worker: the wake-up costs 13-14 µs (minimum, measured), so
// it pays from about 15 µs of one-thread work. A smaller split op is shared with workers still
// spinning only; on a machine whose cores are all busy, where workers park at once (see
// thread_pool.cc), it then costs nothing over one thread.
constexpr int64_t kMinWakeWork = 1600000;

int64_t Work(int64_t macs, int64_t outputs) { return macs + kMacsPerOutput * outputs; }

// Output channels of a fully connected layer split by channels come in multiples of this (the
// widest column tile of the kernel sets), so no block ends in a partial tile but the last.
constexpr int32_t kChannelTile = 16;
// Tasks per thread of a split op: more than one, so a thread the OS runs late leaves its share to
// the others instead of holding the op up.
constexpr int32_t kTasksPerThread = 2;

// Rows (or channels) per task: `most` on one thread; split, about kTasksPerThread tasks per thread,
// in whole blocks of `block` rows (the kernel's row tile), and never more than `most`.
int32_t RowsPerTask(int32_t rows, int threads, int32_t block, int32_t most) {
  if (threads <= 1) return most;
  const int32_t parts = threads * kTasksPerThread;
  int32_t per = (rows + parts - 1) / parts;
  per = (per + block - 1) / block * block;
  return per < most ? per : most;
}

int64_t Elements(const kernels::Shape& s) { return int64_t(s.dims[0]) * s.dims[1] * s.dims[2] * s.dims[3]; }

void* AlignedAlloc(size_t size, size_t* total) {
  const size_t rounded = (size + 63) / 64 * 64;
  *total += rounded;
  return std::aligned_alloc(64, rounded > 0 ? rounded : 64);
}

// A 1x1 stride-1 unpadded conv reads its input itself as the matrix; any other needs im2col rows.
bool ConvReadsInputDirectly(const kernels::ConvParams& c, const kernels::Shape& filter, const kernels::Shape& in,
                            const kernels::Shape& out) {
  return filter.dims[1] == 1 && filter.dims[2] == 1 && c.stride_h == 1 && c.stride_w == 1 && c.pad_top == 0 &&
         c.pad_left == 0 && out.dims[1] == in.dims[1] && out.dims[2] == in.dims[2];
}

std::string KernelName(const kernels::OptimizedKernels* set, const char* prefix, const char* variant, const char* fallback) {
  return std::string(set->name) + ":" + prefix + (variant ? variant : fallback);
}

}  // namespace

OptimizedOps::OptimizedOps(const Program& program, const Interpreter& interpreter, const kernels::OptimizedKernels* kernels,
                           ThreadPool* pool, int threads)
    : program_(program), kernels_(kernels), pool_(pool), threads_(threads), ops_(program.op_count()) {
  for (uint32_t i = 0; i < program.op_count(); ++i) {
    const OpView& op = program.op(i);
    const int32_t* p = op.params;
    Prepared& prepared = ops_[i];
    auto constant = [&](int32_t id) -> const int8_t* { return reinterpret_cast<const int8_t*>(interpreter.TensorData(id)); };
    auto array = [&](int32_t offset) { return reinterpret_cast<const int32_t*>(program.constant(static_cast<uint32_t>(offset))); };
    auto bias = [&](int32_t id) -> const int32_t* { return id < 0 ? nullptr : reinterpret_cast<const int32_t*>(program.constant(program.tensor(id).offset)); };
    // The shapes of a convolution's input, filter and output (other ops may have fewer tensors).
    const bool convolution = op.opcode == kConv2D || op.opcode == kDepthwiseConv2D;
    const kernels::Shape none{};
    const kernels::Shape& in_shape = convolution ? program.tensor(op.inputs[0]).shape : none;
    const kernels::Shape& filter_shape = convolution ? program.tensor(op.inputs[1]).shape : none;
    const kernels::Shape& out_shape = convolution ? program.tensor(op.outputs[0]).shape : none;
    // A depthwise convolution of a one-channel input is a convolution with as many filters as the
    // depth multiplier: where the set has a direct convolution, run it as one (filter [1,kh,kw,c]
    // transposed to [c,kh,kw,1]) instead of broadcasting one channel through the depthwise kernel.
    const bool depthwise_as_conv = op.opcode == kDepthwiseConv2D && kernels->conv && in_shape.dims[3] == 1;
    // (A grouped convolution, filter depth below the input's, stays on the reference kernels.)
    if ((op.opcode == kConv2D && filter_shape.dims[3] == in_shape.dims[3]) || depthwise_as_conv) {
      const kernels::Shape& f = filter_shape;
      const int32_t n = out_shape.dims[3], k = f.dims[1] * f.dims[2] * in_shape.dims[3];
      const int8_t* filter = constant(op.inputs[1]);
      std::vector<int8_t> transposed;
      if (depthwise_as_conv) {
        transposed.resize(size_t(n) * k);
        for (int32_t ch = 0; ch < n; ++ch)
          for (int32_t t = 0; t < k; ++t) transposed[size_t(ch) * k + t] = filter[size_t(t) * n + ch];
        filter = transposed.data();
      }
      prepared.packed = AlignedAlloc(kernels->gemm_packed_size(n, k), &packed_bytes_);
      const op_params::Conv2D conv(p);
      kernels->pack_gemm_b(filter, bias(op.inputs[2]), array(conv.multiplier_offset()), array(conv.shift_offset()), true,
                           int32_t(Elements(out_shape) / n), n, k, conv.input_offset(), prepared.packed);
      prepared.kind = Kind::kGemmConv;
      prepared.work = Work(Elements(out_shape) * k, Elements(out_shape));
      prepared.parallel = prepared.work >= kMinParallelWork;
      // A 1x1 stride-1 unpadded conv reads its input as the matrix already; any other takes the
      // set's direct convolution where it runs the layer's packed form, else im2col rows.
      const bool reads_input = ConvReadsInputDirectly(ConvParamsFrom(p), f, in_shape, out_shape);
      kernels::ConvArgs layer{};
      layer.gemm.packed_b = prepared.packed;
      layer.gemm.n = n;
      layer.gemm.k = k;
      layer.params = ConvParamsFrom(p);
      layer.input_shape = &in_shape;
      layer.output_shape = &out_shape;
      layer.kernel_h = f.dims[1];
      layer.kernel_w = f.dims[2];
      const char* direct = !reads_input && kernels->conv_variant ? kernels->conv_variant(layer) : nullptr;
      prepared.direct_conv = direct != nullptr;
      prepared.kernel = direct ? KernelName(kernels, "", direct, "")
                               : KernelName(kernels, reads_input ? "" : "im2col+",
                                            kernels->gemm_variant ? kernels->gemm_variant(prepared.packed) : nullptr, "gemm");
    } else if (op.opcode == kDepthwiseConv2D) {
      const kernels::Shape& f = filter_shape;
      prepared.packed = AlignedAlloc(kernels->depthwise_packed_size(f.dims[1], f.dims[2], f.dims[3]), &packed_bytes_);
      const op_params::DepthwiseConv2D dw(p);
      kernels->pack_depthwise(constant(op.inputs[1]), bias(op.inputs[2]), array(dw.multiplier_offset()), array(dw.shift_offset()), f.dims[1],
                              f.dims[2], f.dims[3], prepared.packed);
      prepared.kind = Kind::kDepthwise;
      prepared.work = Work(Elements(out_shape) * f.dims[1] * f.dims[2], Elements(out_shape));
      prepared.parallel = prepared.work >= kMinParallelWork;
      const kernels::ConvParams c = ConvParamsFrom(p);
      prepared.kernel = KernelName(kernels, "",
                                   kernels->depthwise_variant
                                       ? kernels->depthwise_variant(f.dims[1], f.dims[2], c.dilation_h, c.dilation_w, dw.depth_multiplier())
                                       : nullptr,
                                   "depthwise");
    } else if (op.opcode == kAdd && kernels->add_int8) {
      const TensorInfo& a = program.tensor(op.inputs[0]);
      const TensorInfo& b = program.tensor(op.inputs[1]);
      const TensorInfo& out = program.tensor(op.outputs[0]);
      const bool same_shape = std::memcmp(a.shape.dims, out.shape.dims, sizeof(out.shape.dims)) == 0 &&
                              std::memcmp(b.shape.dims, out.shape.dims, sizeof(out.shape.dims)) == 0;
      if (out.dtype == DType::kInt8 && same_shape) {
        prepared.kind = Kind::kAdd;
        prepared.kernel = KernelName(kernels, "", nullptr, "add");
      }
    } else if (op.opcode == kFullyConnected) {
      const op_params::FullyConnected fc(p);
      const int32_t n = fc.output_depth(), k = fc.accum_depth();
      // A nonzero filter zero point (per-tensor only) is outside the matrix-product form here.
      if (fc.filter_offset() != 0 && !fc.per_channel()) continue;
      if (n < 1 || k < 1) continue;
      prepared.kind = Kind::kFullyConnected;
      prepared.work = Work(int64_t(fc.batches()) * n * k, int64_t(fc.batches()) * n);
      prepared.parallel = prepared.work >= kMinParallelWork;
      // Too few rows to give each thread some (batch 1, mostly): split the output channels instead,
      // each block of them packed as a product of its own.
      const int32_t row_blocks = (fc.batches() + kernels->gemm_row_block - 1) / kernels->gemm_row_block;
      const int32_t channels_per_block =
          prepared.parallel && threads > 1 && row_blocks < threads ? RowsPerTask(n, threads, kChannelTile, n) : n;
      const int8_t* weights = constant(op.inputs[1]);
      const int32_t* bias_values = bias(op.inputs[2]);
      const int32_t* multiplier = array(fc.multiplier_offset());
      const int32_t* shift = array(fc.shift_offset());
      const int32_t per_channel = fc.per_channel() ? 1 : 0;
      for (int32_t n0 = 0; n0 < n; n0 += channels_per_block) {
        const int32_t count = n - n0 < channels_per_block ? n - n0 : channels_per_block;
        void* packed = AlignedAlloc(kernels->gemm_packed_size(count, k), &packed_bytes_);
        kernels->pack_gemm_b(weights + size_t(n0) * k, bias_values ? bias_values + n0 : nullptr, multiplier + n0 * per_channel,
                             shift + n0 * per_channel, fc.per_channel(), fc.batches(), count, k, fc.input_offset(), packed);
        prepared.channel_blocks.push_back({n0, count, packed});
      }
      prepared.kernel = KernelName(kernels, "", kernels->gemm_variant ? kernels->gemm_variant(prepared.channel_blocks[0].packed) : nullptr,
                                   "gemm");
    }
  }
}

OptimizedOps::~OptimizedOps() {
  for (Prepared& p : ops_) {
    std::free(p.packed);
    for (const ChannelBlock& block : p.channel_blocks) std::free(block.packed);
  }
}

void OptimizedOps::RunTasks(const Prepared& prepared, int tasks, const std::function<void(int)>& fn) {
  if (prepared.parallel) {
    pool_->Run(tasks, fn, threads_, prepared.work >= kMinWakeWork);
  } else {
    for (int task = 0; task < tasks; ++task) fn(task);
  }
}

const char* OptimizedOps::Run(uint32_t op_index, Interpreter& interpreter) {
  const Prepared& prepared = ops_[op_index];
  const OpView& op = program_.op(op_index);
  switch (prepared.kind) {
    case Kind::kGemmConv: RunConv(op, prepared, interpreter); return prepared.kernel.c_str();
    case Kind::kDepthwise: RunDepthwise(op, prepared, interpreter); return prepared.kernel.c_str();
    case Kind::kFullyConnected: RunFullyConnected(op, prepared, interpreter); return prepared.kernel.c_str();
    case Kind::kAdd: RunAdd(op, interpreter); return prepared.kernel.c_str();
    case Kind::kReference: return nullptr;
  }
  return nullptr;
}

void OptimizedOps::RunConv(const OpView& op, const Prepared& prepared, Interpreter& interpreter) {
  const int32_t* p = op.params;
  const kernels::ConvParams c = ConvParamsFrom(p);
  const TensorInfo& in = program_.tensor(op.inputs[0]);
  const TensorInfo& out = program_.tensor(op.outputs[0]);
  const kernels::Shape& f = program_.tensor(op.inputs[1]).shape;
  const int32_t batches = in.shape.dims[0], in_h = in.shape.dims[1], in_w = in.shape.dims[2], in_c = in.shape.dims[3];
  const int32_t out_h = out.shape.dims[1], out_w = out.shape.dims[2], out_c = out.shape.dims[3];
  const int32_t kh = f.dims[1], kw = f.dims[2], k = kh * kw * in_c;
  const int32_t rows = batches * out_h * out_w;
  const int8_t* input = reinterpret_cast<const int8_t*>(interpreter.TensorData(op.inputs[0]));

  kernels::GemmArgs g;
  g.lda = k;
  g.m = rows;
  g.n = out_c;
  g.k = k;
  g.packed_b = prepared.packed;
  const op_params::Conv2D conv(p);
  g.multiplier = reinterpret_cast<const int32_t*>(program_.constant(conv.multiplier_offset()));
  g.shift = reinterpret_cast<const int32_t*>(program_.constant(conv.shift_offset()));
  g.per_channel = true;
  g.output_offset = c.output_offset;
  g.act_min = c.act_min;
  g.act_max = c.act_max;
  g.c = reinterpret_cast<int8_t*>(interpreter.TensorData(op.outputs[0]));
  g.ldc = out_c;

  const int32_t per_task = RowsPerTask(rows, prepared.parallel ? threads_ : 1, kernels_->gemm_row_block, kConvRowsPerTask);
  const int32_t tasks = (rows + per_task - 1) / per_task;
  if (prepared.direct_conv) {
    const kernels::ConvArgs args{g, c, &in.shape, &out.shape, input, kh, kw};
    RunTasks(prepared, tasks, [&](int task) {
      const int32_t m0 = task * per_task;
      kernels_->conv(args, m0, m0 + per_task < rows ? m0 + per_task : rows);
    });
    return;
  }
  const bool direct = ConvReadsInputDirectly(c, f, in.shape, out.shape);
  // Padding taps hold the input zero point: (zp + input_offset) * w = 0, as the reference's
  // skipped taps contribute nothing.
  const int8_t pad_value = static_cast<int8_t>(-c.input_offset);
  RunTasks(prepared, tasks, [&](int task) {
    const int32_t m0 = task * per_task;
    const int32_t m1 = m0 + per_task < rows ? m0 + per_task : rows;
    kernels::GemmArgs local = g;
    if (direct) {
      local.a = input;
      kernels_->gemm(local, m0, m1);
      return;
    }
    thread_local std::vector<int8_t> im2col;
    if (im2col.size() < size_t(kConvRowsPerTask) * k) im2col.resize(size_t(kConvRowsPerTask) * k);
    for (int32_t m = m0; m < m1; ++m) {
      const int32_t b = m / (out_h * out_w), oy = (m / out_w) % out_h, ox = m % out_w;
      int8_t* row = im2col.data() + size_t(m - m0) * k;
      const int32_t ix0 = ox * c.stride_w - c.pad_left;
      // With dilation 1 a row of taps inside the input is kw contiguous pixels: one copy.
      const bool row_inside = c.dilation_w == 1 && ix0 >= 0 && ix0 + kw <= in_w;
      for (int32_t ky = 0; ky < kh; ++ky) {
        const int32_t iy = oy * c.stride_h - c.pad_top + ky * c.dilation_h;
        if (row_inside && iy >= 0 && iy < in_h) {
          std::memcpy(row + ky * kw * in_c, input + ((int64_t(b) * in_h + iy) * in_w + ix0) * in_c, size_t(kw) * in_c);
          continue;
        }
        for (int32_t kx = 0; kx < kw; ++kx) {
          const int32_t ix = ox * c.stride_w - c.pad_left + kx * c.dilation_w;
          int8_t* dst = row + (ky * kw + kx) * in_c;
          if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) {
            std::memset(dst, pad_value, in_c);
          } else {
            std::memcpy(dst, input + ((int64_t(b) * in_h + iy) * in_w + ix) * in_c, in_c);
          }
        }
      }
    }
    // The im2col buffer holds rows [m0, m1) from its start: run them as rows [0, m1 - m0).
    local.a = im2col.data();
    local.c = g.c + int64_t(m0) * g.ldc;
    kernels_->gemm(local, 0, m1 - m0);
  });
}

void OptimizedOps::RunDepthwise(const OpView& op, const Prepared& prepared, Interpreter& interpreter) {
  const int32_t* p = op.params;
  const TensorInfo& in = program_.tensor(op.inputs[0]);
  const TensorInfo& out = program_.tensor(op.outputs[0]);
  const kernels::Shape& f = program_.tensor(op.inputs[1]).shape;
  kernels::DepthwiseArgs d;
  d.params = ConvParamsFrom(p);
  const op_params::DepthwiseConv2D dw(p);
  d.depth_multiplier = dw.depth_multiplier();
  d.input_shape = &in.shape;
  d.input = reinterpret_cast<const int8_t*>(interpreter.TensorData(op.inputs[0]));
  d.kernel_h = f.dims[1];
  d.kernel_w = f.dims[2];
  d.packed_filter = prepared.packed;
  d.multiplier = reinterpret_cast<const int32_t*>(program_.constant(dw.multiplier_offset()));
  d.shift = reinterpret_cast<const int32_t*>(program_.constant(dw.shift_offset()));
  d.output_shape = &out.shape;
  d.output = reinterpret_cast<int8_t*>(interpreter.TensorData(op.outputs[0]));
  const int32_t batches = out.shape.dims[0], out_h = out.shape.dims[1];
  const int32_t rows_per_task = out_h >= 2 * kDepthwiseRowsPerTask
                                    ? RowsPerTask(out_h, prepared.parallel ? threads_ : 1, 1, kDepthwiseRowsPerTask)
                                    : 1;
  const int32_t per_batch = (out_h + rows_per_task - 1) / rows_per_task;
  RunTasks(prepared, batches * per_batch, [&](int task) {
    const int32_t b = task / per_batch, oy0 = (task % per_batch) * rows_per_task;
    const int32_t oy1 = oy0 + rows_per_task < out_h ? oy0 + rows_per_task : out_h;
    kernels_->depthwise(d, b, oy0, oy1);
  });
}

void OptimizedOps::RunFullyConnected(const OpView& op, const Prepared& prepared, Interpreter& interpreter) {
  const op_params::FullyConnected fc(op.params);
  kernels::GemmArgs g;
  g.a = reinterpret_cast<const int8_t*>(interpreter.TensorData(op.inputs[0]));
  g.m = fc.batches();
  g.k = fc.accum_depth();
  g.lda = g.k;
  g.multiplier = reinterpret_cast<const int32_t*>(program_.constant(fc.multiplier_offset()));
  g.shift = reinterpret_cast<const int32_t*>(program_.constant(fc.shift_offset()));
  g.per_channel = fc.per_channel();
  g.output_offset = fc.output_offset();
  g.act_min = fc.act_min();
  g.act_max = fc.act_max();
  g.c = reinterpret_cast<int8_t*>(interpreter.TensorData(op.outputs[0]));
  g.ldc = fc.output_depth();
  if (prepared.channel_blocks.size() > 1) {
    // One task per block of output channels, all rows.
    RunTasks(prepared, static_cast<int>(prepared.channel_blocks.size()), [&](int task) {
      const ChannelBlock& block = prepared.channel_blocks[size_t(task)];
      kernels::GemmArgs local = g;
      local.n = block.count;
      local.packed_b = block.packed;
      if (g.per_channel) {
        local.multiplier += block.begin;
        local.shift += block.begin;
      }
      local.c += block.begin;
      kernels_->gemm(local, 0, g.m);
    });
    return;
  }
  g.n = fc.output_depth();
  g.packed_b = prepared.channel_blocks[0].packed;
  const int32_t per_task = RowsPerTask(g.m, prepared.parallel ? threads_ : 1, kernels_->gemm_row_block, kernels_->gemm_row_block * 4);
  const int32_t tasks = (g.m + per_task - 1) / per_task;
  RunTasks(prepared, tasks, [&](int task) {
    const int32_t m0 = task * per_task;
    kernels_->gemm(g, m0, m0 + per_task < g.m ? m0 + per_task : g.m);
  });
}

void OptimizedOps::RunAdd(const OpView& op, Interpreter& interpreter) {
  const int32_t* p = op.params;
  const kernels::AddParams a = AddParamsFrom(p);
  kernels_->add_int8(a, Elements(program_.tensor(op.outputs[0]).shape),
                     reinterpret_cast<const int8_t*>(interpreter.TensorData(op.inputs[0])),
                     reinterpret_cast<const int8_t*>(interpreter.TensorData(op.inputs[1])),
                     reinterpret_cast<int8_t*>(interpreter.TensorData(op.outputs[0])));
}

}  // namespace cleave
