// Byte-level BPE on hand-built vocabularies (rank order, leftmost ties, merges into tokens that
// no single pair "made"), and the O(n log n) heap merge against tiktoken's quadratic scan.
#include "tokenizer/bpe.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "tokenizer/test_support.h"

namespace gptoss::tokenizer {
namespace {

using Ids = std::vector<int32_t>;

// All 256 single bytes at rank == byte value, then `extra` at ranks 256, 257, ...
Vocab byte_vocab(const std::vector<std::string>& extra) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.push_back(std::string(1, char(b)));
  tokens.insert(tokens.end(), extra.begin(), extra.end());
  std::string file;
  for (size_t r = 0; r < tokens.size(); ++r) {
    const std::string& t = tokens[r];
    for (size_t i = 0; i < t.size(); i += 3) {
      const size_t n = std::min<size_t>(3, t.size() - i);
      uint32_t g = 0;
      for (size_t k = 0; k < 3; ++k) g = g << 8 | (k < n ? uint8_t(t[i + k]) : 0);
      for (size_t k = 0; k < 4; ++k) file += k <= n ? kAlphabet[(g >> (18 - 6 * k)) & 63] : '=';
    }
    file += ' ';
    file += std::to_string(r);
    file += '\n';
  }
  return Vocab::parse(file, "tiny.tiktoken");
}

// Runs the three merge strategies and the dispatcher; they must agree with tiktoken's scan.
Ids merge(const Vocab& v, std::string_view piece) {
  Ids scan, heap, sorted, sorted_small_heap, dispatched;
  bpe_merge_scan(v, piece, scan);
  bpe_merge_heap(v, piece, heap);
  bpe_merge_sorted(v, piece, sorted);
  bpe_merge_sorted(v, piece, sorted_small_heap, /*min_heap_limit=*/4);  // many run rebuilds
  bpe_encode(v, piece, dispatched);
  EXPECT_EQ(scan, heap) << piece.substr(0, 80);
  EXPECT_EQ(scan, sorted) << piece.substr(0, 80);
  EXPECT_EQ(scan, sorted_small_heap) << piece.substr(0, 80);
  EXPECT_EQ(scan, dispatched) << piece.substr(0, 80);
  return scan;
}

TEST(Bpe, LowestRankMergesFirst) {
  const Vocab v = byte_vocab({"ab", "bc", "abc"});  // 256, 257, 258
  EXPECT_EQ(merge(v, "abc"), (Ids{258}));           // ab first, then ab+c
  EXPECT_EQ(merge(v, "abd"), (Ids{256, 'd'}));
  EXPECT_EQ(merge(v, "bcd"), (Ids{257, 'd'}));
  const Vocab w = byte_vocab({"bc", "ab"});  // bc (256) now beats ab (257)
  EXPECT_EQ(merge(w, "abc"), (Ids{'a', 256}));
}

TEST(Bpe, TiesGoToTheLeftmostPair) {
  const Vocab v = byte_vocab({"aa", "aaa"});  // 256, 257
  EXPECT_EQ(merge(v, "aa"), (Ids{256}));
  EXPECT_EQ(merge(v, "aaa"), (Ids{257}));  // [aa][a] -> aaa
  // [a][a][a][a] -> [aa][a][a]; now aaa (257) at 0 loses to aa (256) at 1 -> [aa][aa].
  EXPECT_EQ(merge(v, "aaaa"), (Ids{256, 256}));
  EXPECT_EQ(merge(v, "aaaaa"), (Ids{256, 257}));  // [aa][a][a][a] -> [aa][aa][a] -> [aa][aaa]
}

TEST(Bpe, MergedTokenNeedNotBeAPairOfEarlierMerges) {
  // "abcd" is a token, but neither "ab"+"cd" nor any other split of it is ever formed first
  // except through the ranks: tiktoken looks up the concatenated bytes, not a merge list.
  const Vocab v = byte_vocab({"bc", "abc", "abcd"});
  EXPECT_EQ(merge(v, "abcd"), (Ids{258}));  // bc, then a+bc=abc, then abc+d
  EXPECT_EQ(merge(v, "xbcd"), (Ids{'x', 256, 'd'}));
}

TEST(Bpe, NoMergesLeavesBytes) {
  const Vocab v = byte_vocab({"zz"});
  EXPECT_EQ(merge(v, std::string("\x00\xFF\x80", 3)), (Ids{0, 255, 128}));
  EXPECT_EQ(merge(v, "q"), (Ids{'q'}));
  EXPECT_EQ(merge(v, ""), (Ids{}));
}

TEST(Bpe, HeapEqualsScanOnRandomPiecesOverASmallAlphabet) {
  // Many overlapping candidates and ties: every token over {a, b} up to length 4.
  std::vector<std::string> extra;
  for (int len = 2; len <= 4; ++len) {
    for (int bits = 0; bits < (1 << len); ++bits) {
      std::string t;
      for (int i = 0; i < len; ++i) t += (bits >> i) & 1 ? 'b' : 'a';
      extra.push_back(t);
    }
  }
  std::mt19937 rng(7);
  std::shuffle(extra.begin(), extra.end(), rng);
  const Vocab v = byte_vocab(extra);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string piece(1 + rng() % 300, 'a');
    for (char& c : piece) c = rng() % 2 ? 'a' : 'b';
    merge(v, piece);
  }
}

