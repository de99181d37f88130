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
