// The KV cache: absolute positions, the sliding ring's wrap, truncate within and beyond the
// rewind reserve, and the batch bound that keeps a batch from overwriting what it still reads.
#include "engine/kv_cache.h"

#include <gtest/gtest.h>

namespace gptoss::engine {
namespace {

Config two_layer_config(int W) {
  Config c;
  c.n_layers = 2;
  c.n_kv_heads = 1;
  c.head_dim = 2;
  c.sliding_window = W;
  c.layer_types = {AttentionKind::kSliding, AttentionKind::kFull};
  return c;
}

// Writes position p's marker (p, -p) into both layers' key and value.
void write_positions(KvCache& cache, int from, int to) {
  for (int p = from; p < to; ++p)
    for (int l = 0; l < 2; ++l) {
      cache.key(l, p)[0] = static_cast<float>(p);
      cache.value(l, p)[0] = static_cast<float>(-p);
    }
  cache.append(to - from);
}

TEST(KvCache, RingSizesAndBatchBound) {
  KvCache cache(two_layer_config(4), 20, 3);
  EXPECT_EQ(cache.ring(0), 7);   // W + rewind
  EXPECT_EQ(cache.ring(1), 20);  // full: every position
  EXPECT_EQ(cache.window(0), 4);
  EXPECT_EQ(cache.window(1), 0);
  // A batch [p, p + n) must not overwrite p - W + 1: n <= ring - W + 1.
  EXPECT_EQ(cache.max_batch(), 4);
  KvCache small(two_layer_config(4), 3, 100);  // capacity below the window: nothing ever wraps
  EXPECT_EQ(small.ring(0), 3);
  EXPECT_EQ(small.max_batch(), 3);
}

TEST(KvCache, RingWrapKeepsTheLastRingPositions) {
  KvCache cache(two_layer_config(4), 20, 3);
  write_positions(cache, 0, 4);
  write_positions(cache, 4, 8);
  write_positions(cache, 8, 12);
  EXPECT_EQ(cache.size(), 12);
  EXPECT_EQ(cache.oldest_held(), 12 - 7);
  for (int p = 5; p < 12; ++p) {
    EXPECT_EQ(cache.key(0, p)[0], p);
    EXPECT_EQ(cache.value(0, p)[0], -p);
  }
  for (int p = 0; p < 12; ++p) EXPECT_EQ(cache.key(1, p)[0], p);  // the full layer lost nothing
  // Position 4 shares slot 4 % 7 with 11, which overwrote it.
  EXPECT_EQ(cache.key(0, 4)[0], 11);
}

TEST(KvCache, TruncateWithinTheRewindReserve) {
  KvCache cache(two_layer_config(4), 20, 3);
  write_positions(cache, 0, 12);  // sliding ring holds 5..11
  // Position 9's query sees 6, 7, 8 (and itself): all held.
  EXPECT_EQ(cache.truncate(9), 9);
  EXPECT_EQ(cache.size(), 9);
  write_positions(cache, 9, 10);
  for (int p = 6; p < 10; ++p) EXPECT_EQ(cache.key(0, p)[0], p);
  // Rewinding to 8 needs 5, 6, 7: 5 is still held (slot 5 was not rewritten).
  EXPECT_EQ(cache.truncate(8), 8);
}

TEST(KvCache, TruncateBeyondTheRewindReserveKeepsNothing) {
  KvCache cache(two_layer_config(4), 20, 3);
  write_positions(cache, 0, 12);  // sliding ring holds 5..11
  // Position 8 would need 5, 6, 7: held. Position 7 would need 4: overwritten.
  KvCache copy = cache;
  EXPECT_EQ(copy.truncate(8), 8);
  EXPECT_EQ(cache.truncate(7), 0);
  EXPECT_EQ(cache.size(), 0);
  EXPECT_EQ(cache.oldest_held(), 0);
  // Truncating to within the first window is fine only while position 0 is held.
  KvCache young(two_layer_config(4), 20, 3);
  write_positions(young, 0, 6);
  EXPECT_EQ(young.truncate(2), 2);
}

TEST(KvCache, NoSlidingLayersNeverLoses) {
  Config c = two_layer_config(4);
  c.layer_types = {AttentionKind::kFull, AttentionKind::kFull};
  KvCache cache(c, 30, 0);
  EXPECT_EQ(cache.max_batch(), 30);
  write_positions(cache, 0, 25);
  EXPECT_EQ(cache.truncate(1), 1);
}

}  // namespace
}  // namespace gptoss::engine

namespace gptoss::engine {
namespace {

// The fast profile's cache: store() rounds to the nearest bf16, ties to even (hand-built bits),
// through the sliding ring as in f32; the byte count halves.
TEST(KvCache, Bf16StoreRoundsToNearestEvenAndWraps) {
  KvCache cache(two_layer_config(4), 20, 3, KvType::kBf16);
  EXPECT_EQ(cache.type(), KvType::kBf16);
  // 1 + 2^-8 lies halfway between bf16 1 (0x3F80) and 1 + 2^-7 (0x3F81): ties to even, 0x3F80.
  // 1 + 3 * 2^-8 lies halfway between 0x3F81 and 0x3F82: to even, 0x3F82.
  // 1 + 2^-8 + 2^-20 is above the halfway point: 0x3F81. -2.0 is exact: 0xC000.
  const float k[2] = {1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f}, v[2] = {1.0f + 0x1p-8f + 0x1p-20f, -2.0f};
  cache.store(1, 0, k, v);
  EXPECT_EQ(cache.key_bf16(1, 0)[0], 0x3F80);
  EXPECT_EQ(cache.key_bf16(1, 0)[1], 0x3F82);
  EXPECT_EQ(cache.value_bf16(1, 0)[0], 0x3F81);
  EXPECT_EQ(cache.value_bf16(1, 0)[1], 0xC000);
  EXPECT_EQ(cache.key_at(1, 0, 1), 1.0f + 2 * 0x1p-7f);
  // Ring of 7 on the sliding layer: position 9 lands on position 2's slot.
  for (int p = 0; p < 10; ++p) {
    const float kp[2] = {static_cast<float>(p), 0.0f}, vp[2] = {static_cast<float>(-p), 0.0f};
    for (int l = 0; l < 2; ++l) cache.store(l, p, kp, vp);
  }
  cache.append(10);
  EXPECT_EQ(cache.key_at(0, 9, 0), 9.0f);
  EXPECT_EQ(cache.key_at(0, 2, 0), 9.0f);  // same slot
  EXPECT_EQ(cache.key_at(1, 2, 0), 2.0f);  // the full layer keeps it
  EXPECT_EQ(kv_cache_bytes(two_layer_config(4), 20, 3, KvType::kBf16) * 2,
            kv_cache_bytes(two_layer_config(4), 20, 3, KvType::kF32));
}

}  // namespace
}  // namespace gptoss::engine
