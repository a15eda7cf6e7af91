// The lossy codecs (ts, tabq, ts+tabq) over int8 tensors: payload layout in docs/codecs.md.
// Called by codec.cc after the header and the metadata have been checked.
#pragma once
#include <cstddef>
#include <cstdint>

#include "codec/codec.h"

namespace cleave {
namespace codec {

// Elements per row (the last dimension; 1 for a scalar) and the row count.
void RowGeometry(const TensorMeta& meta, uint64_t n, uint64_t* row_length, uint64_t* rows);

uint64_t LossyMaxPayload(CodecId codec, const TensorMeta& meta, uint64_t n);
// Scratch to encode (the planes) or to decode (the planes and four decoding tables).
uint64_t LossyWorkspace(CodecId codec, const TensorMeta& meta, uint64_t n, bool decode);

// Writes the payload (after the header); on success `*payload_bytes` is its size.
Status EncodeLossy(CodecId codec, const TensorMeta& meta, const int8_t* q, uint64_t n, const Options& options,
                   uint8_t* ws, size_t ws_size, uint8_t* payload, size_t capacity, size_t* payload_bytes);

// Failures name byte offsets in the wire tensor (the payload starts at kHeaderBytes).
Status DecodeLossy(CodecId codec, const TensorMeta& meta, const uint8_t* payload, size_t size, uint8_t* ws,
                   size_t ws_size, int8_t* out, uint64_t n, DecodeInfo* info);

}  // namespace codec
}  // namespace cleave
