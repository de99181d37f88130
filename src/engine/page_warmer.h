// Cold start (mapped mode): one background thread reads the weights the first prefill needs, in
// the order it needs them, in large sequential reads, so that the prefill finds its pages in
// memory instead of faulting them in from disk 4 KiB at a time in the router's order.
//
// How it reads: madvise(MADV_POPULATE_READ) on the mapping, one chunk at a time. Measured on the
// random 20b's 3.2 GB shard after dropping the page cache (Intel Xeon VM, virtio disk that reads
// 1.6 GB/s with dd iflag=direct; scratch program, 16 MiB chunks, until mincore saw every page):
//   MADV_POPULATE_READ        1.7 GB/s (1.95 GB/s with 64 MiB chunks), every page resident
//   pread into a buffer       0.45 GB/s, and only 67% of the file resident a minute later
//   posix_fadvise(WILLNEED)   calls return in 0.3 s, but only 28% resident a minute later
//   readahead(2)              0.8 s, 22% resident;  madvise(MADV_WILLNEED) 0.8 s, 26% resident
//   touching one byte a page  0.5 GB/s
// The pages the other three bring in are in the page cache but mapped by no process, and this
// machine (like many VMs) runs a proactive reclaimer (DAMON) that pages out unmapped file pages
// it sees idle; populating the mapping maps them, so they stay, and the first prefill takes not
// even a minor fault on them. Kernels before 5.14 lack MADV_POPULATE_READ: there the warmer falls
// back to MADV_WILLNEED (advice, read ahead asynchronously).
//
// Pages already in memory cost nothing: each chunk is checked with mincore first and skipped when
// every page is resident.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/engine.h"
#include "engine/weights.h"

namespace gptoss::engine {

struct ByteRange {
  const uint8_t* data = nullptr;
  uint64_t bytes = 0;
};

// What a forward pass reads of the mapping, in the order it reads it: for each layer l the
// attention matrices (wq, wk, wv, wo), the router, then the experts (mlp1 blocks, scales, bias,
// mlp2 blocks, scales, bias: all E of each); last the unembedding. Not the embedding (a prefill
// reads only its tokens' rows) nor the small norm and bias vectors.
std::vector<ByteRange> forward_read_order(const Weights& w);

class PageWarmer {
 public:
  // 32 MiB: ~20 ms of reading at 1.6 GB/s, so stop() returns promptly; chunks from 16 to 64 MiB
  // read at about the same speed.
  static constexpr uint64_t kChunkBytes = uint64_t{32} << 20;

  // Starts the thread, which reads `ranges` in order, `chunk_bytes` at a time (rounded up to
  // whole pages). `after_chunk` (tests) runs on the thread after each chunk.
  explicit PageWarmer(std::vector<ByteRange> ranges, uint64_t chunk_bytes = kChunkBytes,
                      std::function<void()> after_chunk = nullptr);
  // stop(): the mapping may be unmapped once this returns.
  ~PageWarmer();
  PageWarmer(const PageWarmer&) = delete;
  PageWarmer& operator=(const PageWarmer&) = delete;

  // Asks the thread to end after the chunk in progress and waits for it. Idempotent, thread-safe.
  void stop();
  bool stop_requested() const { return stop_.load(); }
  // Thread-safe.
  WarmupProgress progress() const;

 private:
  void run();
  // Reads [begin, end) (page-aligned) unless mincore says it is all in memory; false on an error
  // (the file shrank: the forward pass reports that itself).
  bool warm_chunk(uintptr_t begin, uintptr_t end, std::vector<unsigned char>& residency);

  std::vector<ByteRange> ranges_;
  uint64_t chunk_bytes_ = 0;
  uint64_t total_bytes_ = 0;
  std::function<void()> after_chunk_;
  std::atomic<uint64_t> done_bytes_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> running_{true};
  std::mutex join_mu_;
  std::thread thread_;
};

}  // namespace gptoss::engine
