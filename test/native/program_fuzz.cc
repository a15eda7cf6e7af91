// The Program loader under AddressSanitizer and UBSan (test/native/program-fuzz.test.ts builds and
// runs it): the firmware-clean core alone (loader, op validation, interpreter, reference kernels),
// fed seeded mutants of real Programs with their checksums re-signed, so they reach validation.
// Every mutant must be refused or run inside its buffers; the sanitizers end the process at the
// first bad access. Also checks ProgramStreamVerifier: any chunking gives the same verdict, and a
// damaged section is named.
//
//   program_fuzz MUTANTS SEED PROGRAM...   prints "ok loaded L rejected R" and exits 0
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/crc32.h"
#include "interp/interpreter.h"
#include "interp/program.h"
#include "kernels/int4.h"

using cleave::Program;
using cleave::ProgramStreamVerifier;
using cleave::Status;
using cleave::StatusCode;
using Bytes = std::vector<uint8_t>;

namespace {

uint64_t rng_state = 1;
uint32_t Rand() {  // xorshift64*
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return static_cast<uint32_t>((rng_state * 2685821657736338717ull) >> 32);
}

uint32_t Get32(const Bytes& b, size_t at) { return Program::ReadU32(b.data() + at); }
void Put32(Bytes* b, size_t at, uint32_t v) {
  for (int k = 0; k < 4; ++k) (*b)[at + k] = static_cast<uint8_t>(v >> (8 * k));
}
uint16_t Version(const Bytes& b) { return static_cast<uint16_t>(b[4] | (b[5] << 8)); }

int failures = 0;
void Check(bool ok, const char* what, const char* file) {
  if (!ok) {
    std::printf("not ok %s (%s)\n", what, file);
    ++failures;
  }
}

// Checksums recomputed over whatever the bytes now say, as src/compile/program.ts signProgram().
void Sign(Bytes* b) {
  if (b->size() < cleave::kHeaderBytes) return;
  if (Version(*b) != cleave::kProgramFormatV2) {
    Put32(b, 12, cleave::Crc32(b->data() + 16, b->size() - 16));
    return;
  }
  uint32_t count = Get32(*b, 12);
  const size_t fit = (b->size() - cleave::kHeaderBytes) / cleave::kSectionEntryBytes;
  if (count > fit) count = static_cast<uint32_t>(fit);
  for (uint32_t i = 0; i < count; ++i) {
    const size_t at = cleave::kHeaderBytes + i * cleave::kSectionEntryBytes;
    const uint64_t offset = Get32(*b, at + 4), size = Get32(*b, at + 8);
    if (offset + size <= b->size()) Put32(b, at + 12, cleave::Crc32(b->data() + offset, size));
  }
  Put32(b, 24, cleave::Crc32(b->data() + cleave::kHeaderBytes, count * cleave::kSectionEntryBytes));
  Put32(b, 60, cleave::Crc32(b->data(), 60));
}

// Where a valid Program keeps its fields.
struct Fields {
  size_t header_end = 0;
  std::vector<size_t> tensor_records;
  std::vector<size_t> op_words;
};

Fields FindFields(const Bytes& b) {
  Fields f;
  size_t tensor_table = Get32(b, 24), op_table = Get32(b, 32);
  f.header_end = cleave::kHeaderBytes;
  if (Version(b) == cleave::kProgramFormatV2) {
    f.header_end += Get32(b, 12) * cleave::kSectionEntryBytes;
    for (size_t at = cleave::kHeaderBytes; at < f.header_end; at += cleave::kSectionEntryBytes) {
      if (Get32(b, at) == uint32_t(cleave::SectionKind::kTensors)) tensor_table = Get32(b, at + 4);
      if (Get32(b, at) == uint32_t(cleave::SectionKind::kOps)) op_table = Get32(b, at + 4);
    }
  }
  for (uint32_t i = 0; i < Get32(b, 20); ++i) f.tensor_records.push_back(tensor_table + i * cleave::kTensorRecordBytes);
  size_t at = op_table;
  for (uint32_t i = 0; i < Get32(b, 28); ++i) {
    const uint32_t size = Get32(b, at + 4);
    for (size_t w = at; w < at + size; w += 4) f.op_words.push_back(w);
    at += size;
  }
  return f;
}

const uint32_t kBoundary[] = {0, 1, 0x7FFFFFFFu, 0x80000000u, 0xFFFFFFFFu};
const uint8_t kByteBoundary[] = {0, 1, 0x7F, 0x80, 0xFF};

Bytes Mutate(const Bytes& original, const Fields& f) {
  Bytes b = original;
  auto pick = [](const std::vector<size_t>& v) { return v[Rand() % v.size()]; };
  switch (Rand() % 5) {
    case 0: {  // bit flips anywhere
      const int flips = 1 + Rand() % 8;
      for (int i = 0; i < flips; ++i) b[Rand() % b.size()] ^= static_cast<uint8_t>(1u << (Rand() % 8));
      break;
    }
    case 1:  // truncation
      b.resize(Rand() % b.size());
      break;
    case 2:  // a header or section-table word set to a boundary value
      Put32(&b, 4 + 4 * (Rand() % ((f.header_end - 4) / 4)), kBoundary[Rand() % 5]);
      break;
    case 3: {  // a tensor-record field or an op word set to a boundary value
      if (Rand() % 2 && !f.op_words.empty()) {
        Put32(&b, pick(f.op_words), kBoundary[Rand() % 5]);
        break;
      }
      const size_t r = pick(f.tensor_records), field = Rand() % 15;
      if (field < 4) b[r + field] = kByteBoundary[Rand() % 5];
      else Put32(&b, r + 4 * (field - 3), kBoundary[Rand() % 5]);
      break;
    }
    default: {
      // Shape edits, each tensor's byte size recomputed from its dims (wrapping at 32 bits as a
      // careless writer would) and half the time the arena resized to the new extent: one dim of
      // one tensor, or the same dims of every tensor of that rank set to large values at once, so
      // ops still see consistent shapes whose element counts overflow.
      const size_t chosen = pick(f.tensor_records);
      const uint8_t rank = b[chosen + 1];
      if (rank == 0 || rank > 4) break;
      const bool all = Rand() % 2;
      const uint32_t large[] = {0, 1u << 8, 1u << 16, 1u << 24, (1u << 24) + 1};
      uint32_t axes = all ? 1 + Rand() % ((1u << rank) - 1) : 1u << (Rand() % rank);
      uint32_t values[4];
      for (int d = 0; d < 4; ++d) {
        const uint32_t small[] = {0, 1, 2, Get32(b, chosen + 4 + 4 * (d < rank ? d : 0)) * 2, Rand() % 64, 1u << 24};
        values[d] = all ? large[Rand() % 5] : small[Rand() % 6];
      }
      for (size_t r : f.tensor_records) {
        if (r != chosen && (!all || b[r + 1] != rank)) continue;
        uint64_t count = 1;
        for (int d = 0; d < rank; ++d) {
          if (axes & (1u << d)) Put32(&b, r + 4 + 4 * d, values[d]);
          count *= Get32(b, r + 4 + 4 * d);  // wraps at 64 bits, as the old loader's count did
        }
        const uint8_t dtype = b[r];
        const uint64_t size = dtype == 8 ? (count + 1) / 2 : count * (dtype == 3 ? 2 : dtype == 4 || dtype == 5 ? 4 : dtype == 6 ? 8 : 1);
        Put32(&b, r + 24, static_cast<uint32_t>(size));
      }
      if (Rand() % 2) {
        uint64_t extent = 0;
        for (size_t t : f.tensor_records) {
          if (b[t + 2] != 1 && uint64_t(Get32(b, t + 20)) + Get32(b, t + 24) > extent) extent = uint64_t(Get32(b, t + 20)) + Get32(b, t + 24);
        }
        Put32(&b, 16, static_cast<uint32_t>((extent + 15) / 16 * 16));
      }
    }
  }
  Sign(&b);
  return b;
}

// Loads and, if valid, runs on the reference kernels. Returns whether it loaded.
bool LoadAndRun(const Bytes& b) {
  uint32_t tensor_count = 0, op_count = 0;
  if (!Program::PeekCounts(b.data(), b.size(), &tensor_count, &op_count).ok()) return false;
  // Keep the Program 8-aligned as the addon does, and exactly as long as it is (ASan sees overreads).
  uint64_t* storage = static_cast<uint64_t*>(std::malloc(b.size() + 8));
  std::memcpy(storage, b.data(), b.size());
  std::vector<cleave::TensorInfo> tensors(tensor_count);
  std::vector<cleave::OpView> ops(op_count);
  Program program;
  const Status s = program.Load(reinterpret_cast<const uint8_t*>(storage), b.size(), tensors.data(), tensor_count, ops.data(), op_count);
  const bool loaded = s.ok();
  if (loaded && program.arena_bytes() <= (64u << 20)) {
    // Rounded up in 64 bits: aligned_alloc wants a multiple of the alignment.
    const size_t arena_bytes = (size_t(program.arena_bytes()) + 15) / 16 * 16;
    uint8_t* arena = static_cast<uint8_t*>(std::aligned_alloc(16, arena_bytes > 0 ? arena_bytes : 16));
    std::memset(arena, 0, arena_bytes);
    std::vector<std::vector<int8_t>> unpacked_storage;
    std::vector<const int8_t*> unpacked(tensor_count, nullptr);
    for (uint32_t i = 0; i < tensor_count; ++i) {
      const cleave::TensorInfo& t = program.tensor(i);
      if (t.dtype != cleave::DType::kInt4) continue;
      const int64_t count = int64_t(t.shape.dims[0]) * t.shape.dims[1] * t.shape.dims[2] * t.shape.dims[3];
      unpacked_storage.emplace_back(static_cast<size_t>(count));
      cleave::kernels::UnpackInt4(program.constant(t.offset), count, unpacked_storage.back().data());
      unpacked[i] = unpacked_storage.back().data();
    }
    cleave::Interpreter interpreter(program, arena);
    interpreter.SetUnpackedWeights(unpacked.data());
    (void)interpreter.Invoke();
    std::free(arena);
  }
  std::free(storage);
  return loaded;
}

Status Stream(const Bytes& b, size_t chunk) {
  ProgramStreamVerifier v;
  for (size_t at = 0; at < b.size(); at += chunk) {
    const size_t n = b.size() - at < chunk ? b.size() - at : chunk;
    const Status s = v.Update(b.data() + at, n);
    if (!s.ok()) return s;
  }
  return v.Finish();
}

bool Same(const Status& a, const Status& b) { return a.code == b.code && a.what == b.what && a.offset == b.offset && a.a == b.a; }

// A version-2 Program verifies in chunks of any size; a damaged byte in a section is reported as
// that section's checksum; bytes missing or extra are reported; every chunking agrees on mutants.
void CheckStreaming(const Bytes& good, const char* file) {
  for (size_t chunk : {size_t(1), size_t(3), size_t(7), size_t(64), size_t(4096), good.size()}) Check(Stream(good, chunk).ok(), "stream verifies in chunks", file);
  ProgramStreamVerifier whole;
  Check(whole.Update(good.data(), good.size()).ok() && whole.Finish().ok(), "whole Program verifies", file);
  for (uint32_t i = 0; i < whole.section_count(); ++i) {
    const cleave::ProgramSection& section = whole.section(i);
    if (section.size == 0) continue;
    Bytes damaged = good;
    damaged[section.offset + Rand() % section.size] ^= 0x20;
    const Status s = Stream(damaged, 1 + Rand() % 100);
    Check(s.code == StatusCode::kProgramChecksum && s.offset == section.offset && s.a == i, "damaged section named", file);
  }
  Bytes header = good;
  header[20] ^= 1;
  Check(Stream(header, 5).code == StatusCode::kProgramChecksum && Stream(header, 5).offset == 0, "damaged header named", file);
  Check(!Stream(Bytes(good.begin(), good.end() - 1), 16).ok(), "truncated Program refused", file);
  Bytes longer = good;
  longer.push_back(0);
  Check(!Stream(longer, 16).ok(), "padded Program refused", file);
  for (int i = 0; i < 300; ++i) {
    Bytes m = good;
    const int flips = 1 + Rand() % 3;
    for (int k = 0; k < flips; ++k) m[Rand() % m.size()] ^= static_cast<uint8_t>(1u << (Rand() % 8));
    if (Rand() % 2) Sign(&m);
    Check(Same(Stream(m, m.size()), Stream(m, 1 + Rand() % 200)), "chunkings agree", file);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s MUTANTS SEED PROGRAM...\n", argv[0]);
    return 2;
  }
  const long mutants = std::atol(argv[1]);
  rng_state = 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(std::atol(argv[2]));
  long loaded = 0, rejected = 0;
  for (int i = 3; i < argc; ++i) {
    FILE* fp = std::fopen(argv[i], "rb");
    if (!fp) {
      std::fprintf(stderr, "%s: cannot open\n", argv[i]);
      return 2;
    }
    Bytes original;
    for (int c; (c = std::fgetc(fp)) != EOF;) original.push_back(static_cast<uint8_t>(c));
    std::fclose(fp);
    Check(LoadAndRun(original), "the original loads", argv[i]);
    if (Version(original) == cleave::kProgramFormatV2) CheckStreaming(original, argv[i]);
    const Fields fields = FindFields(original);
    for (long m = 0; m < mutants; ++m) (LoadAndRun(Mutate(original, fields)) ? loaded : rejected)++;
  }
  if (failures) return 1;
  std::printf("ok loaded %ld rejected %ld\n", loaded, rejected);
  return 0;
}
