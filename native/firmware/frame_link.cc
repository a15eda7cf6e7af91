#include "frame_link.h"

#include "common/crc32.h"

namespace cleave::mcu {

uint32_t ReadU32(const uint8_t* p) { return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24); }

void WriteU32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}

void WriteU64(uint8_t* p, uint64_t v) {
  WriteU32(p, uint32_t(v));
  WriteU32(p + 4, uint32_t(v >> 32));
}

const char* DropReasonText(DropReason reason) {
  switch (reason) {
    case DropReason::kNone: return "none";
    case DropReason::kNotCobs: return "a packet is not valid COBS";
    case DropReason::kTooLarge: return "a packet is longer than the receive buffer";
    case DropReason::kTruncated: return "a packet is shorter than a frame or than its header says";
    case DropReason::kBadMagic: return "a packet is not a CLVW frame";
    case DropReason::kBadVersion: return "a frame has another wire version";
    case DropReason::kBadLength: return "a frame announces a payload above the firmware's maximum";
    case DropReason::kBadCrc: return "a frame fails its CRC-32";
  }
  return "unknown";
}

void FrameLink::Append(uint8_t byte) {
  // The size is checked before a byte is stored: an endless packet only sets the flag.
  if (length_ >= sizeof(packet_)) {
    overflow_ = true;
    return;
  }
  packet_[length_++] = byte;
}

bool FrameLink::EndPacket(Frame* frame, DropReason* reason) {
  *reason = DropReason::kNone;
  if (length_ == 0) return false;
  if (overflow_) {
    *reason = DropReason::kTooLarge;
    return false;
  }
  // COBS decode in place.
  size_t in = 0, out = 0;
  while (in < length_) {
    const uint8_t code = packet_[in++];
    if (code == 0 || in + code - 1 > length_) {
      *reason = DropReason::kNotCobs;
      return false;
    }
    for (uint8_t k = 1; k < code; ++k) packet_[out++] = packet_[in++];
    if (code != 0xFF && in < length_) packet_[out++] = 0;
  }
  if (out < kFrameHeaderBytes + kFrameTrailerBytes) {
    *reason = DropReason::kTruncated;
    return false;
  }
  if (ReadU32(packet_) != kWireMagic) {
    *reason = DropReason::kBadMagic;
    return false;
  }
  if (packet_[4] != kWireVersion) {
    *reason = DropReason::kBadVersion;
    return false;
  }
  const uint32_t size = ReadU32(packet_ + 16);
  if (size > kMaxPayload) {
    *reason = DropReason::kBadLength;
    return false;
  }
  if (out != kFrameHeaderBytes + size + kFrameTrailerBytes) {
    *reason = DropReason::kTruncated;
    return false;
  }
  if (Crc32(packet_, kFrameHeaderBytes + size) != ReadU32(packet_ + kFrameHeaderBytes + size)) {
    *reason = DropReason::kBadCrc;
    return false;
  }
  frame->type = packet_[5];
  frame->flags = uint16_t(packet_[6] | (packet_[7] << 8));
  frame->stream = ReadU32(packet_ + 8);
  frame->seq = ReadU32(packet_ + 12);
  frame->payload = packet_ + kFrameHeaderBytes;
  frame->size = size;
  return true;
}

void FrameLink::CobsFlush() {
  uart_.Write(uint8_t(block_size_ + 1));
  uart_.Write(block_, block_size_);
  block_size_ = 0;
}

void FrameLink::CobsPut(uint8_t byte) {
  if (byte == 0) {
    CobsFlush();
    return;
  }
  block_[block_size_++] = byte;
  if (block_size_ == 254) CobsFlush();
}

void FrameLink::Send(uint8_t type, uint16_t flags, uint32_t stream, uint32_t seq, const uint8_t* head, size_t head_size,
                     const uint8_t* tail, size_t tail_size) {
  uint8_t header[kFrameHeaderBytes];
  WriteU32(header, kWireMagic);
  header[4] = kWireVersion;
  header[5] = type;
  header[6] = uint8_t(flags);
  header[7] = uint8_t(flags >> 8);
  WriteU32(header + 8, stream);
  WriteU32(header + 12, seq);
  WriteU32(header + 16, uint32_t(head_size + tail_size));
  uint32_t crc = Crc32(header, sizeof(header));
  if (head_size) crc = Crc32(head, head_size, crc);
  if (tail_size) crc = Crc32(tail, tail_size, crc);
  uint8_t trailer[4];
  WriteU32(trailer, crc);

  uart_.Write(0);
  block_size_ = 0;
  for (uint8_t b : header) CobsPut(b);
  for (size_t i = 0; i < head_size; ++i) CobsPut(head[i]);
  for (size_t i = 0; i < tail_size; ++i) CobsPut(tail[i]);
  for (uint8_t b : trailer) CobsPut(b);
  CobsFlush();  // the last block: no zero follows it inside the frame
  uart_.Write(0);
}

}  // namespace cleave::mcu
