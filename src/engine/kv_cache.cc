#include "engine/kv_cache.h"

#include <algorithm>
#include <cassert>

namespace gptoss::engine {

namespace {
// Slots of layer l: every position on full layers, the window plus the free rewind on sliding ones.
int layer_slots(const Config& cfg, int l, int capacity, int rewind_tokens) {
  const int W = cfg.sliding_window;
  const bool sliding = cfg.layer_types[l] == AttentionKind::kSliding && W > 0;
  return sliding ? std::min(capacity, W + std::max(rewind_tokens, 0)) : capacity;
}
}  // namespace

uint64_t kv_cache_bytes(const Config& cfg, int capacity, int rewind_tokens, KvType type) {
  uint64_t slots = 0;
  for (int l = 0; l < cfg.n_layers; ++l) slots += layer_slots(cfg, l, capacity, rewind_tokens);
  return slots * 2 * cfg.n_kv_heads * cfg.head_dim * kv_element_bytes(type);
}

KvCache::KvCache(const Config& cfg, int capacity, int rewind_tokens, KvType type)
    : capacity_(capacity), row_(static_cast<size_t>(cfg.n_kv_heads) * cfg.head_dim), type_(type) {
  const int L = cfg.n_layers, W = cfg.sliding_window;
  int smallest_ring = capacity;
  for (int l = 0; l < L; ++l) {
    const bool sliding = cfg.layer_types[l] == AttentionKind::kSliding && W > 0;
    const int slots = layer_slots(cfg, l, capacity, rewind_tokens);
    slots_.push_back(slots);
    window_.push_back(sliding ? W : 0);
    if (sliding) sliding_window_ = W, smallest_ring = std::min(smallest_ring, slots);
    const bool bf16 = type == KvType::kBf16;
    keys_.emplace_back(bf16 ? 0 : slots * row_);
    values_.emplace_back(bf16 ? 0 : slots * row_);
    keys_bf16_.emplace_back(bf16 ? slots * row_ : 0);
    values_bf16_.emplace_back(bf16 ? slots * row_ : 0);
  }
  // A batch at positions [p, p + n) writes p + n - 1, which overwrites p + n - 1 - ring; the
  // query at p still sees p - W + 1. So n - 1 - ring < -W + 1, i.e. n <= ring - W + 1.
  max_batch_ =
      sliding_window_ > 0 && smallest_ring < capacity ? smallest_ring - sliding_window_ + 1 : capacity;
  max_batch_ = std::max(max_batch_, 1);
}

void KvCache::store(int l, int p, const float* k, const float* v) {
  const size_t at = slot(l, p) * row_;
  if (type_ == KvType::kF32) {
    std::copy(k, k + row_, keys_[l].data() + at);
    std::copy(v, v + row_, values_[l].data() + at);
    return;
  }
  uint16_t* k16 = keys_bf16_[l].data() + at;
  uint16_t* v16 = values_bf16_[l].data() + at;
  for (size_t i = 0; i < row_; ++i) k16[i] = f32_to_bf16(k[i]), v16[i] = f32_to_bf16(v[i]);
}

void KvCache::append(int n) {
  assert(size_ + n <= capacity_);
  size_ += n;
  for (int l = 0; l < static_cast<int>(slots_.size()); ++l)
    oldest_held_ = std::max(oldest_held_, size_ - slots_[l]);
}

void KvCache::abandon(int n) {
  for (int l = 0; l < static_cast<int>(slots_.size()); ++l)
    oldest_held_ = std::max(oldest_held_, size_ + n - slots_[l]);
}

int KvCache::truncate(int n) {
  assert(n >= 0 && n <= size_);
  // Position n's query sees [n - W + 1, n) on sliding layers, [0, n) on full ones (never lost).
  const int needed_from = sliding_window_ > 0 ? std::max(0, n - sliding_window_ + 1) : 0;
  if (needed_from < oldest_held_) n = 0;
  size_ = n;
  if (n == 0) oldest_held_ = 0;
  return n;
}

bool KvCache::holds_for(int n) const {
  assert(n >= 0 && n <= size_);
  return sliding_window_ == 0 || std::max(0, n - sliding_window_) >= oldest_held_;
}

void KvCache::restore(int n) {
  assert(n >= 0 && n <= capacity_);
  size_ = n;
  oldest_held_ = sliding_window_ > 0 ? std::max(0, n - sliding_window_) : 0;
}

}  // namespace gptoss::engine
