#include "codec/entropy.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "codec/bits.h"
#include "codec/internal.h"

namespace cleave {
namespace codec {

namespace {

inline int FloorLog2(uint32_t v) { return 31 - __builtin_clz(v); }

// ---------------------------------------------------------------------------------------------
// Code construction

// In-place minimum-redundancy code lengths (Moffat & Katajainen, 1995). `a` holds m >= 2 weights in
// non-decreasing order; on return a[i] is the code length of the i-th weight (a[0] the longest).
void MinimumRedundancy(uint32_t* a, int m) {
  a[0] += a[1];
  int root = 0, leaf = 2;
  for (int next = 1; next < m - 1; ++next) {
    if (leaf >= m || a[root] < a[leaf]) {
      a[next] = a[root];
      a[root++] = static_cast<uint32_t>(next);
    } else {
      a[next] = a[leaf++];
    }
    if (leaf >= m || (root < next && a[root] < a[leaf])) {
      a[next] += a[root];
      a[root++] = static_cast<uint32_t>(next);
    } else {
      a[next] += a[leaf++];
    }
  }
  a[m - 2] = 0;
  for (int next = m - 3; next >= 0; --next) a[next] = a[a[next]] + 1;
  int avail = 1, used = 0;
  uint32_t depth = 0;
  int root2 = m - 2, next = m - 1;
  while (avail > 0) {
    while (root2 >= 0 && a[root2] == depth) {
      ++used;
      --root2;
    }
    while (avail > used) {
      a[next--] = depth;
      --avail;
    }
    avail = 2 * used;
    ++depth;
    used = 0;
  }
}

// Code lengths (<= kMaxCodeBits) for the m symbols order[0..m) with freq[order[i]] > 0, sorted by
// non-decreasing frequency; every other symbol gets 0 (len must start zeroed), a lone symbol 1.
void BuildLengths(const uint32_t* freq, const uint16_t* order, int m, uint8_t* len) {
  if (m == 0) return;
  if (m == 1) {
    len[order[0]] = 1;
    return;
  }
  uint32_t a[kSymbols];
  for (int i = 0; i < m; ++i) a[i] = freq[order[i]];
  MinimumRedundancy(a, m);
  if (a[0] > static_cast<uint32_t>(kMaxCodeBits)) {
    // Too deep: fold the deep levels into the deepest allowed one and restore the Kraft sum by
    // splitting codes one level above (the construction zlib-family encoders use).
    uint32_t count[kMaxCodeBits + 1] = {0};
    for (int i = 0; i < m; ++i) ++count[std::min<uint32_t>(a[i], kMaxCodeBits)];
    uint32_t total = 0;
    for (int l = 1; l <= kMaxCodeBits; ++l) total += count[l] << (kMaxCodeBits - l);
    while (total != (1u << kMaxCodeBits)) {
      --count[kMaxCodeBits];
      for (int l = kMaxCodeBits - 1; l >= 1; --l) {
        if (count[l] != 0) {
          --count[l];
          count[l + 1] += 2;
          break;
        }
      }
      --total;
    }
    int i = 0;
    for (int l = kMaxCodeBits; l >= 1; --l) {
      for (uint32_t c = 0; c < count[l]; ++c) a[i++] = static_cast<uint32_t>(l);
    }
  }
  for (int i = 0; i < m; ++i) len[order[i]] = static_cast<uint8_t>(a[i]);
}

struct ReverseTable {
  uint8_t t[256];
};
constexpr ReverseTable MakeReverseTable() {
  ReverseTable x{};
  for (int i = 0; i < 256; ++i) {
    int r = 0;
    for (int b = 0; b < 8; ++b) r |= ((i >> b) & 1) << (7 - b);
    x.t[i] = static_cast<uint8_t>(r);
  }
  return x;
}
constexpr ReverseTable kReverse = MakeReverseTable();

// The low `bits` bits of `code`, reversed (bits <= 16).
inline uint16_t Reverse(uint16_t code, int bits) {
  const uint32_t r = (static_cast<uint32_t>(kReverse.t[code & 0xff]) << 8) | kReverse.t[code >> 8];
  return static_cast<uint16_t>(r >> (16 - bits));
}

// log2(x) for x >= 1 within about 0.01: exponent plus a quadratic in the mantissa. Only ranks the
// run thresholds before the exact Huffman construction decides.
inline float FastLog2(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  const float e = static_cast<float>(static_cast<int32_t>((u >> 23) & 0xff) - 128);
  u = (u & 0x007fffffu) | 0x3f800000u;
  float m;
  std::memcpy(&m, &u, 4);
  return e + (-0.34484843f * m + 2.02466578f) * m - 0.67487759f;
}

// f * log2(f), 0 for f = 0.
inline float FLogF(uint32_t f) { return f == 0 ? 0.0f : static_cast<float>(f) * FastLog2(static_cast<float>(f)); }

// Canonical codes (bit-reversed for LSB-first output) for valid lengths.
void AssignCodes(const uint8_t* len, uint16_t* codes) {
  uint32_t count[kMaxCodeBits + 1] = {0};
  for (int s = 0; s < kSymbols; ++s) ++count[len[s]];
  count[0] = 0;
  uint32_t next[kMaxCodeBits + 2] = {0};
  uint32_t code = 0;
  for (int l = 1; l <= kMaxCodeBits; ++l) {
    code = (code + count[l - 1]) << 1;
    next[l] = code;
  }
  for (int s = 0; s < kSymbols; ++s) {
    codes[s] = len[s] ? Reverse(static_cast<uint16_t>(next[len[s]]++), len[s]) : 0;
  }
}

// Code-length table: one nibble per symbol, low nibble first; 0..11 a length, 12 r: r+3 zeros,
// 13 lo hi: (hi*16 + lo) + 19 zeros. Appends at nibble `nib` of `out` (only counts when `out` is
// null, which must then be zeroed beforehand) and returns the nibble count after the table.
size_t WriteLengths(const uint8_t* len, uint8_t* out, size_t nib) {
  auto emit = [&](uint32_t v) {
    if (out != nullptr) out[nib >> 1] = static_cast<uint8_t>(out[nib >> 1] | (v << ((nib & 1) * 4)));
    ++nib;
  };
  int i = 0;
  while (i < kSymbols) {
    if (len[i] != 0) {
      emit(len[i++]);
      continue;
    }
    int j = i;
    while (j < kSymbols && len[j] == 0) ++j;
    int r = j - i;
    while (r > 0) {
      if (r >= 19) {
        const int c = std::min(r, 274);
        emit(13);
        emit(static_cast<uint32_t>(c - 19) & 15u);
        emit(static_cast<uint32_t>(c - 19) >> 4);
        r -= c;
      } else if (r >= 3) {
        emit(12);
        emit(static_cast<uint32_t>(r - 3));
        r = 0;
      } else {
        emit(0);
        --r;
      }
    }
    i = j;
  }
  return nib;
}

// ---------------------------------------------------------------------------------------------
// Statistics

// Per context: occurrences of each byte outside runs of the run byte, runs of each class starting
// there, and the run-byte positions there inside runs of each class (what those runs cost when
// they stay literals).
template <int K>
struct Stats {
  uint32_t literal[K][256];
  uint32_t run_count[K][kRunClasses];
  uint32_t run_sum[K][kRunClasses];
};

// The bytes a block codes: the data itself, or each byte minus the byte one row earlier.
struct PlainSource {
  const uint8_t* d;
  inline uint8_t operator()(size_t i) const { return d[i]; }
};
struct RowDeltaSource {
  const uint8_t* d;
  size_t distance;
  inline uint8_t operator()(size_t i) const { return i < distance ? d[i] : static_cast<uint8_t>(d[i] - d[i - distance]); }
};

// Which code a symbol at position i uses: always the one (K = 1), or the bucket of the byte one
// row earlier, which the decoder has already produced (K = 4).
struct NoContext {
  inline int operator()(size_t) const { return 0; }
};
inline int Bucket(uint8_t v) { return v < 3 ? v : 3; }
struct RowContext {
  const uint8_t* d;  // the bytes being coded (the decoder's output)
  size_t distance;
  uint8_t run_byte;
  inline int operator()(size_t i) const {
    return i < distance ? 0 : Bucket(static_cast<uint8_t>(d[i - distance] - run_byte));
  }
};

template <int K, typename Source, typename Context>
void Analyse(const Source& src, const Context& ctx, size_t n, uint8_t r, Stats<K>* st) {
  std::memset(st, 0, sizeof(*st));
  size_t i = 0;
  while (i < n) {
    const uint8_t b = src(i);
    const int c = ctx(i);
    if (b != r) {
      ++st->literal[c][b];
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < n && src(j) == r) ++j;
    const uint32_t run = static_cast<uint32_t>(j - i);
    const int k = FloorLog2(run);
    ++st->run_count[c][k];
    if (K == 1) {
      st->run_sum[0][k] += run;
    } else {
      for (size_t m = i; m < j; ++m) ++st->run_sum[ctx(m)][k];
    }
    i = j;
  }
}

// Bit j set where p[j] == r, for len <= 64 bytes (bits from len on are 0).
inline uint64_t EqualMask(const uint8_t* p, size_t len, uint8_t r) {
#if defined(__SSE2__)
  if (len == 64) {
    const __m128i rr = _mm_set1_epi8(static_cast<char>(r));
    uint64_t m = 0;
    for (int q = 0; q < 4; ++q) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * q));
      m |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, rr)))) << (16 * q);
    }
    return m;
  }