const Vocab& real_vocab() {
  static const Vocab v = [] {
    std::ifstream in(testing::kAssetsVocab, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return Vocab::parse(bytes.str(), "o200k_base.tiktoken");
  }();
  return v;
}

TEST(Bpe, HeapEqualsScanOnTheRealVocabulary) {
  const Vocab& v = real_vocab();
  std::mt19937 rng(11);
  const std::string letters = "etaoinshrdlcumwfgypbvkjxqz";
  for (int trial = 0; trial < 300; ++trial) {
    const size_t n = 1 + rng() % 2000;
    std::string piece(n, ' ');
    const int kind = trial % 4;
    for (char& c : piece) {
      if (kind == 0) c = letters[rng() % letters.size()];                            // word-like
      if (kind == 1) c = char(rng() % 256);                                          // arbitrary bytes
      if (kind == 2) c = "ab"[rng() % 2];                                            // heavy ties
      if (kind == 3) c = letters[std::min<size_t>(rng() % 40, letters.size() - 1)];  // skewed
    }
    merge(v, piece);
  }
}

TEST(Bpe, LongPiecesPastEveryThresholdEqualTheScan) {
  // Longer than kBpeHeapMaxBytes, so the dispatcher takes the sorted-run path, and long enough
  // for its heap to be merged back into the run several times.
  const Vocab& v = real_vocab();
  std::mt19937 rng(13);
  const std::string letters = "etaoinshrdlcumwfgypbvkjxqz";
  std::string word(kBpeHeapMaxBytes + 4000, 'a');
  for (char& c : word) c = letters[std::min<size_t>(rng() % 30, letters.size() - 1)];
  merge(v, word);
  merge(v, std::string(kBpeHeapMaxBytes + 3, ' '));
  std::string bytes(kBpeHeapMaxBytes + 1000, '\0');
  for (char& c : bytes) c = char(rng() % 256);
  merge(v, bytes);
}

TEST(Bpe, MegabytePiecesSortedRunEqualsHeap) {
  // Too long for the quadratic scan; the heap (equal to the scan above) is the reference.
  const Vocab& v = real_vocab();
  std::mt19937 rng(17);
  std::string word(1 << 20, 'a');
  for (char& c : word) c = char('a' + rng() % 26);
  for (const std::string& piece : {word, std::string(1 << 20, ' ')}) {
    Ids heap, sorted;
    bpe_merge_heap(v, piece, heap);
    bpe_merge_sorted(v, piece, sorted);
    EXPECT_EQ(heap, sorted);
  }
}

}  // namespace
}  // namespace gptoss::tokenizer
