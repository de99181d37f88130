#include "tokenizer/vocab.h"

#include <algorithm>
#include <cstring>

#include "tokenizer/tokenizer.h"

namespace gptoss::tokenizer {
namespace {

// A fast hash for short byte strings (tokens average ~7 bytes): mix eight bytes at a time.
inline uint64_t hash_bytes(std::string_view s) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t h = s.size() * kMul;
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    h = (h ^ word) * kMul;
    h ^= h >> 32;
    p += 8;
    n -= 8;
  }
  uint64_t word = 0;
  std::memcpy(&word, p, n);
  h = (h ^ word) * kMul;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 32;
  return h;
}

// The first (up to) eight bytes of s, zero-padded.
inline uint64_t head_of(std::string_view s) {
  uint64_t head = 0;
  std::memcpy(&head, s.data(), std::min<size_t>(s.size(), 8));
  return head;
}

inline uint32_t tag_len_of(uint64_t hash, size_t length) {
  return uint32_t(hash >> 40) << 8 | uint32_t(std::min<size_t>(length, 255));
}

// Standard base64 alphabet (RFC 4648 §4); -1 marks a byte outside it.
struct Base64Table {
  int8_t value[256];
  constexpr Base64Table() : value{} {
    for (int i = 0; i < 256; ++i) value[i] = -1;
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) value[uint8_t(alphabet[i])] = int8_t(i);
  }
};
constexpr Base64Table kBase64;

// Decodes padded base64 to `out` (room for text.size() / 4 * 3 bytes); returns the number of
// bytes written, or -1 - (index of the first bad character).
long decode_base64(std::string_view text, char* out) {
  if (text.empty() || text.size() % 4 != 0) return -1 - long(text.size());
  char* const start = out;
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    uint32_t group = 0;
    for (int k = 0; k < 4; ++k) {
      int8_t v = 0;
      if (k < 4 - pad) {
        v = kBase64.value[uint8_t(text[i + k])];
        if (v < 0) return -1 - long(i + k);
      }
      group = group << 6 | uint32_t(v);
    }
    *out++ = char(group >> 16);
    if (pad < 2) *out++ = char(group >> 8);
    if (pad < 1) *out++ = char(group);
  }
  return long(out - start);
}

[[noreturn]] void fail(const std::string& name, size_t line, size_t col, const std::string& what) {
  throw TokenizerError(name + ": " + std::to_string(line) + ":" + std::to_string(col) + ": " + what);
}

}  // namespace

Vocab Vocab::parse(std::string_view file_bytes, const std::string& name) {
  Vocab vocab;
  // Token bytes take at most 3/4 of their base64, so the file size bounds the blob.
  vocab.blob_.resize(file_bytes.size() * 3 / 4 + 4);
  size_t blob_bytes = 0;
  vocab.offsets_.reserve(file_bytes.size() / 12 + 2);
  vocab.offsets_.push_back(0);
  // o200k_base averages 18 bytes a line; start near a load factor of 1/2 and grow if needed.
  size_t slot_count = 1024;
  while (slot_count < file_bytes.size() / 8) slot_count *= 2;
  vocab.resize_slots(slot_count);

  size_t line = 0;
  size_t pos = 0;
  while (pos < file_bytes.size()) {
    ++line;
    size_t end = file_bytes.find('\n', pos);
    if (end == std::string_view::npos) end = file_bytes.size();
    const std::string_view text = file_bytes.substr(pos, end - pos);
    const size_t space = text.find(' ');
    if (space == std::string_view::npos) fail(name, line, 1, "expected '<base64> <rank>', found no space");

    const long written = decode_base64(text.substr(0, space), vocab.blob_.data() + blob_bytes);
    if (written < 0) fail(name, line, size_t(-1 - written) + 1, "invalid base64 token");
    const std::string_view token(vocab.blob_.data() + blob_bytes, size_t(written));

    const std::string_view digits = text.substr(space + 1);
    const int32_t expected_rank = vocab.size();
    int64_t rank = 0;
    if (digits.empty() || digits.size() > 9)
      fail(name, line, space + 2, "bad rank '" + std::string(digits) + "'");
    for (size_t i = 0; i < digits.size(); ++i) {
      if (digits[i] < '0' || digits[i] > '9') {
        fail(name, line, space + 2 + i, "bad rank '" + std::string(digits) + "'");
      }
      rank = rank * 10 + (digits[i] - '0');
    }
    if (rank != expected_rank) {
      fail(name, line, space + 2,
           "ranks must be contiguous from 0 (expected " + std::to_string(expected_rank) + ", found " +
               std::to_string(rank) + ")");
    }
    if (blob_bytes + token.size() > UINT32_MAX) fail(name, line, 1, "vocabulary too large");

    if (size_t(expected_rank + 1) * 2 > vocab.slots_.size()) vocab.resize_slots(vocab.slots_.size() * 2);
    const int32_t previous = vocab.insert_unique(expected_rank, token);
    if (previous != kNoRank) {
      fail(name, line, 1, "duplicate token (same bytes as rank " + std::to_string(previous) + ")");
    }
    blob_bytes += token.size();
    vocab.max_token_bytes_ = std::max(vocab.max_token_bytes_, token.size());
    vocab.offsets_.push_back(uint32_t(blob_bytes));
    pos = end + 1;
  }
  if (vocab.size() == 0) fail(name, 1, 1, "empty vocabulary");
  vocab.blob_.resize(blob_bytes);
  vocab.blob_.shrink_to_fit();
  return vocab;
}

void Vocab::resize_slots(size_t count) {
  slots_.assign(count, Slot{0, 0, kNoRank});
  slot_mask_ = count - 1;
  for (int32_t r = 0; r < size(); ++r) insert(r, hash_bytes(bytes(r)));
}

void Vocab::insert(int32_t rank, uint64_t hash) {
  size_t i = hash & slot_mask_;
  while (slots_[i].rank != kNoRank) i = (i + 1) & slot_mask_;
  const std::string_view token = bytes(rank);
  slots_[i] = Slot{head_of(token), tag_len_of(hash, token.size()), rank};
}

// Whether slot holds `token`, whose head and tag_len are given.
inline bool Vocab::slot_holds(const Slot& slot, std::string_view token, uint64_t head,
                              uint32_t tag_len) const {
  if (slot.tag_len != tag_len || slot.head != head) return false;
  if (token.size() <= 8) return true;  // the head and the length are the whole token
  return bytes(slot.rank).substr(8) == token.substr(8);
}

int32_t Vocab::insert_unique(int32_t rank, std::string_view token) {
  const uint64_t hash = hash_bytes(token);
  const uint64_t head = head_of(token);
  const uint32_t tag_len = tag_len_of(hash, token.size());
  size_t i = hash & slot_mask_;
  for (; slots_[i].rank != kNoRank; i = (i + 1) & slot_mask_) {
    if (slot_holds(slots_[i], token, head, tag_len)) return slots_[i].rank;
  }
  slots_[i] = Slot{head, tag_len, rank};
  return kNoRank;
}

int32_t Vocab::find(std::string_view bytes) const {
  const uint64_t hash = hash_bytes(bytes);
  const uint64_t head = head_of(bytes);
  const uint32_t tag_len = tag_len_of(hash, bytes.size());
  for (size_t i = hash & slot_mask_;; i = (i + 1) & slot_mask_) {
    const Slot& slot = slots_[i];
    if (slot.rank == kNoRank) return kNoRank;
    if (slot_holds(slot, bytes, head, tag_len)) return slot.rank;
  }
}

}  // namespace gptoss::tokenizer
