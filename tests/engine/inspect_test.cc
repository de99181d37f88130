// The Observer (routing, sink shares, residuals) and the logit lens against the independent
// double-precision reference, on a tiny random model; and observing changes no logit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine.h"
#include "engine/test_model.h"
#include "reference/reference_forward.h"
#include "reference/temp_dir.h"

namespace gptoss::engine {
namespace {

// Records everything it is offered, keyed by (position, layer).
class Recorder : public Observer {
 public:
  explicit Recorder(bool want_all) : want_all_(want_all) {}
  bool wants_router_logits() const override { return want_all_; }
  bool wants_sink_shares() const override { return want_all_; }
  bool wants_residual() const override { return want_all_; }
  void on_routing(int l, int p, std::span<const int> experts, std::span<const float> weights,
                  std::span<const float> router_logits) override {
    routing[{p, l}] = {std::vector<int>(experts.begin(), experts.end()),
                       std::vector<float>(weights.begin(), weights.end())};
    router_logit_count[{p, l}] = router_logits.size();
  }
  void on_sink_shares(int l, int p, std::span<const float> shares) override {
    sinks[{p, l}].assign(shares.begin(), shares.end());
  }
  void on_residual(int l, int p, std::span<const float> x) override {
    residual[{p, l}].assign(x.begin(), x.end());
  }

  using Key = std::pair<int, int>;  // (position, layer)
  std::map<Key, std::pair<std::vector<int>, std::vector<float>>> routing;
  std::map<Key, size_t> router_logit_count;
  std::map<Key, std::vector<float>> sinks;
  std::map<Key, std::vector<float>> residual;

 private:
  bool want_all_;
};

struct ReferenceRecord {
  std::map<Recorder::Key, std::pair<std::vector<int>, std::vector<double>>> routing;
  std::map<Recorder::Key, std::vector<double>> sinks;
  std::map<Recorder::Key, std::vector<double>> residual;
  std::vector<std::vector<double>> logits;
};

class Inspect : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    write_test_model(dir_->str(), *find_test_model_preset("tiny"), {.seed = 5});
    model_ = new std::shared_ptr<const Model>(Model::open(dir_->str(), {.threads = 2}));
    // 12 tokens: past the tiny model's sliding window (W = 4), so sliding layers' shares differ.
    for (int i = 0; i < kTokens; ++i) tokens_.push_back(static_cast<int32_t>((i * 7919 + 13) % 201088));
    reference::ReferenceModel reference(dir_->str());
    ref_ = new ReferenceRecord();
    reference::ReferenceTrace trace;
    trace.on_routing = [](int p, int l, const std::vector<int>& e, const std::vector<double>& w) {
      ref_->routing[{p, l}] = {e, w};
    };
    trace.on_sink_shares = [](int p, int l, const std::vector<double>& s) { ref_->sinks[{p, l}] = s; };
    trace.on_residual = [](int p, int l, const std::vector<double>& x) { ref_->residual[{p, l}] = x; };
    reference.forward(
        tokens_, [](int, const std::vector<double>& z) { ref_->logits.push_back(z); }, trace);
  }
  static void TearDownTestSuite() {
    delete ref_;
    delete model_;
    delete dir_;
  }

  static const Model& model() { return **model_; }
  static int layers() { return model().config().n_layers; }

  static constexpr int kTokens = 12;
  static testing::TempDir* dir_;
  static std::shared_ptr<const Model>* model_;
  static std::vector<int32_t> tokens_;
  static ReferenceRecord* ref_;
};
testing::TempDir* Inspect::dir_ = nullptr;
std::shared_ptr<const Model>* Inspect::model_ = nullptr;
std::vector<int32_t> Inspect::tokens_;
ReferenceRecord* Inspect::ref_ = nullptr;

