#include "codec/lossy.h"

#include <cstring>

#include "codec/bits.h"
#include "codec/entropy.h"
#include "codec/internal.h"

namespace cleave {
namespace codec {

namespace {

enum : uint8_t { kPackFixed = 0, kPackEntropy = 1 };

constexpr size_t kTsFields = 8;      // bits, threshold, step, packing, kmin (i16), reserved (u16)
constexpr size_t kTabqFields = 8;    // budget, packing, reserved (u16), row length (u32)
constexpr size_t kTsTabqFields = 8;  // threshold, budget, packing, reserved, row length (u32)

inline bool IsOutlier(int32_t v, int32_t zp, int32_t t) {
  const int32_t d = v - zp;
  return d > t || d < -t;
}

// The decoder's context tables live in the workspace after `used` bytes, 2-byte aligned.
uint16_t* ContextTables(uint8_t* ws, uint64_t used) {
  uintptr_t at = reinterpret_cast<uintptr_t>(ws + used);
  at = (at + 1) & ~static_cast<uintptr_t>(1);
  return reinterpret_cast<uint16_t*>(at);
}
constexpr uint64_t kTableSpace = kContextTableBytes + 1;

// ---------------------------------------------------------------------------------------------
// Sparse outliers: u32 count, the gaps between successive indices as varints (index - previous
// index - 1; the first is the index itself), then the values.

uint64_t WriteOutliers(const int8_t* q, uint64_t n, int32_t zp, int32_t t, uint8_t* p, uint32_t* count) {
  uint32_t k = 0;
  uint64_t index_bytes = 0, next = 0;
  for (uint64_t i = 0; i < n; ++i) {
    if (!IsOutlier(q[i], zp, t)) continue;
    index_bytes += VarintSize(static_cast<uint32_t>(i - next));
    next = i + 1;
    ++k;
  }
  *count = k;
  if (p == nullptr) return 4 + index_bytes + k;
  PutU32(p, k);
  uint8_t* ip = p + 4;
  uint8_t* vp = ip + index_bytes;
  next = 0;
  for (uint64_t i = 0; i < n; ++i) {
    if (!IsOutlier(q[i], zp, t)) continue;
    ip += PutVarint(ip, static_cast<uint32_t>(i - next));
    *vp++ = static_cast<uint8_t>(q[i]);
    next = i + 1;
  }
  return 4 + index_bytes + k;
}

struct OutlierList {
  uint32_t count = 0;
  const uint8_t* indices = nullptr;
  const uint8_t* indices_end = nullptr;
  const uint8_t* values = nullptr;
};

// Validates the whole list: indices increasing and inside the tensor, values beyond the threshold.
// `at` is the list's byte offset in the wire tensor.
Status ParseOutliers(const uint8_t* p, size_t avail, uint64_t n, int32_t zp, int32_t t, size_t at, OutlierList* list,
                     size_t* consumed) {
  const int64_t where = static_cast<int64_t>(at);
  if (avail < 4) return Status::Error(StatusCode::kCodecTruncated, "outlier count truncated (byte {offset})").Offset(where);
  const uint32_t k = GetU32(p);
  if (k > n) {
    return Status::Error(StatusCode::kCodecIndexOutOfRange, "{a} outliers in a tensor of {b} elements (byte {offset})")
        .A(k)
        .B(static_cast<int64_t>(n))
        .Offset(where);
  }
  if (static_cast<uint64_t>(k) * 2 > avail - 4) {
    return Status::Error(StatusCode::kCodecTruncated, "{a} outliers need at least {b} bytes, {c} left (byte {offset})")
        .A(k)
        .B(static_cast<int64_t>(k) * 2)
        .C(static_cast<int64_t>(avail - 4))
        .Offset(where);
  }
  const uint8_t* ip = p + 4;
  const uint8_t* end = p + avail;
  uint64_t next = 0;
  for (uint32_t j = 0; j < k; ++j) {
    uint32_t gap;
    const int64_t index_at = where + (ip - p);
    if (!GetVarint(&ip, end, &gap)) {
      return Status::Error(StatusCode::kCodecCorruptPayload, "outlier {a}: malformed or truncated index (byte {offset})").A(j).Offset(index_at);
    }
    const uint64_t index = next + gap;
    if (index >= n) {
      return Status::Error(StatusCode::kCodecIndexOutOfRange, "outlier {a}: index {b} outside the tensor's {c} elements (byte {offset})")
          .A(j)
          .B(static_cast<int64_t>(index))
          .C(static_cast<int64_t>(n))
          .Offset(index_at);
    }
    next = index + 1;
  }
  if (static_cast<size_t>(end - ip) < k) {
    return Status::Error(StatusCode::kCodecTruncated, "outlier values truncated: {a} needed, {b} left (byte {offset})")
        .A(k)
        .B(end - ip)
        .Offset(where + (ip - p));
  }
  for (uint32_t j = 0; j < k; ++j) {
    const int32_t v = static_cast<int8_t>(ip[j]);
    if (!IsOutlier(v, zp, t)) {
      return Status::Error(StatusCode::kCodecCorruptPayload, "outlier {a}: value {b} lies within the threshold {c} of the zero point (byte {offset})")
          .A(j)
          .B(v)
          .C(t)
          .Offset(where + (ip - p) + j);
    }
  }
  list->count = k;
  list->indices = p + 4;
  list->indices_end = ip;
  list->values = ip;
  *consumed = static_cast<size_t>(ip + k - p);
  return Status::Ok();
}

// Walks a validated outlier list in index order.
class OutlierCursor {
 public:
  explicit OutlierCursor(const OutlierList& list) : ip_(list.indices), vp_(list.values), left_(list.count) {
    if (left_ > 0) Advance(0);
  }
  static constexpr uint64_t kNone = ~uint64_t{0};
  uint64_t next() const { return left_ > 0 ? next_ : kNone; }
  int8_t Take() {
    const int8_t v = static_cast<int8_t>(*vp_++);
    if (--left_ > 0) Advance(next_ + 1);
    return v;
  }