#endif
  uint64_t m = 0;
  for (size_t j = 0; j < len; ++j) m |= static_cast<uint64_t>(p[j] == r) << j;
  return m;
}

// Walks the data as maximal runs of r and the bytes between them, 64 bytes at a time, so that
// the branches follow runs rather than bytes: literal(byte) for each byte outside a run,
// run(start, length) for each run.
template <typename Literal, typename Run>
void ScanRuns(const uint8_t* d, size_t n, uint8_t r, Literal literal, Run run) {
  size_t run_start = 0;
  bool in_run = false;
  for (size_t base = 0; base < n; base += 64) {
    const size_t len = n - base < 64 ? n - base : 64;
    const uint64_t m = EqualMask(d + base, len, r);
    size_t j = 0;
    while (j < len) {
      const uint64_t rest = m >> j;
      if (in_run) {
        const uint64_t other = ~rest;  // bytes that are not r (and every bit past the chunk)
        const size_t k = other == 0 ? 64 : static_cast<size_t>(__builtin_ctzll(other));
        if (j + k >= len) break;  // the run goes on into the next chunk (or to the end)
        run(run_start, base + j + k - run_start);
        in_run = false;
        j += k;
      } else {
        const size_t k = rest == 0 ? len - j : static_cast<size_t>(__builtin_ctzll(rest));
        for (size_t q = base + j, e = base + j + k; q < e; ++q) literal(d[q]);
        j += k;
        if (j < len) {
          run_start = base + j;
          in_run = true;
        }
      }
    }
  }
  if (in_run) run(run_start, n - run_start);
}

