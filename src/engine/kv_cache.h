// The KV cache: keys and values at absolute positions, f32 (exact) or bf16 (fast: half the
// memory and half the bytes attention reads per key). A full layer keeps every position;
// a sliding layer keeps a ring of W + rewind_tokens positions (position p lives in slot
// p mod ring), enough for its window plus the rewind that truncate() can undo for free.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "engine/bf16.h"
#include "engine/engine.h"

namespace gptoss::engine {

// Leaves floats uninitialised: a cache sized for a long context only takes memory (pages) as
// positions are actually written.
template <class T>
struct UninitialisedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitialisedAllocator<U>;
  };
  UninitialisedAllocator() = default;
  template <class U>
  UninitialisedAllocator(const UninitialisedAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

enum class KvType { kF32, kBf16 };

inline size_t kv_element_bytes(KvType type) { return type == KvType::kBf16 ? 2 : 4; }

// Bytes a KvCache(cfg, capacity, rewind_tokens, type) holds once every slot has been written.
uint64_t kv_cache_bytes(const Config& cfg, int capacity, int rewind_tokens, KvType type = KvType::kF32);

class KvCache {
 public:
  // capacity: the most positions ever held (ContextOptions::max_tokens).
  KvCache(const Config& cfg, int capacity, int rewind_tokens, KvType type = KvType::kF32);

  int capacity() const { return capacity_; }
  int layers() const { return static_cast<int>(slots_.size()); }  // L
  size_t row() const { return row_; }                             // NKV * D floats per position
  int size() const { return size_; }              // positions [0, size) have been written
  int ring(int l) const { return slots_[l]; }     // slots of layer l
  int window(int l) const { return window_[l]; }  // W on sliding layers, 0 on full ones
  // Smallest p such that every position in [p, size) is still held by every layer.
  int oldest_held() const { return oldest_held_; }
  // The most tokens one batch may append: a sliding layer must not overwrite, while writing a
  // batch, a position that the batch's first query still sees.
  int max_batch() const { return max_batch_; }

  KvType type() const { return type_; }

  // Key / value of layer l at absolute position p: [NKV * D] f32 (type kF32 only).
  float* key(int l, int p) { return keys_[l].data() + slot(l, p) * row_; }
  float* value(int l, int p) { return values_[l].data() + slot(l, p) * row_; }
  const float* key(int l, int p) const { return keys_[l].data() + slot(l, p) * row_; }
  const float* value(int l, int p) const { return values_[l].data() + slot(l, p) * row_; }
  // The same as bf16 bits (type kBf16 only).
  const uint16_t* key_bf16(int l, int p) const { return keys_bf16_[l].data() + slot(l, p) * row_; }
  const uint16_t* value_bf16(int l, int p) const { return values_bf16_[l].data() + slot(l, p) * row_; }
  // Key k and value v [NKV * D] of layer l at position p, rounded to nearest (even) when bf16.
  void store(int l, int p, const float* k, const float* v);
  // Key / value element i of layer l at position p, widened: for tests and measurements.
  float key_at(int l, int p, size_t i) const {
    return type_ == KvType::kBf16 ? bf16_to_f32(key_bf16(l, p)[i]) : key(l, p)[i];
  }
  float value_at(int l, int p, size_t i) const {
    return type_ == KvType::kBf16 ? bf16_to_f32(value_bf16(l, p)[i]) : value(l, p)[i];
  }

  // Records that positions [size, size + n) have been written in every layer.
  void append(int n);

  // Positions [size, size + n) were partly written, then abandoned (a failed read): size stays,
  // but the ring slots they overwrote no longer hold their old positions.
  void abandon(int n);

  // Keeps the first n positions (n <= size) if every layer still holds what position n's query
  // will see (the last W - 1 before it on sliding layers); otherwise keeps none. Returns the
  // number kept: n or 0.
  int truncate(int n);

  // Positions of layer l that a continuation at position n needs and a saved cache keeps: all
  // of [0, n) on full layers, the last min(n, W) on sliding ones.
  int kept_for(int l, int n) const { return window_[l] > 0 ? std::min(n, window_[l]) : n; }
  // True if every layer still holds the kept_for(l, n) positions before n (n <= size).
  bool holds_for(int n) const;
  // The cache now holds exactly positions [n - kept_for(l, n), n) of each layer, written by the
  // caller (a restored file): size becomes n, older positions count as gone.
  void restore(int n);

 private:
  size_t slot(int l, int p) const { return static_cast<size_t>(p % slots_[l]); }

  int capacity_ = 0;
  int size_ = 0;
  int oldest_held_ = 0;
  int max_batch_ = 1;
  int sliding_window_ = 0;  // W, 0 when no layer slides
  size_t row_ = 0;          // NKV * D
  KvType type_ = KvType::kF32;
  std::vector<int> slots_;
  std::vector<int> window_;
  using Buffer = std::vector<float, UninitialisedAllocator<float>>;
  std::vector<Buffer> keys_, values_;  // [L][slots * NKV * D] when kF32, else empty
  using Buffer16 = std::vector<uint16_t, UninitialisedAllocator<uint16_t>>;
  std::vector<Buffer16> keys_bf16_, values_bf16_;  // [L][slots * NKV * D] when kBf16, else empty
};

}  // namespace gptoss::engine
