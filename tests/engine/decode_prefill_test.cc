// The engine against itself: one batched prefill and one-token-at-a-time decode give the same
// logits (model.md "Generation"), past the tiny model's window (W = 4) and past the 128-token
// prefill batch; truncate + re-prefill equals a fresh prefill, also when the sliding ring no
// longer holds the window; clone() continues exactly like the original.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "engine/engine.h"
#include "engine/test_model.h"
#include "reference/temp_dir.h"
#include "reference/token_ids.h"

namespace gptoss::engine {
namespace {

// Tolerance. Decode and prefill run the same kernels for attention, router, experts and
// lm_head (whose per-token arithmetic does not depend on the batch), but prefill's dense
// projections go through sgemm, which sums the H = 64 terms in another order than the decode
// matvec: a relative difference of a few f32 ulps (~1e-7) per projection, carried through three
// layers and the lm_head. Measured: ~6e-6 on logits of magnitude ~5 over 300 tokens. 5e-5 x
// max(1, |logit|) is ten times that, and three orders of magnitude below what any position or
// cache mix-up produces (logits of different positions differ by O(1)).
constexpr double kTolerance = 5e-5;

class DecodePrefill : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    TestModelOptions options;
    options.seed = 5;
    write_test_model(dir_->str(), *find_test_model_preset("tiny"), options);
    LoadOptions load;
    load.threads = 2;
    model_ = new std::shared_ptr<const Model>(Model::open(dir_->str(), load));
  }
  static void TearDownTestSuite() {
    delete model_;
    delete dir_;
  }
  static std::shared_ptr<const Model> model() { return *model_; }

  static std::vector<int32_t> tokens(int n, uint32_t seed) { return gptoss::testing::random_token_ids(n, seed); }

  static ContextOptions options(int max_tokens, int rewind_tokens = 4096) {
    ContextOptions o;
    o.max_tokens = max_tokens;
    o.rewind_tokens = rewind_tokens;
    return o;
  }

  static void expect_close(std::span<const float> got, std::span<const float> want, const char* what, int p) {
    ASSERT_EQ(got.size(), want.size());
    double magnitude = 1.0, error = 0.0;
    for (size_t i = 0; i < got.size(); ++i) {
      magnitude = std::max(magnitude, std::abs(static_cast<double>(want[i])));
      error = std::max(error, std::abs(static_cast<double>(got[i]) - want[i]));
    }
    ASSERT_LE(error, kTolerance * magnitude) << what << " at position " << p;
  }

  static testing::TempDir* dir_;
  static std::shared_ptr<const Model>* model_;
};

testing::TempDir* DecodePrefill::dir_ = nullptr;
std::shared_ptr<const Model>* DecodePrefill::model_ = nullptr;

TEST_F(DecodePrefill, AllPositionsPastWindowAndBatch) {
  const int n = 300;  // > 128: prefill runs in three batches; >> W = 4; past C = 256
  const auto ids = tokens(n, 1);
  const size_t V = model()->config().vocab;
  Context prefill(model(), options(n)), decode(model(), options(n));
  std::vector<float> all(n * V);
  prefill.prefill(ids, all);
  EXPECT_EQ(prefill.size(), static_cast<size_t>(n));
  for (int p = 0; p < n; ++p) {
    const auto row = decode.decode(ids[p]);
    expect_close(row, std::span<const float>(all).subspan(p * V, V), "decode vs prefill", p);
  }
  EXPECT_EQ(decode.tokens(), ids);
  // The last-row prefill returns the same as the all-rows one.
  Context last(model(), options(n));
  const auto last_row = last.prefill(ids);
  expect_close(last_row, std::span<const float>(all).subspan((n - 1) * V, V), "last-row prefill", n - 1);
}