template <>
void Analyse<1, PlainSource, NoContext>(const PlainSource& src, const NoContext&, size_t n, uint8_t r, Stats<1>* st) {
  std::memset(st, 0, sizeof(*st));
  const uint8_t* d = src.d;
  uint32_t* literal = st->literal[0];
  uint32_t* count = st->run_count[0];
  uint32_t* sum = st->run_sum[0];
  ScanRuns(
      d, n, r, [literal](uint8_t b) { ++literal[b]; },
      [count, sum](size_t, size_t length) {
        const int k = FloorLog2(static_cast<uint32_t>(length));
        ++count[k];
        sum[k] += static_cast<uint32_t>(length);
      });
}

// Statistics with the most frequent byte as the run byte (`hint` is tried first); one context.
template <typename Source>
uint8_t AnalyseBest(const Source& src, size_t n, uint8_t hint, Stats<1>* st) {
  Analyse<1>(src, NoContext{}, n, hint, st);
  uint32_t in_runs = 0;
  for (int k = 0; k < kRunClasses; ++k) in_runs += st->run_sum[0][k];
  int best = 0;
  for (int b = 1; b < 256; ++b) {
    if (st->literal[0][b] > st->literal[0][best]) best = b;
  }
  if (st->literal[0][best] <= in_runs) return hint;
  Analyse<1>(src, NoContext{}, n, static_cast<uint8_t>(best), st);
  return static_cast<uint8_t>(best);
}

// ---------------------------------------------------------------------------------------------
// Choosing the codes

// Runs shorter than 2^t stay literals of the run byte, longer ones become tokens.
constexpr uint8_t kCandidates[] = {1, 2, 3, 4, 5, 6, 8, kRunClasses};
constexpr int kNumCandidates = sizeof(kCandidates);

// One context's literals other than the run byte, sorted by frequency (they keep their
// frequencies whatever the threshold), and their order-0 information.
struct SortedLiterals {
  uint16_t sym[kLiteralSymbols];
  int count = 0;
  uint64_t total = 0;
  float flogf = 0.0f;
};

void SortLiterals(const uint32_t* literal, uint8_t run_byte, SortedLiterals* s) {
  s->count = 0;
  s->total = 0;
  s->flogf = 0.0f;
  for (int b = 0; b < kLiteralSymbols; ++b) {
    if (b != run_byte && literal[b] != 0) {
      s->sym[s->count++] = static_cast<uint16_t>(b);
      s->total += literal[b];
      s->flogf += FLogF(literal[b]);
    }
  }
  std::sort(s->sym, s->sym + s->count, [literal](uint16_t x, uint16_t y) { return literal[x] < literal[y]; });
}

