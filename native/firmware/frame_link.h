// cleave wire frames (docs/wire-protocol.md) on a UART, the device side: 0x00 COBS(frame) 0x00, a
// frame being the 20-byte CLVW header, the payload and a CRC-32. Bytes go in one at a time; a packet
// that is not valid COBS, is longer than the receive buffer, or fails the frame checks is dropped
// and reported, and the next 0x00 starts afresh, so the line resynchronizes after garbage.
// Fixed buffers, no heap.
#pragma once
#include <cstddef>
#include <cstdint>

#include "board.h"

namespace cleave::mcu {

constexpr size_t kFrameHeaderBytes = 20, kFrameTrailerBytes = 4;
constexpr uint32_t kWireMagic = 0x57564c43;  // "CLVW" little-endian
constexpr uint8_t kWireVersion = 1;

struct Frame {
  uint8_t type;
  uint16_t flags;
  uint32_t stream, seq;
  const uint8_t* payload;
  uint32_t size;
};

// Why a packet was dropped; kNone while it is being received.
enum class DropReason : uint8_t { kNone, kNotCobs, kTooLarge, kTruncated, kBadMagic, kBadVersion, kBadLength, kBadCrc };
const char* DropReasonText(DropReason reason);

class FrameLink {
 public:
  // The largest payload a frame may carry either way: 4 KiB of data plus its request's fields.
  static constexpr uint32_t kMaxPayload = 4096 + 64;

  explicit FrameLink(board::Uart& uart) : uart_(uart) {}

  // Starts a packet after a 0x00 that the caller already consumed (it tells frames from text lines).
  void BeginPacket() { length_ = 0; overflow_ = false; }
  // A byte inside the packet (not 0x00).
  void Append(uint8_t byte);
  // At the closing 0x00: true and `frame` filled (valid until the next BeginPacket) when the packet
  // is a whole checked frame; false with `reason` otherwise (an empty packet gives kNone).
  bool EndPacket(Frame* frame, DropReason* reason);

  // Sends one frame; the payload is given in up to two parts (a fixed head and a data tail) so
  // replies need no assembly buffer of their own.
  void Send(uint8_t type, uint16_t flags, uint32_t stream, uint32_t seq, const uint8_t* head, size_t head_size,
            const uint8_t* tail = nullptr, size_t tail_size = 0);

 private:
  // Streams COBS: bytes are held until the next zero or a full 254-byte block, then written.
  void CobsPut(uint8_t byte);
  void CobsFlush();

  board::Uart& uart_;
  static constexpr size_t kMaxFrame = kFrameHeaderBytes + kMaxPayload + kFrameTrailerBytes;
  // The encoded packet (decoded in place: COBS output is never longer than its input).
  alignas(4) uint8_t packet_[kMaxFrame + kMaxFrame / 254 + 2];
  size_t length_ = 0;
  bool overflow_ = false;
  uint8_t block_[254];
  size_t block_size_ = 0;
};

uint32_t ReadU32(const uint8_t* p);
void WriteU32(uint8_t* p, uint32_t v);
void WriteU64(uint8_t* p, uint64_t v);

}  // namespace cleave::mcu