TEST_F(DecodePrefill, SmallRewindReserveForcesSmallBatches) {
  // rewind 2: the sliding ring holds W + 2 = 6 positions, so prefill goes 3 tokens at a time.
  const int n = 40;
  const auto ids = tokens(n, 2);
  Context small(model(), options(n, 2)), big(model(), options(n));
  const auto got = small.prefill(ids);
  const std::vector<float> got_copy(got.begin(), got.end());
  expect_close(got_copy, big.prefill(ids), "rewind 2 vs default", n - 1);
}

TEST_F(DecodePrefill, TruncateAndReprefillEqualsFreshPrefill) {
  const auto first = tokens(50, 3), other = tokens(20, 4);
  std::vector<int32_t> fresh_ids(first.begin(), first.begin() + 30);
  fresh_ids.insert(fresh_ids.end(), other.begin(), other.end());
  Context fresh(model(), options(100));
  const auto fresh_logits = fresh.prefill(fresh_ids);
  const std::vector<float> want(fresh_logits.begin(), fresh_logits.end());

  // Within the rewind reserve: the 30 first tokens stay cached.
  Context ctx(model(), options(100));
  ctx.prefill(first);
  ASSERT_EQ(ctx.truncate(30), 30u);
  EXPECT_EQ(ctx.tokens(), std::vector<int32_t>(first.begin(), first.begin() + 30));
  expect_close(ctx.prefill(other), want, "truncate(30) + prefill", 49);

  // Beyond it (rewind 4: the ring holds 8 positions, 50 were written): nothing can be kept, the
  // caller prefills everything again and gets the same logits.
  Context tight(model(), options(100, 4));
  tight.prefill(first);
  const size_t kept = tight.truncate(30);
  EXPECT_EQ(kept, 0u);
  EXPECT_TRUE(tight.tokens().empty());
  std::vector<int32_t> rest(fresh_ids.begin() + kept, fresh_ids.end());
  expect_close(tight.prefill(rest), want, "truncate beyond reserve + prefill", 49);

  // A short rewind with the tight ring still works: 48 needs positions 45..47, held.
  Context near(model(), options(100, 4));
  near.prefill(first);
  EXPECT_EQ(near.truncate(48), 48u);
}

TEST_F(DecodePrefill, CloneContinuesLikeTheOriginal) {
  const auto ids = tokens(20, 5);
  Context a(model(), options(64));
  a.prefill(ids);
  Context b = a.clone();
  EXPECT_EQ(b.tokens(), a.tokens());
  const auto la = a.decode(7);
  const std::vector<float> la_copy(la.begin(), la.end());
  const auto lb = b.decode(7);
  for (size_t i = 0; i < la_copy.size(); ++i) ASSERT_EQ(la_copy[i], lb[i]);
  // The clone is independent: moving the original on does not move it.
  a.decode(9);
  EXPECT_EQ(b.size(), 21u);
  EXPECT_EQ(a.size(), 22u);
}

TEST_F(DecodePrefill, BadInputLeavesTheCacheUnchanged) {
  Context ctx(model(), options(8));
  ctx.prefill(tokens(5, 6));
  EXPECT_THROW(ctx.decode(-1), gptoss::Error);
  EXPECT_THROW(ctx.decode(201088), gptoss::Error);
  EXPECT_THROW(ctx.prefill(tokens(4, 7)), gptoss::Error);  // 9 > max_tokens
  EXPECT_EQ(ctx.size(), 5u);
  ContextOptions too_long;
  too_long.max_tokens = model()->config().max_context + 1;
  EXPECT_THROW(Context(model(), too_long), gptoss::Error);
}

TEST_F(DecodePrefill, StatsCountTokensAndExpertBytes) {
  Context ctx(model(), options(16));
  ctx.prefill(tokens(6, 8));
  ctx.decode(1);
  EXPECT_EQ(ctx.stats().prefill_tokens, 6u);
  EXPECT_EQ(ctx.stats().decode_tokens, 1u);
  EXPECT_GT(ctx.stats().expert_bytes_read, 0u);
  ctx.reset_stats();
  EXPECT_EQ(ctx.stats().prefill_tokens, 0u);
}

}  // namespace
}  // namespace gptoss::engine