// Estimated bits of one context's symbols for threshold t: their information, where a Huffman code
// still spends at least one bit on a symbol.
float EstimateBits(const uint32_t* literal, const uint32_t* run_count, const uint32_t* run_sum, const SortedLiterals& s,
                   int t) {
  uint64_t count = s.total, extra = 0;
  uint32_t run_literal = 0;
  for (int k = 0; k < t && k < kRunClasses; ++k) run_literal += run_sum[k];
  for (int k = t; k < kRunClasses; ++k) {
    count += run_count[k];
    extra += static_cast<uint64_t>(run_count[k]) * static_cast<uint64_t>(k);
  }
  count += run_literal;
  if (count == 0) return 0.0f;
  const float log_n = FastLog2(static_cast<float>(count));
  auto cost = [log_n](uint32_t f) {
    if (f == 0) return 0.0f;
    const float bits = log_n - FastLog2(static_cast<float>(f));
    return static_cast<float>(f) * (bits < 1.0f ? 1.0f : bits);
  };
  float e = static_cast<float>(extra) + static_cast<float>(s.total) * log_n - s.flogf;
  if (s.count > 0) {  // the most frequent literal may deserve the one-bit floor too
    const uint32_t top = literal[s.sym[s.count - 1]];
    e += cost(top) - static_cast<float>(top) * (log_n - FastLog2(static_cast<float>(top)));
  }
  e += cost(run_literal);
  for (int k = t; k < kRunClasses; ++k) e += cost(run_count[k]);
  return e;
}

// Exact code lengths of one context for threshold t; returns its bits (symbols and extra bits).
uint64_t BuildContext(const uint32_t* literal, const uint32_t* run_count, const uint32_t* run_sum, const SortedLiterals& s,
                      uint8_t run_byte, int t, uint8_t* len) {
  uint32_t freq[kSymbols];
  std::memcpy(freq, literal, kLiteralSymbols * sizeof(uint32_t));
  uint16_t changed[1 + kRunClasses];
  int nchanged = 0;
  freq[run_byte] = 0;
  uint64_t extra = 0;
  for (int k = 0; k < kRunClasses; ++k) {
    const int sym = kLiteralSymbols + k;
    if (k < t) {
      freq[run_byte] += run_sum[k];
      freq[sym] = 0;
    } else {
      freq[sym] = run_count[k];
      extra += static_cast<uint64_t>(run_count[k]) * static_cast<uint64_t>(k);
      if (freq[sym] != 0) changed[nchanged++] = static_cast<uint16_t>(sym);
    }
  }
  if (freq[run_byte] != 0) changed[nchanged++] = run_byte;
  // Insertion sort of the few changed symbols, then a merge with the sorted literals.
  for (int i = 1; i < nchanged; ++i) {
    const uint16_t x = changed[i];
    int j = i;
    while (j > 0 && freq[changed[j - 1]] > freq[x]) {
      changed[j] = changed[j - 1];
      --j;
    }
    changed[j] = x;
  }
  uint16_t order[kSymbols];
  int m = 0, i = 0, j = 0;
  while (i < s.count || j < nchanged) {
    if (j >= nchanged || (i < s.count && freq[s.sym[i]] <= freq[changed[j]])) order[m++] = s.sym[i++];
    else order[m++] = changed[j++];
  }
  std::memset(len, 0, kSymbols);
  BuildLengths(freq, order, m, len);
  uint64_t bits = extra;
  for (int q = 0; q < m; ++q) bits += static_cast<uint64_t>(freq[order[q]]) * len[order[q]];
  return bits;
}

// The smallest Huffman form for these statistics with `head` bytes before the code tables: fills
// the code fields of `plan` (kind, distance and codes excepted) and returns its size when it is
// below `limit`; otherwise returns `limit` and leaves `plan` alone.
template <int K, int P>
uint64_t ChooseCode(const Stats<K>& st, uint8_t run_byte, size_t head, uint64_t limit, BlockPlanT<P>* plan) {
  static_assert(K <= P, "plan too small");
  SortedLiterals sorted[K];
  for (int c = 0; c < K; ++c) SortLiterals(st.literal[c], run_byte, &sorted[c]);
  float estimate[kNumCandidates];
  for (int i = 0; i < kNumCandidates; ++i) {
    estimate[i] = 0.0f;
    for (int c = 0; c < K; ++c) {
      estimate[i] += EstimateBits(st.literal[c], st.run_count[c], st.run_sum[c], sorted[c], kCandidates[i]);
    }
  }
  int first = 0, second = -1;
  for (int i = 1; i < kNumCandidates; ++i) {
    if (estimate[i] < estimate[first]) {
      second = first;
      first = i;
    } else if (second < 0 || estimate[i] < estimate[second]) {
      second = i;
    }
  }
  uint64_t best = limit;
  uint8_t len[K][kSymbols];
  for (int cand : {first, second}) {
    if (cand < 0) continue;
    const int t = kCandidates[cand];
    uint64_t bits = 0;
    size_t nibbles = 0;
    for (int c = 0; c < K; ++c) {
      bits += BuildContext(st.literal[c], st.run_count[c], st.run_sum[c], sorted[c], run_byte, t, len[c]);
      nibbles = WriteLengths(len[c], nullptr, nibbles);
    }
    const uint64_t table = (nibbles + 1) / 2;
    const uint64_t stream = (bits + 7) / 8;
    const uint64_t total = head + table + 4 + stream;
    if (total < best) {
      best = total;
      plan->run_byte = run_byte;
      plan->min_run_class = static_cast<uint8_t>(t);
      std::memset(plan->lengths, 0, sizeof(plan->lengths));
      for (int c = 0; c < K; ++c) std::memcpy(plan->lengths[c], len[c], kSymbols);
      plan->table_bytes = static_cast<uint32_t>(table);
      plan->stream_bytes = static_cast<uint32_t>(stream);
      plan->size = static_cast<size_t>(total);
    }
  }
  return best;
}

