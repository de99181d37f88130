// Byte-level BPE by merge rank, as tiktoken does it: start from single bytes and repeatedly merge
// the adjacent pair whose concatenation has the lowest rank (leftmost on ties) until no adjacent
// pair is a token.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace gptoss::tokenizer {

// Appends the ranks of one pre-tokenizer piece to `out`. Every single byte must be a token of
// `vocab` (checked at load). A whole-token piece is one lookup; short pieces use the quadratic
// scan and long ones the heap, which give identical results.
void bpe_encode(const Vocab& vocab, std::string_view piece, std::vector<int32_t>& out);

// tiktoken's loop: rescans all pairs after each merge, O(n^2) in the piece length.
void bpe_merge_scan(const Vocab& vocab, std::string_view piece, std::vector<int32_t>& out);
// The same merges in O(n log n): a linked list of parts and a min-heap keyed (rank, position).
void bpe_merge_heap(const Vocab& vocab, std::string_view piece, std::vector<int32_t>& out);

// Pieces up to this many bytes use the scan (cheaper than the heap's bookkeeping when short).
inline constexpr size_t kBpeScanMaxBytes = 128;

}  // namespace gptoss::tokenizer
