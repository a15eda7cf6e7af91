// The entropy block: the lossless stage shared by `lossless` (the whole tensor) and by the lossy
// codecs' entropy packing (their code and side-information planes). docs/codecs.md has the bytes.
//
// A block is stored (kind 0: the bytes) or Huffman-coded: canonical, length-limited (11 bits)
// codes over 288 symbols, the 256 byte values plus 32 run classes. A run class k stands for a run
// of 2^k..2^(k+1)-1 repetitions of the block's run byte (the most frequent byte: the zero point
// after a ReLU) and is followed by k extra bits. The encoder chooses from which length on runs
// become tokens (shorter runs stay literals, cheaper when the run byte is common but not
// dominant). Huffman kinds:
//   1  one code over the bytes;
//   2  one code over each byte's difference to the byte one row earlier (spatially repetitive
//      tensors);
//   3  four codes, chosen per symbol by the byte one row earlier (its distance to the run byte:
//      0, 1, 2, 3 or more): quantized code planes, whose neighbours predict each other well.
// The encoder keeps the smallest of stored and the kinds it tries.
#pragma once
#include <cstddef>
#include <cstdint>

#include "codec/codec.h"

namespace cleave {
namespace codec {

constexpr int kLiteralSymbols = 256;
constexpr int kRunClasses = 32;
constexpr int kSymbols = kLiteralSymbols + kRunClasses;
constexpr int kMaxCodeBits = 11;
constexpr int kMaxContexts = 4;

enum : uint8_t { kBlockStored = 0, kBlockHuffman = 1, kBlockRowHuffman = 2, kBlockContextHuffman = 3 };

template <int K>
struct BlockPlanT {
  uint8_t kind = kBlockStored;
  uint8_t run_byte = 0;
  uint8_t min_run_class = kRunClasses;  // runs shorter than 2^min_run_class stay literals
  uint32_t distance = 0;                // kinds 2 and 3: bytes back to the predicting byte
  uint8_t lengths[K][kSymbols] = {};
  uint16_t codes[K][kSymbols] = {};     // bit-reversed: written LSB first
  uint32_t table_bytes = 0;
  uint32_t stream_bytes = 0;
  size_t size = 0;                      // the whole block, in bytes
};
using BlockPlan = BlockPlanT<1>;
using ContextBlockPlan = BlockPlanT<kMaxContexts>;

// The largest block for n bytes (stored).
inline size_t MaxBlockSize(size_t n) { return 1 + n; }

// Decides how to code `data` (kinds 0, 1 and, with `row_distance` > 0, 2; run byte: the most
// frequent byte, `hint` tried first) and returns the block's exact size, also in plan->size.
size_t PlanBlock(const uint8_t* data, size_t n, uint8_t hint, size_t row_distance, BlockPlan* plan);

// As PlanBlock, and also tries kind 3 with `hint` as the run byte.
size_t PlanContextBlock(const uint8_t* data, size_t n, uint8_t hint, size_t row_distance, ContextBlockPlan* plan);

// Write the block planned for the same data; return plan.size. `out` must hold plan.size bytes.
size_t WriteBlock(const BlockPlan& plan, const uint8_t* data, size_t n, uint8_t* out);
size_t WriteBlock(const ContextBlockPlan& plan, const uint8_t* data, size_t n, uint8_t* out);

// Scratch a kind-3 block needs to be read: its four decoding tables (2-byte aligned).
constexpr size_t kContextTableBytes = kMaxContexts * (size_t{1} << kMaxCodeBits) * sizeof(uint16_t);

// Reads one block from [in, in + avail) that must expand to exactly n bytes into out. On success
// *consumed is the block's size. `block_offset` is where the block starts in the wire tensor: a
// failure's {offset}. Kind 3 needs `context_tables` (kContextTableBytes); without it such a block
// is refused.
Status ReadBlock(const uint8_t* in, size_t avail, uint8_t* out, size_t n, size_t block_offset, size_t* consumed,
                 uint16_t* context_tables = nullptr);

}  // namespace codec
}  // namespace cleave