// Worth trying row prediction? Only when many bytes repeat the byte one row earlier without both
// being the hint (zero-point runs are coded well already): a sample of up to 1024 bytes decides.
bool RowsRepeat(const uint8_t* d, size_t n, size_t distance, uint8_t hint) {
  if (distance == 0 || distance >= n) return false;
  const size_t end = n < distance + 1024 ? n : distance + 1024;
  size_t same = 0, other = 0;
  for (size_t i = distance; i < end; ++i) {
    const uint8_t b = d[i];
    if (b == d[i - distance]) same += b != hint;
    else ++other;
  }
  return same > other;
}

// Kinds 0, 1, 2 into `plan` (whose size is the stored size on entry).
template <int P>
void PlanSingle(const uint8_t* data, size_t n, uint8_t hint, size_t row_distance, BlockPlanT<P>* plan) {
  Stats<1> st;
  uint8_t run_byte = AnalyseBest(PlainSource{data}, n, hint, &st);
  const uint64_t stored = plan->size;
  if (ChooseCode<1>(st, run_byte, 2, stored, plan) < stored) plan->kind = kBlockHuffman;
  if (RowsRepeat(data, n, row_distance, hint)) {
    run_byte = AnalyseBest(RowDeltaSource{data, row_distance}, n, 0, &st);
    const uint64_t before = plan->size;
    if (ChooseCode<1>(st, run_byte, 6, before, plan) < before) {
      plan->kind = kBlockRowHuffman;
      plan->distance = static_cast<uint32_t>(row_distance);
    }
  }
}

template <int P>
void FinishPlan(BlockPlanT<P>* plan) {
  const int contexts = plan->kind == kBlockContextHuffman ? P : 1;
  for (int c = 0; c < contexts; ++c) AssignCodes(plan->lengths[c], plan->codes[c]);
}

// ---------------------------------------------------------------------------------------------
// Writing

template <int K, typename Source, typename Context>
void WriteStream(const uint8_t (*lens)[kSymbols], const uint16_t (*codes)[kSymbols], uint8_t r, int min_class,
                 const Source& src, const Context& ctx, size_t n, uint8_t* p) {
  BitWriter w(p);
  size_t i = 0;
  while (i < n) {
    const uint8_t b = src(i);
    const int c = ctx(i);
    if (b != r) {
      w.Put(codes[c][b], lens[c][b]);
      ++i;
      continue;
    }
    size_t j = i + 1;
    while (j < n && src(j) == r) ++j;
    const uint32_t run = static_cast<uint32_t>(j - i);
    const int k = FloorLog2(run);
    if (k >= min_class) {
      w.Put(codes[c][kLiteralSymbols + k], lens[c][kLiteralSymbols + k]);
      if (k > 0) w.Put(run ^ (1u << k), k);
    } else if (K == 1) {
      for (uint32_t m = 0; m < run; ++m) w.Put(codes[0][r], lens[0][r]);
    } else {
      for (size_t m = i; m < j; ++m) {
        const int cm = ctx(m);
        w.Put(codes[cm][r], lens[cm][r]);
      }
    }
    i = j;
  }
  w.Finish();
}

template <>
void WriteStream<1, PlainSource, NoContext>(const uint8_t (*lens)[kSymbols], const uint16_t (*codes)[kSymbols], uint8_t r,
                                            int min_class, const PlainSource& src, const NoContext&, size_t n, uint8_t* p) {
  BitWriter w(p);
  const uint16_t* c = codes[0];
  const uint8_t* l = lens[0];
  // Code and length in one word: one load per literal.
  uint32_t entry[kLiteralSymbols];
  for (int b = 0; b < kLiteralSymbols; ++b) entry[b] = static_cast<uint32_t>(c[b]) | (static_cast<uint32_t>(l[b]) << 16);
  ScanRuns(
      src.d, n, r, [&w, &entry](uint8_t b) { w.Put(entry[b] & 0xffffu, static_cast<int>(entry[b] >> 16)); },
      [&w, c, l, r, min_class](size_t, size_t length) {
        const uint32_t run = static_cast<uint32_t>(length);
        const int k = FloorLog2(run);
        if (k >= min_class) {
          w.Put(c[kLiteralSymbols + k], l[kLiteralSymbols + k]);
          if (k > 0) w.Put(run ^ (1u << k), k);
        } else {
          for (uint32_t m = 0; m < run; ++m) w.Put(c[r], l[r]);
        }
      });
  w.Finish();
}