// Prefill of the first half, then decode of the rest: both paths report.
Recorder observe_all(const std::shared_ptr<const Model>& model, const std::vector<int32_t>& tokens) {
  Recorder rec(true);
  Context ctx(model, {.max_tokens = static_cast<int>(tokens.size())});
  ctx.set_observer(&rec);
  const size_t half = tokens.size() / 2;
  ctx.prefill(std::span<const int32_t>(tokens.data(), half));
  for (size_t i = half; i < tokens.size(); ++i) ctx.decode(tokens[i]);
  return rec;
}

TEST_F(Inspect, RoutingIsTheReferences) {
  const Recorder rec = observe_all(*model_, tokens_);
  const int K = model().config().experts_per_token, E = model().config().n_experts;
  ASSERT_EQ(rec.routing.size(), static_cast<size_t>(kTokens * layers()));
  for (const auto& [key, want] : ref_->routing) {
    SCOPED_TRACE("position " + std::to_string(key.first) + ", layer " + std::to_string(key.second));
    const auto& got = rec.routing.at(key);
    EXPECT_EQ(got.first, want.first);  // the same experts, in the same order
    ASSERT_EQ(got.second.size(), static_cast<size_t>(K));
    // Weights: a softmax of fp32 router logits that carry ~1e-6 relative error from the layers
    // below; 1e-5 absolute is ten times that and far below any wrong pick or missing softmax.
    for (int k = 0; k < K; ++k) EXPECT_NEAR(got.second[k], want.second[k], 1e-5);
    EXPECT_EQ(rec.router_logit_count.at(key), static_cast<size_t>(E));
  }
}

TEST_F(Inspect, SinkSharesAreTheReferences) {
  const Recorder rec = observe_all(*model_, tokens_);
  const int NH = model().config().n_heads;
  ASSERT_EQ(rec.sinks.size(), static_cast<size_t>(kTokens * layers()));
  for (const auto& [key, want] : ref_->sinks) {
    SCOPED_TRACE("position " + std::to_string(key.first) + ", layer " + std::to_string(key.second));
    const std::vector<float>& got = rec.sinks.at(key);
    ASSERT_EQ(got.size(), static_cast<size_t>(NH));
    for (int h = 0; h < NH; ++h) {
      EXPECT_GE(got[h], 0.0f);
      EXPECT_LE(got[h], 1.0f);
      // Shares are softmax weights of fp32 q and k (relative error ~1e-6): 1e-5 absolute.
      EXPECT_NEAR(got[h], want[h], 1e-5) << "head " << h;
    }
  }
  // At position 0 the only key is the token's own: the share is 1 / (1 + e^(s_0 - sink)), not a
  // constant; past the window the sliding layers see fewer keys than the full ones. Both differ
  // from any fixed value, so the comparison above is not vacuous.
  EXPECT_NE(rec.sinks.at({0, 0})[0], rec.sinks.at({kTokens - 1, 0})[0]);
}

TEST_F(Inspect, ResidualsAreTheReferences) {
  const Recorder rec = observe_all(*model_, tokens_);
  const int H = model().config().hidden;
  for (const auto& [key, want] : ref_->residual) {
    const std::vector<float>& got = rec.residual.at(key);
    ASSERT_EQ(got.size(), static_cast<size_t>(H));
    double magnitude = 1.0, error = 0.0;
    for (int i = 0; i < H; ++i) {
      magnitude = std::max(magnitude, std::fabs(want[i]));
      error = std::max(error, std::fabs(want[i] - got[i]));
    }
    // The parity test's tolerance (forward_parity_test.cc explains it): 1e-3 of the magnitude.
    EXPECT_LE(error, 1e-3 * magnitude) << "position " << key.first << ", layer " << key.second;
  }
}

