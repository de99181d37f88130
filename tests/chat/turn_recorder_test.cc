// The local backend's record of the last reply and of expert usage (turn_recorder.h), and the
// logit lens it computes on demand. The recorder alone is fed by hand; through LocalBackend the
// tiny random model runs, and the record is checked against engine::Context with the
// InspectionRecorder, which tests/engine/inspect_test.cc checks against the independent reference.
#include "chat/turn_recorder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <vector>

#include "chat/inspection.h"
#include "chat/local_backend.h"
#include "engine/test_model.h"
#include "reference/temp_dir.h"

namespace gptoss::chat {
namespace {

engine::Config small_config() {
  engine::Config c;
  c.n_layers = 2;
  c.n_experts = 6;
  c.experts_per_token = 2;
  c.n_heads = 3;
  return c;
}

void route(TurnRecorder& r, int layer, int position, std::vector<int> experts, std::vector<float> weights) {
  r.on_routing(layer, position, experts, weights, {});
}

TEST(TurnRecorderTest, CountsEveryPickButRecordsOnlyTheReply) {
  TurnRecorder r(small_config());
  // Sink shares and residuals cost decode time or memory: LocalBackend computes them on demand.
  EXPECT_FALSE(r.wants_sink_shares());
  EXPECT_FALSE(r.wants_residual());
  route(r, 0, 0, {4, 1}, {0.7f, 0.3f});  // a prompt token: counted, not recorded
  route(r, 1, 0, {2, 4}, {0.6f, 0.4f});
  r.begin_reply(1);
  for (int p = 1; p <= 3; ++p) {  // the last prompt token's step, then two decodes
    route(r, 0, p, {p, 5}, {0.9f, 0.1f});
    route(r, 1, p, {0, p}, {0.5f, 0.5f});
  }
  r.add_token(100);
  r.add_token(101);  // position 3's step ran (a budget's last decode) but sampled nothing
  const TurnInspection rec = r.finish();
  EXPECT_FALSE(rec.has_sinks());

  ASSERT_EQ(rec.rows(), 2);
  EXPECT_EQ(rec.first_position, 1);
  EXPECT_EQ(rec.tokens, (std::vector<int32_t>{100, 101}));
  EXPECT_EQ(std::vector<int>(rec.experts_at(0, 0).begin(), rec.experts_at(0, 0).end()),
            (std::vector<int>{1, 5}));
  EXPECT_EQ(std::vector<int>(rec.experts_at(1, 1).begin(), rec.experts_at(1, 1).end()),
            (std::vector<int>{0, 2}));
  EXPECT_FLOAT_EQ(rec.weights_at(1, 0)[0], 0.9f);

  // Every step counts, the prompt's and the unsampled one's too: the cache reads them all.
  const ExpertUsage& u = r.usage();
  EXPECT_EQ(u.count(0, 4), 1u);
  EXPECT_EQ(u.count(0, 5), 3u);
  EXPECT_EQ(u.count(1, 0), 3u);
  EXPECT_EQ(u.count(1, 2), 2u);  // position 0 and position 2
  EXPECT_EQ(u.layer_total(0), 8u);
  EXPECT_EQ(u.layer_total(1), 8u);
}

TEST(TurnRecorderTest, ANewReplyForgetsTheLastOne) {
  TurnRecorder r(small_config());
  r.begin_reply(0);
  route(r, 0, 0, {1, 2}, {0.5f, 0.5f});
  route(r, 1, 0, {1, 2}, {0.5f, 0.5f});
  r.add_token(7);
  ASSERT_EQ(r.finish().rows(), 1);
  r.begin_reply(5);
  route(r, 0, 5, {3, 4}, {0.5f, 0.5f});
  route(r, 1, 5, {3, 4}, {0.5f, 0.5f});
  r.add_token(8);
  const TurnInspection rec = r.finish();
  ASSERT_EQ(rec.rows(), 1);
  EXPECT_EQ(rec.tokens[0], 8);
  EXPECT_EQ(rec.experts_at(0, 0)[0], 3);
  EXPECT_EQ(r.usage().layer_total(0), 4u);
}

// ---- Through LocalBackend, on the tiny model ------------------------------------------------

class BackendInspectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    engine::TestModelOptions options;
    options.seed = 5;
    engine::write_test_model(dir_->str(), *engine::find_test_model_preset("tiny"), options);
    model_ = new LocalModel(open_local_model(dir_->str(), {.threads = 1}));
  }
  static void TearDownTestSuite() {
    delete model_;
    delete dir_;
  }

  // Greedy: the largest logit (lowest id on a tie), so the lens can be checked against it.
  static int32_t argmax(std::span<const float> logits) {
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  }

  // Generates `n` tokens greedily after `prompt`; returns them. `logits` gets each step's logits.
  static std::vector<int32_t> generate(LocalBackend& b, const std::vector<int32_t>& prompt, int n,
                                       std::vector<std::vector<float>>* logits = nullptr) {
    b.set_token_picker([logits](std::span<const float> z) {
      if (logits) logits->emplace_back(z.begin(), z.end());
      return argmax(z);
    });
    std::vector<int32_t> out;
    GenerateRequest request;
    request.prompt = prompt;
    request.context_tokens = 256;
    request.max_tokens = n;
    std::atomic<bool> cancel{false};
    const GenerateResult r = b.generate(request,
                                        {.on_token =
                                             [&](int32_t t) {
                                               out.push_back(t);
                                               return TokenAction::kContinue;
                                             }},
                                        cancel);
    EXPECT_EQ(r.end, GenerateEnd::kBudget);
    return out;
  }

  static const std::vector<int32_t> kPrompt;
  static testing::TempDir* dir_;
  static LocalModel* model_;
};