template <int P>
size_t WriteBlockT(const BlockPlanT<P>& plan, const uint8_t* data, size_t n, uint8_t* out) {
  if (plan.kind == kBlockStored) {
    out[0] = kBlockStored;
    if (n != 0) std::memcpy(out + 1, data, n);
    return 1 + n;
  }
  uint8_t* p = out;
  *p++ = plan.kind;
  if (plan.kind != kBlockHuffman) {
    PutU32(p, plan.distance);
    p += 4;
  }
  *p++ = plan.run_byte;
  std::memset(p, 0, plan.table_bytes);
  const int contexts = plan.kind == kBlockContextHuffman ? P : 1;
  size_t nib = 0;
  for (int c = 0; c < contexts; ++c) nib = WriteLengths(plan.lengths[c], p, nib);
  p += plan.table_bytes;
  PutU32(p, plan.stream_bytes);
  p += 4;
  switch (plan.kind) {
    case kBlockHuffman:
      WriteStream<1>(plan.lengths, plan.codes, plan.run_byte, plan.min_run_class, PlainSource{data}, NoContext{}, n, p);
      break;
    case kBlockRowHuffman:
      WriteStream<1>(plan.lengths, plan.codes, plan.run_byte, plan.min_run_class, RowDeltaSource{data, plan.distance},
                     NoContext{}, n, p);
      break;
    default:
      WriteStream<P>(plan.lengths, plan.codes, plan.run_byte, plan.min_run_class, PlainSource{data},
                     RowContext{data, plan.distance, plan.run_byte}, n, p);
      break;
  }
  return plan.size;
}

// ---------------------------------------------------------------------------------------------
// Reading

// Builds the decoding table of one code (validated lengths).
void BuildTable(const uint8_t* len, uint16_t* table) {
  uint16_t codes[kSymbols];
  AssignCodes(len, codes);
  std::memset(table, 0, (size_t{1} << kMaxCodeBits) * sizeof(uint16_t));
  for (int s = 0; s < kSymbols; ++s) {
    if (len[s] == 0) continue;
    const uint16_t entry = static_cast<uint16_t>((s << 4) | len[s]);
    for (uint32_t j = codes[s]; j < (1u << kMaxCodeBits); j += 1u << len[s]) table[j] = entry;
  }
}

// Decodes n bytes; `tables` holds one table per context. The failure of a bad stream names
// `block_offset`, where its block starts in the wire tensor.
template <int K>
Status DecodeStream(const uint16_t* tables, uint8_t run_byte, size_t distance, const uint8_t* stream, size_t stream_bytes,
                    uint8_t* out, size_t n, size_t block_offset) {
  BitReader br(stream, stream_bytes);
  const RowContext ctx{out, distance, run_byte};
  size_t pos = 0;
  while (pos < n) {
    br.Refill();
    const uint16_t* table = K == 1 ? tables : tables + (static_cast<size_t>(ctx(pos)) << kMaxCodeBits);
    const uint16_t e = table[br.Peek(kMaxCodeBits)];
    const int l = e & 15;
    if (l == 0) {
      return Status::Error(StatusCode::kCodecCorruptPayload, "entropy block at byte {offset}: invalid Huffman code at output byte {a}")
          .A(static_cast<int64_t>(pos))
          .Offset(static_cast<int64_t>(block_offset));
    }
    br.Skip(l);
    const int sym = e >> 4;
    if (sym < kLiteralSymbols) {
      out[pos++] = static_cast<uint8_t>(sym);
      continue;
    }
    const int k = sym - kLiteralSymbols;
    const uint64_t run = (uint64_t{1} << k) | (k > 0 ? br.Take(k) : 0u);
    if (run > n - pos) {
      return Status::Error(StatusCode::kCodecShapeMismatch,
                           "entropy block at byte {offset}: run of {a} bytes at output byte {b} overruns the {c} expected")
          .A(static_cast<int64_t>(run))
          .B(static_cast<int64_t>(pos))
          .C(static_cast<int64_t>(n))
          .Offset(static_cast<int64_t>(block_offset));
    }
    std::memset(out + pos, run_byte, static_cast<size_t>(run));
    pos += static_cast<size_t>(run);
  }
  const uint64_t used_bits = br.ConsumedBits();
  const uint64_t have_bits = static_cast<uint64_t>(stream_bytes) * 8;
  if (used_bits > have_bits) {
    return Status::Error(StatusCode::kCodecTruncated, "entropy block at byte {offset}: Huffman stream ends {a} bits early")
        .A(static_cast<int64_t>(used_bits - have_bits))
        .Offset(static_cast<int64_t>(block_offset));
  }
  const uint64_t pad = have_bits - used_bits;
  if (pad >= 8) {
    return Status::Error(StatusCode::kCodecTrailingBytes, "entropy block at byte {offset}: {a} unused bytes after the Huffman stream")
        .A(static_cast<int64_t>(pad / 8))
        .Offset(static_cast<int64_t>(block_offset));
  }
  if (pad > 0 && (br.Buffered() & ((uint64_t{1} << pad) - 1u)) != 0) {
    return Status::Error(StatusCode::kCodecCorruptPayload, "entropy block at byte {offset}: Huffman stream padding is not zero")
        .Offset(static_cast<int64_t>(block_offset));
  }
  return Status::Ok();
}

}  // namespace

