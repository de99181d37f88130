#include "engine/page_warmer.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14; older C libraries lack the name
#endif

namespace gptoss::engine {
namespace {

uint64_t matrix_bytes(const Bf16Matrix& m) {
  return static_cast<uint64_t>(m.rows) * m.cols * sizeof(uint16_t);
}

uintptr_t page_bytes() { return static_cast<uintptr_t>(sysconf(_SC_PAGESIZE)); }

}  // namespace

std::vector<ByteRange> forward_read_order(const Weights& w) {
  std::vector<ByteRange> out;
  auto add = [&](const void* data, uint64_t bytes) {
    if (data && bytes) out.push_back({static_cast<const uint8_t*>(data), bytes});
  };
  for (const LayerWeights& lw : w.layers) {
    for (const Bf16Matrix* m : {&lw.wq, &lw.wk, &lw.wv, &lw.wo, &lw.router}) add(m->data, matrix_bytes(*m));
    for (const Mxfp4Experts* m : {&lw.mlp1, &lw.mlp2}) {
      const uint64_t E = static_cast<uint64_t>(m->n_experts);
      add(m->blocks, E * m->expert_block_bytes());
      add(m->scales, E * m->expert_scale_bytes());
      add(m->bias, E * m->rows * sizeof(uint16_t));
    }
  }
  add(w.unembed.data, matrix_bytes(w.unembed));
  return out;
}

PageWarmer::PageWarmer(std::vector<ByteRange> ranges, uint64_t chunk_bytes, std::function<void()> after_chunk)
    : ranges_(std::move(ranges)), after_chunk_(std::move(after_chunk)) {
  const uint64_t page = page_bytes();
  chunk_bytes_ = std::max<uint64_t>(page, (chunk_bytes + page - 1) / page * page);
  for (const ByteRange& r : ranges_) total_bytes_ += r.bytes;
  thread_ = std::thread([this] { run(); });
}

PageWarmer::~PageWarmer() { stop(); }

void PageWarmer::stop() {
  stop_.store(true);
  std::lock_guard<std::mutex> lock(join_mu_);
  if (thread_.joinable()) thread_.join();
}

WarmupProgress PageWarmer::progress() const { return {done_bytes_.load(), total_bytes_, running_.load()}; }

void PageWarmer::run() {
  const uintptr_t page = page_bytes();
  std::vector<unsigned char> residency(chunk_bytes_ / page + 1);
  for (const ByteRange& r : ranges_) {
    const uintptr_t first = reinterpret_cast<uintptr_t>(r.data);
    const uintptr_t last = first + r.bytes;
    for (uintptr_t at = first; at < last && !stop_.load();) {
      const uintptr_t next = std::min<uintptr_t>(last, at + chunk_bytes_);
      // Whole pages; a page shared with the neighbouring tensor is read twice at worst.
      if (!warm_chunk(at & ~(page - 1), (next + page - 1) & ~(page - 1), residency)) stop_.store(true);
      done_bytes_.fetch_add(next - at);
      at = next;
      if (after_chunk_) after_chunk_();
    }
  }
  running_.store(false);
}

bool PageWarmer::warm_chunk(uintptr_t begin, uintptr_t end, std::vector<unsigned char>& residency) {
  void* start = reinterpret_cast<void*>(begin);
  const size_t bytes = end - begin;
  const size_t pages = bytes / page_bytes();
  if (mincore(start, bytes, residency.data()) == 0 &&
      std::all_of(residency.begin(), residency.begin() + pages, [](unsigned char c) { return c & 1; }))
    return true;
  if (madvise(start, bytes, MADV_POPULATE_READ) == 0) return true;
  if (errno == EINVAL) return madvise(start, bytes, MADV_WILLNEED) == 0;  // before Linux 5.14
  return false;  // EFAULT: the file shrank under the mapping
}

}  // namespace gptoss::engine