TEST_F(Inspect, LensAtTheLastLayerIsTheModelsLogits) {
  const Recorder rec = observe_all(*model_, tokens_);
  const int V = model().config().vocab, L = layers();
  std::vector<float> residuals;
  for (int p = 0; p < kTokens; ++p) {
    const std::vector<float>& x = rec.residual.at({p, L - 1});
    residuals.insert(residuals.end(), x.begin(), x.end());
  }
  std::vector<float> lens(static_cast<size_t>(kTokens) * V);
  lens_logits(model(), residuals, lens);
  Context ctx(*model_, {.max_tokens = kTokens});
  std::vector<float> logits(static_cast<size_t>(kTokens) * V);
  ctx.prefill(tokens_, logits);
  for (int p = 0; p < kTokens; ++p) {
    double worst = 0, worst_ref = 0;
    for (int v = 0; v < V; ++v) {
      const size_t i = static_cast<size_t>(p) * V + v;
      // Same numbers through the same kernels, but sgemm blocks by batch size: 1e-5 of the
      // magnitude allows the reassociation and nothing else.
      worst = std::max(worst, double{std::fabs(lens[i] - logits[i]) / std::max(1.0f, std::fabs(logits[i]))});
      worst_ref = std::max(
          worst_ref, std::fabs(lens[i] - ref_->logits[p][v]) / std::max(1.0, std::fabs(ref_->logits[p][v])));
    }
    EXPECT_LE(worst, 1e-5) << "position " << p;
    EXPECT_LE(worst_ref, 1e-3) << "position " << p;  // and the reference's logits, as in parity
  }
  // A lens of a middle layer is something else (the later layers change the residual).
  std::vector<float> early(V);
  lens_logits(model(), rec.residual.at({kTokens - 1, 0}), early);
  EXPECT_NE(std::memcmp(early.data(), lens.data() + static_cast<size_t>(kTokens - 1) * V, V * sizeof(float)),
            0);
}

TEST_F(Inspect, ObservingChangesNoLogit) {
  const int V = model().config().vocab;
  std::vector<float> plain(static_cast<size_t>(kTokens) * V), observed(plain.size());
  Recorder rec(true);
  for (bool observe : {false, true}) {
    Context ctx(*model_, {.max_tokens = kTokens});
    if (observe) ctx.set_observer(&rec);
    std::vector<float>& out = observe ? observed : plain;
    ctx.prefill(std::span<const int32_t>(tokens_.data(), kTokens / 2),
                std::span<float>(out.data(), static_cast<size_t>(kTokens / 2) * V));
    for (int p = kTokens / 2; p < kTokens; ++p) {
      const std::span<const float> z = ctx.decode(tokens_[p]);
      std::copy(z.begin(), z.end(), out.begin() + static_cast<size_t>(p) * V);
    }
  }
  EXPECT_EQ(std::memcmp(plain.data(), observed.data(), plain.size() * sizeof(float)), 0);
  EXPECT_EQ(rec.routing.size(), static_cast<size_t>(kTokens * layers()));
}

TEST_F(Inspect, OnlyWhatIsWantedIsComputed) {
  Recorder rec(false);
  Context ctx(*model_, {.max_tokens = 5});
  ctx.set_observer(&rec);
  ctx.prefill(std::span<const int32_t>(tokens_.data(), 4));
  EXPECT_EQ(rec.routing.size(), static_cast<size_t>(4 * layers()));  // routing is always offered
  EXPECT_EQ(rec.router_logit_count.at({0, 0}), 0u);
  EXPECT_TRUE(rec.sinks.empty());
  EXPECT_TRUE(rec.residual.empty());
  ctx.set_observer(nullptr);
  ctx.decode(tokens_[4]);
  EXPECT_EQ(rec.routing.count({4, 0}), 0u);
}

TEST_F(Inspect, LensRefusesMismatchedSizes) {
  const int H = model().config().hidden, V = model().config().vocab;
  std::vector<float> x(H + 1), z(V);
  EXPECT_THROW(lens_logits(model(), x, z), gptoss::Error);
  std::vector<float> x2(2 * H);
  EXPECT_THROW(lens_logits(model(), x2, z), gptoss::Error);
}

}  // namespace
}  // namespace gptoss::engine
