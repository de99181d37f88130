#include "tokenizer/bpe.h"

#include <algorithm>
#include <cassert>
#include <functional>
#include <iterator>
#include <limits>
#include <queue>

namespace gptoss::tokenizer {
namespace {

constexpr int32_t kNoMerge = std::numeric_limits<int32_t>::max();

inline int32_t merge_rank(const Vocab& vocab, std::string_view bytes) {
  const int32_t rank = vocab.rank(bytes);
  return rank == Vocab::kNoRank ? kNoMerge : rank;
}

// The parts of a piece as a linked list over its bytes, for the heap and sorted merges. Part i
// (i = its first byte) spans [i, end[i]); next[i] == n ends the list; a part merged away gets
// end[i] = 0. rank[i] is the rank of part i merged with its successor (kNoMerge if none).
struct PartList {
  PartList(const Vocab& vocab, std::string_view piece)
      : vocab(vocab), piece(piece), n(piece.size()), end(n), next(n), prev(n), rank(n) {
    for (size_t i = 0; i < n; ++i) {
      end[i] = uint32_t(i + 1);
      next[i] = uint32_t(i + 1);
      prev[i] = uint32_t(i == 0 ? n : i - 1);
    }
    for (size_t i = 0; i < n; ++i) rank[i] = pair_rank(i);
  }

  int32_t pair_rank(size_t i) const {
    if (next[i] >= n) return kNoMerge;
    return merge_rank(vocab, piece.substr(i, end[next[i]] - i));
  }

  // A queued (rank << 32 | position) still names a pair: neither merged away nor changed (a
  // longer pair has another rank, since ranks are unique per byte string).
  bool live(uint64_t key) const {
    const size_t i = size_t(uint32_t(key));
    return end[i] != 0 && rank[i] == int32_t(key >> 32);
  }

  // Merges part i with its successor; the pairs of i and of its predecessor get new ranks.
  void merge(size_t i) {
    const size_t j = next[i];
    end[i] = end[j];
    next[i] = next[j];
    if (next[j] < n) prev[next[j]] = uint32_t(i);
    end[j] = 0;
    rank[j] = kNoMerge;
    rank[i] = pair_rank(i);
    if (prev[i] < n) rank[prev[i]] = pair_rank(prev[i]);
  }

  void emit(std::vector<int32_t>& out) const {
    for (size_t i = 0; i < n; i = next[i]) {
      const int32_t token = vocab.rank(piece.substr(i, end[i] - i));
      assert(token != Vocab::kNoRank);
      out.push_back(token);
    }
  }