const std::vector<int32_t> BackendInspectionTest::kPrompt = {200006, 17360, 200008, 12194,  11,     1495,
                                                             553,    481,   30,     200007, 200006, 173781};
testing::TempDir* BackendInspectionTest::dir_ = nullptr;
LocalModel* BackendInspectionTest::model_ = nullptr;

TEST_F(BackendInspectionTest, RecordsTheStepThatSampledEachReplyToken) {
  LocalBackend b(*model_);
  EXPECT_EQ(b.inspect_last_reply(), nullptr);
  constexpr int n = 7;  // past the tiny model's window W = 4
  const std::vector<int32_t> reply = generate(b, kPrompt, n);
  const auto rec = b.inspect_last_reply();
  ASSERT_NE(rec, nullptr);
  ASSERT_TRUE(rec->has_sinks());
  ASSERT_EQ(rec->rows(), n);
  EXPECT_EQ(rec->tokens, reply);
  const int P = static_cast<int>(kPrompt.size());
  EXPECT_EQ(rec->first_position, P - 1);

  // The same steps, prefilled on a fresh context with the engine's own recorder.
  const engine::Config& cfg = model_->model->config();
  InspectionRecorder expected(cfg, {});
  engine::Context ctx(model_->model, {.max_tokens = 256});
  ctx.set_observer(&expected);
  std::vector<int32_t> all = kPrompt;
  all.insert(all.end(), reply.begin(), reply.end() - 1);
  ctx.prefill(all);
  for (int t = 0; t < n; ++t) {
    const int row = P - 1 + t;
    for (int l = 0; l < cfg.n_layers; ++l) {
      const auto e = expected.experts(row, l), got = rec->experts_at(t, l);
      EXPECT_TRUE(std::equal(e.begin(), e.end(), got.begin(), got.end())) << "token " << t << " layer " << l;
      // Decode and batched prefill round differently; weights are softmaxes of O(1) logits.
      for (int k = 0; k < cfg.experts_per_token; ++k)
        EXPECT_NEAR(rec->weights_at(t, l)[k], expected.weights(row, l)[k], 1e-5);
      for (int h = 0; h < cfg.n_heads; ++h) {
        EXPECT_NEAR(rec->sinks_at(t, l)[h], expected.sink_shares(row, l)[h], 1e-5);
        EXPECT_GE(rec->sinks_at(t, l)[h], 0.0f);
        EXPECT_LE(rec->sinks_at(t, l)[h], 1.0f);
      }
    }
  }

  // The session's usage: K picks per layer for every step computed (prompt, reply, and the budget's
  // last decode), the same experts the fresh context picked.
  const ExpertUsage usage = b.expert_usage();
  ASSERT_EQ(usage.layers, cfg.n_layers);
  ASSERT_EQ(usage.experts, cfg.n_experts);
  for (int l = 0; l < cfg.n_layers; ++l) {
    std::vector<uint64_t> counts(cfg.n_experts, 0);
    for (int row = 0; row < expected.rows(); ++row)
      for (int e : expected.experts(row, l)) ++counts[e];
    uint64_t total = 0;
    for (int e = 0; e < cfg.n_experts; ++e) {
      EXPECT_GE(usage.count(l, e), counts[e]) << "layer " << l << " expert " << e;
      total += usage.count(l, e);
    }
    // The fresh context did not decode the last reply token: the backend has K picks more.
    EXPECT_EQ(total, static_cast<uint64_t>(cfg.experts_per_token) * (P + n)) << "layer " << l;
  }
}

TEST_F(BackendInspectionTest, LensAtTheLastLayerIsWhatEachTokenWasSampledFrom) {
  LocalBackend b(*model_);
  std::vector<std::vector<float>> logits;
  const std::vector<int32_t> reply = generate(b, kPrompt, 6, &logits);
  const int L = model_->model->config().n_layers;
  for (int t = 0; t < 6; ++t) {
    const std::vector<LensTop> lens = b.lens(t, 5);
    ASSERT_EQ(lens.size(), static_cast<size_t>(L));
    for (const LensTop& layer : lens) {
      ASSERT_EQ(layer.ids.size(), 5u);
      EXPECT_TRUE(std::is_sorted(layer.logits.rbegin(), layer.logits.rend()));
    }
    // Greedy sampling took the largest logit: the last layer's lens must rank it first, with the
    // value decode gave (the lens recomputes by prefill: rounding of O(1) logits over H = 64).
    EXPECT_EQ(lens.back().ids[0], reply[t]) << "token " << t;
    EXPECT_NEAR(lens.back().logits[0], logits[t][reply[t]], 1e-4);
  }
  EXPECT_TRUE(b.lens(6, 5).empty());
  EXPECT_TRUE(b.lens(-1, 5).empty());
}

TEST_F(BackendInspectionTest, TheLensLeavesTheCacheAsItWas) {
  LocalBackend looked(*model_), plain(*model_);
  const std::vector<int32_t> reply = generate(looked, kPrompt, 5);
  ASSERT_EQ(generate(plain, kPrompt, 5), reply);
  ASSERT_FALSE(looked.lens(2, 5).empty());
  ASSERT_EQ(looked.context()->tokens(), plain.context()->tokens());
  // The next round reuses the cache: its logits must not depend on having inspected.
  std::vector<int32_t> next = kPrompt;
  next.insert(next.end(), reply.begin(), reply.end());
  next.push_back(200007);
  std::vector<std::vector<float>> a, c;
  generate(looked, next, 3, &a);
  generate(plain, next, 3, &c);
  ASSERT_EQ(a.size(), c.size());
  for (size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(std::memcmp(a[i].data(), c[i].data(), a[i].size() * sizeof(float)), 0) << "step " << i;
}

}  // namespace
}  // namespace gptoss::chat