size_t PlanBlock(const uint8_t* data, size_t n, uint8_t hint, size_t row_distance, BlockPlan* plan) {
  plan->kind = kBlockStored;
  plan->distance = 0;
  plan->size = MaxBlockSize(n);
  if (n != 0) PlanSingle(data, n, hint, row_distance, plan);
  FinishPlan(plan);
  return plan->size;
}

size_t PlanContextBlock(const uint8_t* data, size_t n, uint8_t hint, size_t row_distance, ContextBlockPlan* plan) {
  plan->kind = kBlockStored;
  plan->distance = 0;
  plan->size = MaxBlockSize(n);
  if (n != 0) PlanSingle(data, n, hint, row_distance, plan);
  if (row_distance != 0 && row_distance < n) {
    Stats<kMaxContexts> st;
    Analyse<kMaxContexts>(PlainSource{data}, RowContext{data, row_distance, hint}, n, hint, &st);
    const uint64_t before = plan->size;
    if (ChooseCode<kMaxContexts>(st, hint, 6, before, plan) < before) {
      plan->kind = kBlockContextHuffman;
      plan->distance = static_cast<uint32_t>(row_distance);
    }
  }
  FinishPlan(plan);
  return plan->size;
}

size_t WriteBlock(const BlockPlan& plan, const uint8_t* data, size_t n, uint8_t* out) { return WriteBlockT(plan, data, n, out); }
size_t WriteBlock(const ContextBlockPlan& plan, const uint8_t* data, size_t n, uint8_t* out) {
  return WriteBlockT(plan, data, n, out);
}

