// The o200k_base merge ranks: token bytes <-> rank (rank == token id), parsed from the tiktoken
// text format "<base64 of the token's bytes> <rank>\n".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gptoss::tokenizer {

// sha256 of OpenAI's o200k_base.tiktoken (tiktoken openai_public.py, harmony public_encodings.rs).
inline constexpr std::string_view kO200kBaseSha256 =
    "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d";
inline constexpr int32_t kO200kBaseTokens = 199998;

class Vocab {
 public:
  static constexpr int32_t kNoRank = -1;

  // Parses a whole .tiktoken file. Ranks must be 0, 1, 2... in file order and byte strings
  // unique and non-empty. Throws TokenizerError "<name>: <line>:<col>: <problem>" otherwise.
  static Vocab parse(std::string_view file_bytes, const std::string& name);

  int32_t size() const { return int32_t(offsets_.size()) - 1; }
  // Bytes of a rank in [0, size()).
  std::string_view bytes(int32_t rank) const {
    return std::string_view(blob_).substr(offsets_[rank], offsets_[rank + 1] - offsets_[rank]);
  }
  // The rank of a byte string, or kNoRank.
  int32_t rank(std::string_view bytes) const {
    // Long merge candidates (in whitespace runs, say) are mostly longer than any token.
    if (bytes.size() > max_token_bytes_) return kNoRank;
    return find(bytes);
  }
  size_t max_token_bytes() const { return max_token_bytes_; }

 private:
  // A slot holds enough of its token that most lookups touch only the slot's cache line: the
  // first eight bytes, the length and 24 more bits of the hash.
  struct Slot {
    uint64_t head;     // the token's first (up to) 8 bytes, zero-padded
    uint32_t tag_len;  // hash bits 40..63 << 8 | min(length, 255)
    int32_t rank;      // kNoRank marks an empty slot
  };

  int32_t find(std::string_view bytes) const;
  bool slot_holds(const Slot& slot, std::string_view token, uint64_t head, uint32_t tag_len) const;
  void insert(int32_t rank, uint64_t hash);
  void resize_slots(size_t count);  // and re-insert every rank
  // Inserts `token` (not yet in offsets_) as `rank`, unless its bytes are already a token:
  // then returns that token's rank and changes nothing.
  int32_t insert_unique(int32_t rank, std::string_view token);

  std::string blob_;               // all token bytes, back to back, in rank order
  std::vector<uint32_t> offsets_;  // [size + 1] start of each rank's bytes in blob_
  std::vector<Slot> slots_;        // open addressing, linear probing; power-of-two size
  uint64_t slot_mask_ = 0;
  size_t max_token_bytes_ = 0;
};

}  // namespace gptoss::tokenizer
