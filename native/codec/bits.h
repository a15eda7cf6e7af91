// LSB-first bit writer and reader shared by the entropy stage and the lossy codecs' fixed-width
// packing. The reader never reads outside its buffer: past the end it yields zero bits and counts
// them, so a caller can tell a stream that ended early from one that was used exactly.
#pragma once
#include <cstddef>
#include <cstdint>

#include "codec/internal.h"

namespace cleave {
namespace codec {

inline uint64_t LoadLE64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

class BitWriter {
 public:
  explicit BitWriter(uint8_t* out) : p_(out) {}
  // n <= 32 bits; the accumulator holds fewer than 32 bits between calls.
  inline void Put(uint32_t bits, int n) {
    acc_ |= static_cast<uint64_t>(bits) << nbits_;
    nbits_ += n;
    if (nbits_ >= 32) {
      PutU32(p_, static_cast<uint32_t>(acc_));
      p_ += 4;
      acc_ >>= 32;
      nbits_ -= 32;
    }
  }
  uint8_t* Finish() {
    while (nbits_ > 0) {
      *p_++ = static_cast<uint8_t>(acc_);
      acc_ >>= 8;
      nbits_ -= 8;
    }
    nbits_ = 0;
    return p_;
  }

 private:
  uint8_t* p_;
  uint64_t acc_ = 0;
  int nbits_ = 0;
};

// LSB-first reader over [p, p + size). Reading past the end yields zero bits and is counted, so
// the caller can tell a stream that ended early from one that was used exactly.
class BitReader {
 public:
  BitReader(const uint8_t* p, size_t size) : start_(p), p_(p), end_(p + size) {}
  // Afterwards at least 56 bits are buffered.
  inline void Refill() {
    if (end_ - p_ >= 8) {
      acc_ |= LoadLE64(p_) << nbits_;
      p_ += (63 - nbits_) >> 3;
      nbits_ |= 56;
    } else {
      while (nbits_ <= 56) {
        uint64_t b = 0;
        if (p_ < end_) b = *p_++;
        else ++virtual_bytes_;
        acc_ |= b << nbits_;
        nbits_ += 8;
      }
    }
  }
  inline void EnsureBits(int n) {
    if (nbits_ < n) Refill();
  }
  inline uint32_t Peek(int n) const { return static_cast<uint32_t>(acc_) & ((1u << n) - 1u); }
  inline void Skip(int n) {
    acc_ >>= n;
    nbits_ -= n;
  }
  inline uint32_t Take(int n) {  // n <= 31, after Refill()
    const uint32_t v = static_cast<uint32_t>(acc_ & ((uint64_t{1} << n) - 1u));
    Skip(n);
    return v;
  }
  uint64_t ConsumedBits() const { return (static_cast<uint64_t>(p_ - start_) + virtual_bytes_) * 8 - nbits_; }
  // The low bits still buffered (the padding of the last byte once decoding is done).
  uint64_t Buffered() const { return acc_; }

 private:
  const uint8_t* start_;
  const uint8_t* p_;
  const uint8_t* end_;
  uint64_t acc_ = 0;
  int nbits_ = 0;
  uint64_t virtual_bytes_ = 0;
};

}  // namespace codec
}  // namespace cleave