Status ReadBlock(const uint8_t* in, size_t avail, uint8_t* out, size_t n, size_t block_offset, size_t* consumed,
                 uint16_t* context_tables) {
  const int64_t at = static_cast<int64_t>(block_offset);
  if (avail < 1) return Status::Error(StatusCode::kCodecTruncated, "entropy block at byte {offset} missing (0 bytes left)").Offset(at);
  const uint8_t kind = in[0];
  if (kind == kBlockStored) {
    if (avail - 1 < n) {
      return Status::Error(StatusCode::kCodecTruncated, "entropy block at byte {offset}: stored block needs {a} bytes, {b} left")
          .A(static_cast<int64_t>(n))
          .B(static_cast<int64_t>(avail - 1))
          .Offset(at);
    }
    if (n != 0) std::memcpy(out, in + 1, n);
    *consumed = 1 + n;
    return Status::Ok();
  }
  if (kind > kBlockContextHuffman) {
    return Status::Error(StatusCode::kCodecCorruptPayload, "entropy block at byte {offset}: unknown block kind {a}").A(kind).Offset(at);
  }
  if (kind == kBlockContextHuffman && context_tables == nullptr) {
    return Status::Error(StatusCode::kCodecCorruptPayload, "entropy block at byte {offset}: context-coded where none may be").Offset(at);
  }
  if (n == 0) {
    return Status::Error(StatusCode::kCodecCorruptPayload, "entropy block at byte {offset}: Huffman block for an empty plane").Offset(at);
  }
  // kind, [row distance], run byte
  const size_t fixed = kind == kBlockHuffman ? 2 : 6;
  if (avail < fixed) {
    return Status::Error(StatusCode::kCodecTruncated, "entropy block at byte {offset}: Huffman block header truncated").Offset(at);
  }
  size_t distance = 0;
  if (kind != kBlockHuffman) {
    distance = GetU32(in + 1);
    if (distance == 0 || distance >= n) {
      return Status::Error(StatusCode::kCodecCorruptPayload, "entropy block at byte {offset}: row distance {a} for {b} bytes")
          .A(static_cast<int64_t>(distance))
          .B(static_cast<int64_t>(n))
          .Offset(at);
    }
  }
  const uint8_t run_byte = in[fixed - 1];
  const int contexts = kind == kBlockContextHuffman ? kMaxContexts : 1;

  // Code lengths: one table per context, one nibble stream.
  uint8_t len[kMaxContexts][kSymbols];
  size_t nib = 0;
  const size_t max_nibbles = (avail - fixed) * 2;
  auto nibble = [&](uint32_t* v) {
    if (nib >= max_nibbles) return false;
    const uint8_t byte = in[fixed + (nib >> 1)];
    *v = (nib & 1) ? (byte >> 4) : (byte & 15u);
    ++nib;
    return true;
  };
  for (int c = 0; c < contexts; ++c) {
    int filled = 0;
    while (filled < kSymbols) {
      uint32_t v;
      if (!nibble(&v)) {
        return Status::Error(StatusCode::kCodecTruncated,
                             "entropy block at byte {offset}: code-length table {a} truncated after {b} of {c} symbols")
            .A(c)
            .B(filled)
            .C(kSymbols)
            .Offset(at);
      }
      if (v <= static_cast<uint32_t>(kMaxCodeBits)) {
        len[c][filled++] = static_cast<uint8_t>(v);
        continue;
      }
      uint32_t zeros;
      if (v == 12) {
        uint32_t x;
        if (!nibble(&x)) {
          return Status::Error(StatusCode::kCodecTruncated, "entropy block at byte {offset}: code-length table {a} truncated").A(c).Offset(at);
        }
        zeros = x + 3;
      } else if (v == 13) {
        uint32_t lo, hi;
        if (!nibble(&lo) || !nibble(&hi)) {
          return Status::Error(StatusCode::kCodecTruncated, "entropy block at byte {offset}: code-length table {a} truncated").A(c).Offset(at);
        }
        zeros = hi * 16 + lo + 19;
      } else {
        return Status::Error(StatusCode::kCodecCorruptPayload, "entropy block at byte {offset}: invalid code-length nibble {a} at symbol {b}")
            .A(v)
            .B(filled)
            .Offset(at);
      }
      if (zeros > static_cast<uint32_t>(kSymbols - filled)) {
        return Status::Error(StatusCode::kCodecCorruptPayload, "entropy block at byte {offset}: code-length run of {a} zeros overruns the {b} symbols")
            .A(zeros)
            .B(kSymbols)
            .Offset(at);
      }
      for (uint32_t z = 0; z < zeros; ++z) len[c][filled++] = 0;
    }
    // Each code must be a complete prefix code, a single one-bit code, or (contexts only) empty.
    uint32_t kraft = 0;
    int used = 0;
    for (int s = 0; s < kSymbols; ++s) {
      if (len[c][s] != 0) {
        kraft += 1u << (kMaxCodeBits - len[c][s]);
        ++used;
      }
    }
    const bool single = used == 1 && kraft == (1u << (kMaxCodeBits - 1));
    const bool empty = used == 0 && contexts > 1;
    if (!single && !empty && kraft != (1u << kMaxCodeBits)) {
      return Status::Error(StatusCode::kCodecCorruptPayload,
                           "entropy block at byte {offset}: code lengths {a} do not form a complete prefix code ({b} symbols)")
          .A(c)
          .B(used)
          .Offset(at);
    }
  }
  if ((nib & 1) != 0 && (in[fixed + (nib >> 1)] >> 4) != 0) {
    return Status::Error(StatusCode::kCodecCorruptPayload, "entropy block at byte {offset}: code-length table padding is not zero").Offset(at);
  }
  const size_t head = fixed + (nib + 1) / 2;
  if (avail < head + 4) {
    return Status::Error(StatusCode::kCodecTruncated, "entropy block at byte {offset}: Huffman stream length missing").Offset(at);
  }
  const uint32_t stream_bytes = GetU32(in + head);
  if (stream_bytes > avail - head - 4) {
    return Status::Error(StatusCode::kCodecTruncated, "entropy block at byte {offset}: Huffman stream of {a} bytes, only {b} left")
        .A(stream_bytes)
        .B(static_cast<int64_t>(avail - head - 4))
        .Offset(at);
  }
  const uint8_t* stream = in + head + 4;
  Status st;
  if (kind == kBlockContextHuffman) {
    for (int c = 0; c < contexts; ++c) BuildTable(len[c], context_tables + (static_cast<size_t>(c) << kMaxCodeBits));
    st = DecodeStream<kMaxContexts>(context_tables, run_byte, distance, stream, stream_bytes, out, n, block_offset);
  } else {
    uint16_t table[size_t{1} << kMaxCodeBits];
    BuildTable(len[0], table);
    st = DecodeStream<1>(table, run_byte, 0, stream, stream_bytes, out, n, block_offset);
    // Undo the row prediction.
    if (st.ok() && kind == kBlockRowHuffman) {
      for (size_t i = distance; i < n; ++i) out[i] = static_cast<uint8_t>(out[i] + out[i - distance]);
    }
  }
  if (!st.ok()) return st;
  *consumed = head + 4 + stream_bytes;
  return Status::Ok();
}

}  // namespace codec
}  // namespace cleave