 private:
  void Advance(uint64_t base) {
    uint32_t gap = 0;
    GetVarint(&ip_, ip_ + 5, &gap);  // validated by ParseOutliers
    next_ = base + gap;
  }
  const uint8_t* ip_;
  const uint8_t* vp_;
  uint32_t left_;
  uint64_t next_ = 0;
};

// Smallest threshold that leaves at most `allowed` elements outside it.
int32_t ThresholdFor(const uint32_t* by_distance, uint64_t allowed) {
  uint64_t above = 0;
  for (int32_t t = 255; t >= 0; --t) {
    // `above` counts elements with |d| > t.
    if (above + by_distance[t] > allowed) return t;
    above += by_distance[t];
  }
  return 0;
}

void DistanceHistogram(const int8_t* q, uint64_t n, int32_t zp, uint32_t* by_distance) {
  std::memset(by_distance, 0, 256 * sizeof(uint32_t));
  for (uint64_t i = 0; i < n; ++i) {
    const int32_t d = q[i] - zp;
    ++by_distance[d < 0 ? -d : d];
  }
}

// ---------------------------------------------------------------------------------------------
// tabq rows: every row (the last dimension) is quantized on the grid min + k*(2E+1) of its own
// minimum, so each element is within E of its level. A row's bit-width b is the fewest bits that
// hold its top level round(R / (2E+1)) for its range R = max - min; a row with R <= E takes 0 bits
// (every element decodes to the minimum, which stays exact, as the zero point of a ReLU row does).
// Side information per row: the minimum and b. Decoded levels are clamped to int8.

// bits[R] for ranges 0..255 under budget E.
void MakeRowBits(int32_t budget, uint8_t* bits) {
  const int32_t step = 2 * budget + 1;
  for (int32_t range = 0; range < 256; ++range) {
    const int32_t top = (range + budget) / step;  // round(range / step), halves up
    int32_t b = 0;
    while ((1 << b) <= top) ++b;
    bits[range] = static_cast<uint8_t>(b);
  }
}

struct TabqLayout {
  uint64_t row_length = 0;
  uint64_t rows = 0;
  int32_t budget = 0;
  uint64_t code_count = 0;  // rows * row_length: one code per element
  uint64_t code_bits = 0;   // sum over rows of bits * inliers
};

// Fills the planes in `ws`: [rows] min - zp, [rows] bits, [rows * row_length] codes.
void TabqAnalyse(const int8_t* q, int32_t zp, int32_t t, const uint8_t* row_bits, TabqLayout* lay, uint8_t* ws) {
  uint8_t* minp = ws;
  uint8_t* bitsp = ws + lay->rows;
  uint8_t* codes = ws + 2 * lay->rows;
  const uint64_t c = lay->row_length;
  const int32_t step = 2 * lay->budget + 1, half = lay->budget;
  uint64_t ncodes = 0, nbits = 0;
  for (uint64_t r = 0; r < lay->rows; ++r) {
    const int8_t* row = q + r * c;
    int32_t lo = 127, hi = -128;
    uint64_t inliers = 0;
    for (uint64_t i = 0; i < c; ++i) {
      const int32_t v = row[i];
      if (IsOutlier(v, zp, t)) continue;
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
      ++inliers;
    }
    if (inliers == 0) lo = hi = zp;
    const uint8_t b = row_bits[hi - lo];
    minp[r] = static_cast<uint8_t>(lo - zp);
    bitsp[r] = b;
    nbits += static_cast<uint64_t>(b) * inliers;
    // One code per element, 0 where the row takes no bits or the element is an outlier, so that
    // a code's neighbours one row back sit at a fixed distance (context coding).
    for (uint64_t i = 0; i < c; ++i) {
      const int32_t v = row[i];
      codes[ncodes++] = b == 0 || IsOutlier(v, zp, t) ? 0 : static_cast<uint8_t>((v - lo + half) / step);
    }
  }
  lay->code_count = ncodes;
  lay->code_bits = nbits;
}

struct TabqChoice {
  uint8_t packing;
  uint64_t size;
  BlockPlan side[2];
  ContextBlockPlan codes;
};

uint64_t FixedSideBytes(uint64_t rows) { return rows + (rows + 1) / 2; }

// `quick`: rank with a one-context code plane (what the automatic threshold compares), without
// trying the context-coded one; quick plans are only measured, never written.
void TabqChoose(const TabqLayout& lay, const uint8_t* ws, bool quick, TabqChoice* ch) {
  const uint64_t fixed = FixedSideBytes(lay.rows) + (lay.code_bits + 7) / 8;
  uint64_t entropy = PlanBlock(ws, lay.rows, 0, 0, &ch->side[0]);
  entropy += PlanBlock(ws + lay.rows, lay.rows, 0, 0, &ch->side[1]);
  entropy += quick ? PlanBlock(ws + 2 * lay.rows, lay.code_count, 0, 0, &ch->side[1])
                   : PlanContextBlock(ws + 2 * lay.rows, lay.code_count, 0, lay.row_length, &ch->codes);
  ch->packing = entropy < fixed ? kPackEntropy : kPackFixed;
  ch->size = entropy < fixed ? entropy : fixed;
}

// Fixed packing: the minima (int8), the bit-widths as nibbles (low first, zero padding), then each
// coded row's codes in its bits, LSB first. Entropy packing: the three planes as entropy blocks.
uint64_t TabqWrite(const int8_t* q, int32_t zp, int32_t t, const TabqLayout& lay, const uint8_t* ws, const TabqChoice& ch,
                   uint8_t* out) {
  const uint8_t* minp = ws;
  const uint8_t* bitsp = ws + lay.rows;
  const uint8_t* codes = ws + 2 * lay.rows;
  uint8_t* p = out;
  if (ch.packing == kPackEntropy) {
    p += WriteBlock(ch.side[0], minp, lay.rows, p);
    p += WriteBlock(ch.side[1], bitsp, lay.rows, p);
    p += WriteBlock(ch.codes, codes, lay.code_count, p);
    return static_cast<uint64_t>(p - out);
  }
  for (uint64_t r = 0; r < lay.rows; ++r) *p++ = static_cast<uint8_t>(minp[r] + zp);
  for (uint64_t r = 0; r < lay.rows; r += 2) {
    *p++ = static_cast<uint8_t>(bitsp[r] | (r + 1 < lay.rows ? bitsp[r + 1] << 4 : 0));
  }
  BitWriter w(p);
  for (uint64_t r = 0; r < lay.rows; ++r) {
    const int b = bitsp[r];
    if (b == 0) continue;
    const int8_t* row = q + r * lay.row_length;
    const uint8_t* rc = codes + r * lay.row_length;
    for (uint64_t i = 0; i < lay.row_length; ++i) {
      if (!IsOutlier(row[i], zp, t)) w.Put(rc[i], b);
    }
  }
  p = w.Finish();
  return static_cast<uint64_t>(p - out);
}

// A fixed-width code plane fills the rest of the payload exactly: `need` bytes from `p` (byte `at` of
// the wire tensor) to `end`.
Status CheckFixedCodes(uint64_t need, const uint8_t* p, const uint8_t* end, int64_t at) {
  const uint64_t have = static_cast<uint64_t>(end - p);
  if (have < need) {
    return Status::Error(StatusCode::kCodecTruncated, "codes need {a} bytes, {b} left (byte {offset})")
        .A(static_cast<int64_t>(need))
        .B(static_cast<int64_t>(have))
        .Offset(at);
  }
  if (have > need) {
    return Status::Error(StatusCode::kCodecTrailingBytes, "{a} bytes after the codes (byte {offset})")
        .A(static_cast<int64_t>(have - need))
        .Offset(at + static_cast<int64_t>(need));
  }
  return Status::Ok();
}

// Decodes a tabq body (after its fields and any outlier list; `at` is its byte offset in the wire
// tensor) into out.
Status TabqDecode(const uint8_t* p, size_t avail, size_t at, int32_t zp, int32_t budget, uint8_t packing, const OutlierList& outl,
                  uint64_t row_length, uint64_t rows, uint8_t* ws, uint16_t* tables, int8_t* out, DecodeInfo* info) {
  const uint8_t* const body = p;
  const auto offset_of = [&](const uint8_t* q) { return static_cast<int64_t>(at) + (q - body); };
  uint8_t* minp = ws;
  uint8_t* bitsp = ws + rows;
  uint8_t* codes = ws + 2 * rows;
  const uint8_t* end = p + avail;

  // Side information into the planes.
  if (packing == kPackFixed) {
    const uint64_t side = FixedSideBytes(rows);
    if (avail < side) {
      return Status::Error(StatusCode::kCodecTruncated, "row minima and bit-widths need {a} bytes, {b} left (byte {offset})")
          .A(static_cast<int64_t>(side))
          .B(static_cast<int64_t>(avail))
          .Offset(offset_of(p));
    }
    for (uint64_t row = 0; row < rows; ++row) minp[row] = static_cast<uint8_t>(p[row] - zp);
    const uint8_t* nib = p + rows;
    for (uint64_t row = 0; row < rows; ++row) bitsp[row] = (row & 1) ? nib[row >> 1] >> 4 : nib[row >> 1] & 15u;
    if ((rows & 1) != 0 && (nib[rows >> 1] >> 4) != 0) {
      return Status::Error(StatusCode::kCodecCorruptPayload, "bit-width padding nibble is not zero (byte {offset})")
          .Offset(offset_of(nib + (rows >> 1)));
    }
    p += side;
  } else {
    size_t used;
    Status st = ReadBlock(p, static_cast<size_t>(end - p), minp, rows, static_cast<size_t>(offset_of(p)), &used);
    if (!st.ok()) return st;
    p += used;
    st = ReadBlock(p, static_cast<size_t>(end - p), bitsp, rows, static_cast<size_t>(offset_of(p)), &used);
    if (!st.ok()) return st;
    p += used;
  }
  for (uint64_t row = 0; row < rows; ++row) {
    if (bitsp[row] > 8) {
      return Status::Error(StatusCode::kCodecCorruptPayload, "row {a}: bit-width {b} (0..8 allowed)").A(static_cast<int64_t>(row)).B(bitsp[row]);
    }
  }

  // How many bits the rows' codes take in fixed packing, given where the outliers are.
  uint64_t nbits = 0;
  {
    OutlierCursor cur(outl);
    for (uint64_t row = 0; row < rows; ++row) {
      uint64_t outliers = 0;
      const uint64_t row_end = (row + 1) * row_length;
      while (cur.next() < row_end) {
        cur.Take();
        ++outliers;
      }
      nbits += static_cast<uint64_t>(bitsp[row]) * (row_length - outliers);
    }
  }

  BitReader br(p, static_cast<size_t>(end - p));
  const uint8_t* plane = nullptr;
  if (packing == kPackFixed) {
    const Status st = CheckFixedCodes((nbits + 7) / 8, p, end, offset_of(p));
    if (!st.ok()) return st;
  } else {
    size_t used;
    const Status st = ReadBlock(p, static_cast<size_t>(end - p), codes, rows * row_length, static_cast<size_t>(offset_of(p)), &used, tables);
    if (!st.ok()) return st;
    if (p + used != end) {
      return Status::Error(StatusCode::kCodecTrailingBytes, "{a} bytes after the code plane (byte {offset})")
          .A(end - p - static_cast<int64_t>(used))
          .Offset(offset_of(p + used));
    }
    plane = codes;
  }

  const int32_t step = 2 * budget + 1;
  OutlierCursor cur(outl);
  for (uint64_t row = 0; row < rows; ++row) {
    const int32_t lo = static_cast<int8_t>(static_cast<uint8_t>(minp[row] + zp));
    const int b = bitsp[row];
    int8_t* o = out + row * row_length;
    const uint8_t* rc = plane != nullptr ? plane + row * row_length : nullptr;
    for (uint64_t i = 0; i < row_length; ++i) {
      const bool outlier = cur.next() == row * row_length + i;
      // The code plane holds 0 for outliers and rows without bits, a code within the row's bits else.
      if (rc != nullptr && (rc[i] >> ((b == 0 || outlier) ? 0 : b)) != 0) {
        return Status::Error(StatusCode::kCodecCorruptPayload, "row {a}, element {b}: code {c} does not fit the row's bit-width")
            .A(static_cast<int64_t>(row))
            .B(static_cast<int64_t>(i))
            .C(rc[i]);
      }
      if (outlier) {
        o[i] = cur.Take();
        continue;
      }
      uint32_t code = 0;
      if (b != 0) {
        if (rc != nullptr) {
          code = rc[i];
        } else {
          br.EnsureBits(8);
          code = br.Take(b);
        }
      }
      o[i] = static_cast<int8_t>(ClampI32(lo + static_cast<int32_t>(code) * step, -128, 127));
    }
  }
  if (plane == nullptr) {
    const uint64_t pad = ((nbits + 7) / 8) * 8 - nbits;
    if (pad > 0 && (br.Buffered() & ((uint64_t{1} << pad) - 1u)) != 0) {
      return Status::Error(StatusCode::kCodecCorruptPayload, "code padding bits are not zero");
    }
  }
  info->error_bound = budget;
  info->error_budget = budget;
  info->packing = packing;
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// ts: inliers on the grid zp + k*w, codes k - kmin in `bits` bits.

struct TsGrid {
  int32_t step = 1;
  int32_t kmin = 0;
};

TsGrid MakeTsGrid(int32_t dlo, int32_t dhi, int32_t bits) {
  TsGrid g;
  for (int32_t w = 1; w <= 255; ++w) {
    const int32_t klo = FloorDiv(dlo + w / 2, w);
    const int32_t khi = FloorDiv(dhi + w / 2, w);
    if (khi - klo + 1 <= (1 << bits)) {
      g.step = w;
      g.kmin = klo;
      return g;
    }
  }
  return g;  // unreachable: int8 ranges span at most 255
}

Status EncodeTs(const TensorMeta& meta, const int8_t* q, uint64_t n, const Options& opt, uint8_t* ws,
                uint8_t* payload, size_t capacity, size_t* payload_bytes) {
  const int32_t zp = meta.zero_point;
  int32_t t = opt.threshold;
  if (t < 0) {
    uint32_t hist[256];
    DistanceHistogram(q, n, zp, hist);
    t = ThresholdFor(hist, n / 100);
  }
  int32_t dlo = 255, dhi = -255;
  for (uint64_t i = 0; i < n; ++i) {
    const int32_t d = q[i] - zp;
    if (d > t || d < -t) continue;
    dlo = d < dlo ? d : dlo;
    dhi = d > dhi ? d : dhi;
  }
  if (dlo > dhi) dlo = dhi = 0;
  const TsGrid g = MakeTsGrid(dlo, dhi, opt.bits);

  uint32_t k;
  const uint64_t outlier_bytes = WriteOutliers(q, n, zp, t, nullptr, &k);
  uint64_t row_length, rows;
  RowGeometry(meta, n, &row_length, &rows);
  const uint64_t inliers = n - k;
  // The code plane has one code per element, the zero point's code at outliers (so that a code's
  // neighbour one row back sits at a fixed distance); fixed packing sends the inliers' codes only.
  const uint8_t zero_code = static_cast<uint8_t>(-g.kmin);
  const int32_t half = g.step / 2;
  for (uint64_t i = 0; i < n; ++i) {
    const int32_t d = q[i] - zp;
    ws[i] = d > t || d < -t ? zero_code : static_cast<uint8_t>(FloorDiv(d + half, g.step) - g.kmin);
  }
  const uint64_t fixed = (inliers * static_cast<uint64_t>(opt.bits) + 7) / 8;
  ContextBlockPlan block;
  const uint64_t entropy = PlanContextBlock(ws, n, zero_code, row_length, &block);
  const uint8_t packing = entropy < fixed ? kPackEntropy : kPackFixed;
  const uint64_t total = kTsFields + outlier_bytes + (packing == kPackEntropy ? entropy : fixed);
  if (total > capacity) {
    return Status::Error(StatusCode::kCodecBufferTooSmall, "payload needs {a} bytes, {b} available")
        .A(static_cast<int64_t>(total))
        .B(static_cast<int64_t>(capacity));
  }

  payload[0] = static_cast<uint8_t>(opt.bits);
  payload[1] = static_cast<uint8_t>(t);
  payload[2] = static_cast<uint8_t>(g.step);
  payload[3] = packing;
  PutU16(payload + 4, static_cast<uint16_t>(static_cast<int16_t>(g.kmin)));
  PutU16(payload + 6, 0);
  uint8_t* p = payload + kTsFields;
  p += WriteOutliers(q, n, zp, t, p, &k);
  if (packing == kPackEntropy) {
    p += WriteBlock(block, ws, n, p);
  } else {
    BitWriter w(p);
    for (uint64_t i = 0; i < n; ++i) {
      if (!IsOutlier(q[i], zp, t)) w.Put(ws[i], opt.bits);
    }
    p = w.Finish();
  }
  *payload_bytes = static_cast<size_t>(p - payload);
  return Status::Ok();
}

Status DecodeTs(const TensorMeta& meta, const uint8_t* payload, size_t size, uint8_t* ws, int8_t* out, uint64_t n,
                DecodeInfo* info) {
  const auto offset_of = [&](const uint8_t* q) { return static_cast<int64_t>(kHeaderBytes) + (q - payload); };
  const int32_t zp = meta.zero_point;
  if (size < kTsFields) {
    return Status::Error(StatusCode::kCodecTruncated, "fields need {a} bytes, payload has {b}")
        .A(static_cast<int64_t>(kTsFields))
        .B(static_cast<int64_t>(size));
  }
  const int32_t bits = payload[0], t = payload[1], step = payload[2];
  const uint8_t packing = payload[3];
  const int32_t kmin = static_cast<int16_t>(GetU16(payload + 4));
  if (bits < 1 || bits > 8) {
    return Status::Error(StatusCode::kCodecCorruptPayload, "{a} bits per value (1..8 allowed) (byte {offset})").A(bits).Offset(offset_of(payload));
  }
  if (step < 1) return Status::Error(StatusCode::kCodecCorruptPayload, "step 0 (byte {offset})").Offset(offset_of(payload + 2));
  if (packing > kPackEntropy) {
    return Status::Error(StatusCode::kCodecCorruptPayload, "unknown packing {a} (byte {offset})").A(packing).Offset(offset_of(payload + 3));
  }
  if (kmin < -255 || kmin > 255) {
    return Status::Error(StatusCode::kCodecCorruptPayload, "lowest level {a} out of range (byte {offset})").A(kmin).Offset(offset_of(payload + 4));
  }
  if (GetU16(payload + 6) != 0) {
    return Status::Error(StatusCode::kCodecCorruptPayload, "reserved field is not zero (byte {offset})").Offset(offset_of(payload + 6));
  }

  OutlierList outl;
  size_t used;
  Status st = ParseOutliers(payload + kTsFields, size - kTsFields, n, zp, t, static_cast<size_t>(offset_of(payload + kTsFields)), &outl, &used);
  if (!st.ok()) return st;
  const uint8_t* p = payload + kTsFields + used;
  const uint8_t* end = payload + size;
  const uint64_t inliers = n - outl.count;
  const int32_t lo = zp - t < -128 ? -128 : zp - t;
  const int32_t hi = zp + t > 127 ? 127 : zp + t;

  const uint8_t* codes = nullptr;
  BitReader br(p, static_cast<size_t>(end - p));
  if (packing == kPackEntropy) {
    st = ReadBlock(p, static_cast<size_t>(end - p), ws, n, static_cast<size_t>(offset_of(p)), &used, ContextTables(ws, n));
    if (!st.ok()) return st;
    if (p + used != end) {
      return Status::Error(StatusCode::kCodecTrailingBytes, "{a} bytes after the code plane (byte {offset})")
          .A(end - p - static_cast<int64_t>(used))
          .Offset(offset_of(p + used));
    }
    codes = ws;
  } else {
    st = CheckFixedCodes((inliers * static_cast<uint64_t>(bits) + 7) / 8, p, end, offset_of(p));
    if (!st.ok()) return st;
  }
  OutlierCursor cur(outl);
  const int32_t zero_code = -kmin;
  for (uint64_t i = 0; i < n; ++i) {
    if (cur.next() == i) {
      if (codes != nullptr && codes[i] != zero_code) {
        return Status::Error(StatusCode::kCodecCorruptPayload, "code {a} at outlier {b} (the zero point's code {c} expected)")
            .A(codes[i])
            .B(static_cast<int64_t>(i))
            .C(zero_code);
      }
      out[i] = cur.Take();
      continue;
    }
    uint32_t c;
    if (codes != nullptr) {
      c = codes[i];
      if (c >> bits) {
        return Status::Error(StatusCode::kCodecCorruptPayload, "code {a} at element {b} does not fit {c} bits")
            .A(c)
            .B(static_cast<int64_t>(i))
            .C(bits);
      }
    } else {
      br.EnsureBits(8);
      c = br.Take(bits);
    }
    out[i] = static_cast<int8_t>(ClampI32(zp + (kmin + static_cast<int32_t>(c)) * step, lo, hi));
  }
  if (codes == nullptr) {
    const uint64_t pad = ((inliers * bits + 7) / 8) * 8 - inliers * bits;
    if (pad > 0 && (br.Buffered() & ((uint64_t{1} << pad) - 1u)) != 0) {
      return Status::Error(StatusCode::kCodecCorruptPayload, "code padding bits are not zero");
    }
  }
  info->error_bound = step / 2;
  info->threshold = t;
  info->bits = bits;
  info->step = step;
  info->outliers = static_cast<int32_t>(outl.count);
  info->packing = packing;
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// tabq and ts+tabq

struct TabqEncoding {
  TabqLayout lay;
  TabqChoice choice;
  uint64_t outlier_bytes = 0;
  uint32_t outliers = 0;
  uint64_t size = 0;  // whole payload
};

void PlanTabq(const int8_t* q, uint64_t n, int32_t zp, int32_t t, bool split, const uint8_t* row_bits, int32_t budget,
              uint64_t row_length, uint64_t rows, uint8_t* ws, bool quick, TabqEncoding* e) {
  e->lay.row_length = row_length;
  e->lay.rows = rows;
  e->lay.budget = budget;
  TabqAnalyse(q, zp, t, row_bits, &e->lay, ws);
  TabqChoose(e->lay, ws, quick, &e->choice);
  e->outlier_bytes = split ? WriteOutliers(q, n, zp, t, nullptr, &e->outliers) : 0;
  e->size = (split ? kTsTabqFields : kTabqFields) + e->outlier_bytes + e->choice.size;
}

Status EncodeTabq(CodecId codec, const TensorMeta& meta, const int8_t* q, uint64_t n, const Options& opt, uint8_t* ws,
                  uint8_t* payload, size_t capacity, size_t* payload_bytes) {
  const bool split = codec == CodecId::kTsTabq;
  const int32_t zp = meta.zero_point;
  uint64_t row_length, rows;
  RowGeometry(meta, n, &row_length, &rows);
  uint8_t row_bits[256];
  MakeRowBits(opt.error_budget, row_bits);

  int32_t t = 255;  // tabq alone: nothing is an outlier
  TabqEncoding e;
  if (split && opt.threshold >= 0) {
    t = opt.threshold;
    PlanTabq(q, n, zp, t, true, row_bits, opt.error_budget, row_length, rows, ws, false, &e);
  } else if (split) {
    // Automatic threshold: the smallest payload (ranked with the quick one-context estimate) among
    // none, 0.5%, 2% and 5% of the elements as outliers.
    uint32_t hist[256];
    DistanceHistogram(q, n, zp, hist);
    static constexpr uint32_t kPerMille[] = {0, 5, 20, 50};
    uint64_t best = ~uint64_t{0};
    int32_t last = -1;
    for (uint32_t pm : kPerMille) {
      const int32_t cand = ThresholdFor(hist, n * pm / 1000);
      if (cand == last) continue;
      last = cand;
      PlanTabq(q, n, zp, cand, true, row_bits, opt.error_budget, row_length, rows, ws, true, &e);
      if (e.size < best) {
        best = e.size;
        t = cand;
      }
    }
    PlanTabq(q, n, zp, t, true, row_bits, opt.error_budget, row_length, rows, ws, false, &e);
  } else {
    PlanTabq(q, n, zp, t, false, row_bits, opt.error_budget, row_length, rows, ws, false, &e);
  }
  if (e.size > capacity) {
    return Status::Error(StatusCode::kCodecBufferTooSmall, "payload needs {a} bytes, {b} available")
        .A(static_cast<int64_t>(e.size))
        .B(static_cast<int64_t>(capacity));
  }

  uint8_t* p = payload;
  if (split) {
    p[0] = static_cast<uint8_t>(t);
    p[1] = static_cast<uint8_t>(opt.error_budget);
    p[2] = e.choice.packing;
    p[3] = 0;
    PutU32(p + 4, static_cast<uint32_t>(row_length));
    p += kTsTabqFields;
    uint32_t k;
    p += WriteOutliers(q, n, zp, t, p, &k);
  } else {
    p[0] = static_cast<uint8_t>(opt.error_budget);
    p[1] = e.choice.packing;
    PutU16(p + 2, 0);
    PutU32(p + 4, static_cast<uint32_t>(row_length));
    p += kTabqFields;
  }
  p += TabqWrite(q, zp, t, e.lay, ws, e.choice, p);
  *payload_bytes = static_cast<size_t>(p - payload);
  return Status::Ok();
}

Status DecodeTabq(CodecId codec, const TensorMeta& meta, const uint8_t* payload, size_t size, uint8_t* ws, int8_t* out,
                  uint64_t n, DecodeInfo* info) {
  const auto offset_of = [&](const uint8_t* q) { return static_cast<int64_t>(kHeaderBytes) + (q - payload); };
  const bool split = codec == CodecId::kTsTabq;
  const int32_t zp = meta.zero_point;
  uint64_t row_length, rows;
  RowGeometry(meta, n, &row_length, &rows);
  const size_t fields = split ? kTsTabqFields : kTabqFields;
  if (size < fields) {
    return Status::Error(StatusCode::kCodecTruncated, "fields need {a} bytes, payload has {b}")
        .A(static_cast<int64_t>(fields))
        .B(static_cast<int64_t>(size));
  }
  int32_t t = 255, budget;
  uint8_t packing;
  if (split) {
    t = payload[0];
    budget = payload[1];
    packing = payload[2];
    if (payload[3] != 0) {
      return Status::Error(StatusCode::kCodecCorruptPayload, "reserved field is not zero (byte {offset})").Offset(offset_of(payload + 3));
    }
  } else {
    budget = payload[0];
    packing = payload[1];
    if (GetU16(payload + 2) != 0) {
      return Status::Error(StatusCode::kCodecCorruptPayload, "reserved field is not zero (byte {offset})").Offset(offset_of(payload + 2));
    }
  }
  if (budget > 127) {
    return Status::Error(StatusCode::kCodecCorruptPayload, "error budget {a} (0..127 allowed) (byte {offset})")
        .A(budget)
        .Offset(offset_of(split ? payload + 1 : payload));
  }
  if (packing > kPackEntropy) {
    return Status::Error(StatusCode::kCodecCorruptPayload, "unknown packing {a} (byte {offset})")
        .A(packing)
        .Offset(offset_of(split ? payload + 2 : payload + 1));
  }
  const uint32_t stored_row = GetU32(payload + 4);
  if (stored_row != row_length) {
    return Status::Error(StatusCode::kCodecShapeMismatch, "row length {a}, the shape's last dimension is {b} (byte {offset})")
        .A(stored_row)
        .B(static_cast<int64_t>(row_length))
        .Offset(offset_of(payload + 4));
  }
  OutlierList outl;
  size_t used = 0;
  if (split) {
    const Status st = ParseOutliers(payload + fields, size - fields, n, zp, t, static_cast<size_t>(offset_of(payload + fields)), &outl, &used);
    if (!st.ok()) return st;
  }
  const uint8_t* p = payload + fields + used;
  const Status st = TabqDecode(p, static_cast<size_t>(payload + size - p), static_cast<size_t>(offset_of(p)), zp, budget, packing, outl,
                               row_length, rows, ws, ContextTables(ws, 2 * rows + n), out, info);
  if (!st.ok()) return st;
  if (split) {
    info->threshold = t;
    info->outliers = static_cast<int32_t>(outl.count);
  }
  return Status::Ok();
}

}  // namespace

void RowGeometry(const TensorMeta& meta, uint64_t n, uint64_t* row_length, uint64_t* rows) {
  const uint64_t c = meta.rank == 0 ? 1 : meta.dims[meta.rank - 1];
  *row_length = c;
  *rows = c == 0 ? 0 : n / c;
}

uint64_t LossyMaxPayload(CodecId codec, const TensorMeta& meta, uint64_t n) {
  uint64_t row_length, rows;
  RowGeometry(meta, n, &row_length, &rows);
  // Outliers: 4-byte count, at most 5 index bytes and one value byte each.
  const uint64_t outliers = 4 + 6 * n;
  switch (codec) {
    case CodecId::kTs:
      return kTsFields + outliers + MaxBlockSize(n);
    case CodecId::kTabq:
      return kTabqFields + 2 * rows + 3 + n;
    case CodecId::kTsTabq:
      return kTsTabqFields + outliers + 2 * rows + 3 + n;
    default:
      return 0;
  }
}

uint64_t LossyWorkspace(CodecId codec, const TensorMeta& meta, uint64_t n, bool decode) {
  uint64_t row_length, rows;
  RowGeometry(meta, n, &row_length, &rows);
  // The planes; decoding also needs the four context tables of a code plane.
  const uint64_t tables = decode ? kTableSpace : 0;
  switch (codec) {
    case CodecId::kTs:
      return n + tables;
    case CodecId::kTabq:
    case CodecId::kTsTabq:
      return 2 * rows + n + tables;
    default:
      return 0;
  }
}

Status EncodeLossy(CodecId codec, const TensorMeta& meta, const int8_t* q, uint64_t n, const Options& options, uint8_t* ws,
                   size_t ws_size, uint8_t* payload, size_t capacity, size_t* payload_bytes) {
  if (ws_size < LossyWorkspace(codec, meta, n, false)) {
    return Status::Error(StatusCode::kCodecBufferTooSmall, "encoding needs {a} bytes of workspace, {b} given")
        .A(static_cast<int64_t>(LossyWorkspace(codec, meta, n, false)))
        .B(static_cast<int64_t>(ws_size));
  }
  if (codec == CodecId::kTs) return EncodeTs(meta, q, n, options, ws, payload, capacity, payload_bytes);
  return EncodeTabq(codec, meta, q, n, options, ws, payload, capacity, payload_bytes);
}

Status DecodeLossy(CodecId codec, const TensorMeta& meta, const uint8_t* payload, size_t size, uint8_t* ws, size_t ws_size,
                   int8_t* out, uint64_t n, DecodeInfo* info) {
  if (ws_size < LossyWorkspace(codec, meta, n, true)) {
    return Status::Error(StatusCode::kCodecBufferTooSmall, "decoding needs {a} bytes of workspace, {b} given")
        .A(static_cast<int64_t>(LossyWorkspace(codec, meta, n, true)))
        .B(static_cast<int64_t>(ws_size));
  }
  if (codec == CodecId::kTs) return DecodeTs(meta, payload, size, ws, out, n, info);
  return DecodeTabq(codec, meta, payload, size, ws, out, n, info);
}

}  // namespace codec
}  // namespace cleave