  const Vocab& vocab;
  std::string_view piece;
  size_t n;
  std::vector<uint32_t> end, next, prev;
  std::vector<int32_t> rank;
};

inline uint64_t queue_key(int32_t rank, size_t i) { return uint64_t(uint32_t(rank)) << 32 | i; }

}  // namespace

void bpe_merge_scan(const Vocab& vocab, std::string_view piece, std::vector<int32_t>& out) {
  const size_t n = piece.size();
  if (n == 0) return;
  // parts[k].start: where part k begins; parts[k].rank: rank of part k merged with part k+1.
  // Two sentinels close the list, as in tiktoken's _byte_pair_merge.
  struct Part {
    size_t start;
    int32_t rank;
  };
  Part small[kBpeScanMaxBytes + 2];
  std::vector<Part> large;
  Part* parts = small;
  if (n + 1 > kBpeScanMaxBytes + 2) {
    large.resize(n + 1);
    parts = large.data();
  }
  size_t count = 0;
  for (size_t i = 0; i + 1 < n; ++i) parts[count++] = {i, merge_rank(vocab, piece.substr(i, 2))};
  parts[count++] = {n - 1, kNoMerge};
  parts[count++] = {n, kNoMerge};

  // Rank of parts k and k+1 merged, i.e. bytes [parts[k].start, parts[k+2].start).
  const auto pair_rank = [&](size_t k) {
    if (k + 2 >= count) return kNoMerge;
    return merge_rank(vocab, piece.substr(parts[k].start, parts[k + 2].start - parts[k].start));
  };
  for (;;) {
    int32_t best_rank = kNoMerge;
    size_t best = 0;
    for (size_t k = 0; k + 1 < count; ++k) {
      if (parts[k].rank < best_rank) best_rank = parts[k].rank, best = k;  // strict: leftmost wins
    }
    if (best_rank == kNoMerge) break;
    std::copy(parts + best + 2, parts + count, parts + best + 1);  // drop part best+1
    --count;
    parts[best].rank = pair_rank(best);
    if (best > 0) parts[best - 1].rank = pair_rank(best - 1);
  }
  for (size_t k = 0; k + 1 < count; ++k) {
    const int32_t rank = vocab.rank(piece.substr(parts[k].start, parts[k + 1].start - parts[k].start));
    assert(rank != Vocab::kNoRank);
    out.push_back(rank);
  }
}

void bpe_merge_heap(const Vocab& vocab, std::string_view piece, std::vector<int32_t>& out) {
  if (piece.empty()) return;
  PartList parts(vocab, piece);
  // Min-heap of (rank << 32 | position): lowest rank first, then leftmost, as the scan picks.
  std::vector<uint64_t> heap_storage;
  heap_storage.reserve(parts.n);
  std::priority_queue<uint64_t, std::vector<uint64_t>, std::greater<uint64_t>> heap(std::greater<uint64_t>(),
                                                                                    std::move(heap_storage));
  const auto push = [&](size_t i) {
    if (parts.rank[i] != kNoMerge) heap.push(queue_key(parts.rank[i], i));
  };
  for (size_t i = 0; i < parts.n; ++i) push(i);
  while (!heap.empty()) {
    const uint64_t top = heap.top();
    heap.pop();
    if (!parts.live(top)) continue;
    const size_t i = size_t(uint32_t(top));
    parts.merge(i);
    push(i);
    if (parts.prev[i] < parts.n) push(parts.prev[i]);
  }
  parts.emit(out);
}

void bpe_merge_sorted(const Vocab& vocab, std::string_view piece, std::vector<int32_t>& out,
                      size_t min_heap_limit) {
  if (piece.empty()) return;
  PartList parts(vocab, piece);
  const size_t n = parts.n;
  const std::vector<int32_t>& rank = parts.rank;

  // The initial pairs, sorted by (rank, position) with a stable counting sort on rank: positions
  // are generated in order, so each rank's positions come out ascending.
  std::vector<uint32_t> first_of_rank(size_t(vocab.size()) + 1, 0);
  size_t pending = 0;
  for (size_t i = 0; i < n; ++i) {
    if (rank[i] != kNoMerge) ++first_of_rank[rank[i] + 1], ++pending;
  }
  for (size_t r = 1; r < first_of_rank.size(); ++r) first_of_rank[r] += first_of_rank[r - 1];
  std::vector<uint64_t> run(pending);
  for (size_t i = 0; i < n; ++i) {
    if (rank[i] != kNoMerge) run[first_of_rank[rank[i]]++] = queue_key(rank[i], i);
  }
  first_of_rank = {};

  // Pairs created by merges go to a heap kept small enough for the cache; when it outgrows its
  // limit it is sorted and merged into the run (dropping stale entries), so every pop reads the
  // run sequentially or a cached heap.
  std::vector<uint64_t> heap, merged;
  size_t cursor = 0;
  const auto heap_limit = [&] { return std::max<size_t>(min_heap_limit, (run.size() - cursor) / 4); };
  const auto live = [&](uint64_t k) { return parts.live(k); };
  const auto push = [&](size_t i) {
    if (rank[i] == kNoMerge) return;
    heap.push_back(queue_key(rank[i], i));
    std::push_heap(heap.begin(), heap.end(), std::greater<uint64_t>());
  };
  for (;;) {
    uint64_t top;
    if (!heap.empty() && (cursor == run.size() || heap.front() < run[cursor])) {
      std::pop_heap(heap.begin(), heap.end(), std::greater<uint64_t>());
      top = heap.back();
      heap.pop_back();
    } else if (cursor < run.size()) {
      top = run[cursor++];
    } else {
      break;
    }
    if (!live(top)) continue;  // merged away, or its pair changed
    const size_t i = size_t(uint32_t(top));
    parts.merge(i);
    push(i);
    if (parts.prev[i] < n) push(parts.prev[i]);
    if (heap.size() > heap_limit()) {
      std::sort(heap.begin(), heap.end());
      merged.clear();
      merged.reserve(run.size() - cursor + heap.size());
      std::merge(run.begin() + cursor, run.end(), heap.begin(), heap.end(), std::back_inserter(merged));
      merged.erase(std::remove_if(merged.begin(), merged.end(), [&](uint64_t k) { return !live(k); }),
                   merged.end());
      run.swap(merged);
      cursor = 0;
      heap.clear();
    }
  }
  parts.emit(out);
}

void bpe_encode(const Vocab& vocab, std::string_view piece, std::vector<int32_t>& out) {
  const int32_t whole = vocab.rank(piece);
  if (whole != Vocab::kNoRank) {
    out.push_back(whole);
  } else if (piece.size() <= kBpeScanMaxBytes) {
    bpe_merge_scan(vocab, piece, out);
  } else if (piece.size() <= kBpeHeapMaxBytes) {
    bpe_merge_heap(vocab, piece, out);
  } else {
    bpe_merge_sorted(vocab, piece, out);
  }
}

}  // namespace gptoss::tokenizer
