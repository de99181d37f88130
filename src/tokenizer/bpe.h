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

// The same merges again, for very long pieces (a pasted file with no spaces, a long whitespace
// run), where a heap of every pair no longer fits in cache: the initial pairs are counting-sorted
// by (rank, position) into a run read in order, and only pairs made by merges go to a small heap.
// min_heap_limit: the heap size that triggers a merge into the run (tests make it tiny).
void bpe_merge_sorted(const Vocab& vocab, std::string_view piece, std::vector<int32_t>& out,
                      size_t min_heap_limit = 1 << 16);

// Pieces up to this many bytes use the scan (cheaper than the heap's bookkeeping when short);
// up to kBpeHeapMaxBytes the heap, whose state stays in cache; beyond it the sorted run.
inline constexpr size_t kBpeScanMaxBytes = 128;
inline constexpr size_t kBpeHeapMaxBytes = 1 << 14;

}  // namespace gptoss::tokenizer
