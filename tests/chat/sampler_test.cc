// The sampler against distributions computed by hand, and against exact counts with fixed seeds.
#include "chat/sampler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <vector>

#include "common/error.h"

namespace gptoss::chat {
namespace {

// Logits whose softmax at T=1 is exactly proportional to `weights`.
std::vector<float> logits_for(const std::vector<double>& weights) {
  std::vector<float> logits;
  for (double w : weights)
    logits.push_back(w > 0 ? static_cast<float>(std::log(w)) : -std::numeric_limits<float>::infinity());
  return logits;
}

std::map<int32_t, double> as_map(const std::vector<std::pair<int32_t, double>>& d) {
  return std::map<int32_t, double>(d.begin(), d.end());
}

// float logits of log(w) are off by up to half an ulp of the logit (~1e-7 relative in exp), so
// probabilities are compared to 1e-6.
constexpr double kProbTolerance = 1e-6;

TEST(SamplerTest, GreedyTakesArgmaxAndLowestIdOnTies) {
  Sampler greedy({.temperature = 0, .seed = 1});
  const std::vector<float> logits = {0.5f, 2.0f, -1.0f, 2.0f, 1.9f};
  EXPECT_EQ(greedy.sample(logits), 1);  // ids 1 and 3 tie; the lower wins
  const std::vector<float> with_nan = {std::nanf(""), -3.0f, -2.0f};
  EXPECT_EQ(greedy.sample(with_nan), 2);
  // Greedy ignores the seed entirely: same answer every call.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(greedy.sample(logits), 1);
}

TEST(SamplerTest, TemperatureOneIsSoftmax) {
  Sampler s({.temperature = 1.0, .seed = 1});
  auto d = as_map(s.distribution(logits_for({1, 2, 4})));
  ASSERT_EQ(d.size(), 3u);
  EXPECT_NEAR(d[0], 1.0 / 7, kProbTolerance);
  EXPECT_NEAR(d[1], 2.0 / 7, kProbTolerance);
  EXPECT_NEAR(d[2], 4.0 / 7, kProbTolerance);
}

TEST(SamplerTest, TemperatureTwoTakesSquareRootsOfTheWeights) {
  // exp(log(w) / 2) = sqrt(w): weights 1, 2, 4 become 1, sqrt2, 2.
  Sampler s({.temperature = 2.0, .seed = 1});
  auto d = as_map(s.distribution(logits_for({1, 2, 4})));
  const double z = 1 + std::sqrt(2.0) + 2;
  EXPECT_NEAR(d[0], 1 / z, kProbTolerance);
  EXPECT_NEAR(d[1], std::sqrt(2.0) / z, kProbTolerance);
  EXPECT_NEAR(d[2], 2 / z, kProbTolerance);
}

TEST(SamplerTest, TopKKeepsTheKMostLikely) {
  Sampler s({.temperature = 1.0, .top_k = 2, .seed = 1});
  auto d = as_map(s.distribution(logits_for({1, 2, 3, 4})));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_NEAR(d[2], 3.0 / 7, kProbTolerance);
  EXPECT_NEAR(d[3], 4.0 / 7, kProbTolerance);
}

TEST(SamplerTest, TopKTiesGoToTheLowestIds) {
  Sampler s({.temperature = 1.0, .top_k = 2, .seed = 1});
  auto d = as_map(s.distribution(std::vector<float>{1, 1, 1, 1}));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_TRUE(d.count(0) && d.count(1));
  EXPECT_NEAR(d[0], 0.5, kProbTolerance);
}

TEST(SamplerTest, TopPKeepsTheSmallestSetReachingP) {
  // p = 0.1, 0.2, 0.3, 0.4. Sorted: 0.4, 0.3 (mass 0.7), 0.2 (0.9), 0.1.
  {
    Sampler s({.temperature = 1.0, .top_p = 0.6, .seed = 1});  // 0.4 < 0.6 -> take 0.3; 0.7 >= 0.6 stop
    auto d = as_map(s.distribution(logits_for({1, 2, 3, 4})));
    ASSERT_EQ(d.size(), 2u);
    EXPECT_NEAR(d[3], 4.0 / 7, kProbTolerance);
    EXPECT_NEAR(d[2], 3.0 / 7, kProbTolerance);
  }
  {
    Sampler s({.temperature = 1.0, .top_p = 0.75, .seed = 1});  // 0.7 < 0.75 -> take 0.2 too
    auto d = as_map(s.distribution(logits_for({1, 2, 3, 4})));
    ASSERT_EQ(d.size(), 3u);
    EXPECT_NEAR(d[1], 2.0 / 9, kProbTolerance);
    EXPECT_EQ(d.count(0), 0u);
  }
  {
    Sampler s({.temperature = 1.0, .top_p = 0.3, .seed = 1});  // the top token alone is enough
    auto d = as_map(s.distribution(logits_for({1, 2, 3, 4})));
    ASSERT_EQ(d.size(), 1u);
    EXPECT_NEAR(d[3], 1.0, kProbTolerance);
  }
}

TEST(SamplerTest, TopKThenTopP) {
  // top_k = 3 leaves 2, 3, 4 (mass 9); top_p = 0.5 of that: 4/9 < 0.5, so 3 joins; 7/9 >= 0.5.
  Sampler s({.temperature = 1.0, .top_p = 0.5, .top_k = 3, .seed = 1});
  auto d = as_map(s.distribution(logits_for({1, 2, 3, 4})));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_NEAR(d[3], 4.0 / 7, kProbTolerance);
}

// The pruned nucleus (only tokens above (1-p)/N are sorted) against a plain full sort.
TEST(SamplerTest, TopPOnALargeVocabularyMatchesAFullSort) {
  std::mt19937 gen(7);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> logits(50000);
  for (float& x : logits) x = normal(gen);
  for (double top_p : {0.5, 0.9, 0.99}) {
    Sampler s({.temperature = 0.8, .top_p = top_p, .seed = 1});
    auto got = s.distribution(logits);

    const float m = *std::max_element(logits.begin(), logits.end());
    std::vector<std::pair<double, int32_t>> all;  // (-weight, id): ascending = most likely first
    double total = 0;
    for (size_t i = 0; i < logits.size(); ++i) {
      double w = std::exp((double(logits[i]) - m) / 0.8);
      all.emplace_back(-w, int32_t(i));
      total += w;
    }
    std::sort(all.begin(), all.end());
    double mass = 0;
    std::map<int32_t, double> want;
    for (auto [neg_w, id] : all) {
      if (mass >= top_p * total) break;
      mass += -neg_w;
      want[id] = -neg_w;
    }
    ASSERT_EQ(got.size(), want.size()) << "top_p " << top_p;
    for (auto [id, p] : got) {
      ASSERT_TRUE(want.count(id)) << id;
      EXPECT_NEAR(p, want[id] / mass, 1e-12);
    }
  }
}

// Exact counting with a fixed seed: 40000 draws from (0.1, 0.2, 0.3, 0.4). Pearson chi-square with
// 3 degrees of freedom stays below 16.27 with probability 0.999 for a correct sampler; a sampler
// that is off by a few percent in any class (e.g. an off-by-one in the cumulative walk) exceeds it.
TEST(SamplerTest, DrawFrequenciesFollowTheDistribution) {
  Sampler s({.temperature = 1.0, .seed = 12345});
  const std::vector<double> p = {0.1, 0.2, 0.3, 0.4};
  const auto logits = logits_for(p);
  const int n = 40000;
  std::vector<int> counts(4, 0);
  for (int i = 0; i < n; ++i) counts.at(s.sample(logits))++;
  double chi2 = 0;
  for (int i = 0; i < 4; ++i) chi2 += (counts[i] - n * p[i]) * (counts[i] - n * p[i]) / (n * p[i]);
  EXPECT_LT(chi2, 16.27) << counts[0] << " " << counts[1] << " " << counts[2] << " " << counts[3];
}

TEST(SamplerTest, ExcludedTokensAreNeverDrawn) {
  Sampler s({.temperature = 1.0, .top_p = 0.6, .top_k = 3, .seed = 99});
  const auto logits = logits_for({1, 2, 3, 4, 0});  // id 4 has probability 0
  std::vector<int> counts(5, 0);
  for (int i = 0; i < 5000; ++i) counts.at(s.sample(logits))++;
  EXPECT_EQ(counts[0], 0);
  EXPECT_EQ(counts[1], 0);
  EXPECT_EQ(counts[4], 0);
  EXPECT_GT(counts[2], 0);
  EXPECT_GT(counts[3], counts[2]);  // 4/7 vs 3/7 over 5000 draws: ~700 apart
}

TEST(SamplerTest, SameSeedSameTokensDifferentSeedDifferentTokens) {
  std::vector<float> logits(1000);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = float(i % 17) * 0.1f;
  auto draw = [&](uint64_t seed) {
    Sampler s({.temperature = 1.0, .top_p = 0.95, .seed = seed});
    std::vector<int32_t> out;
    for (int i = 0; i < 50; ++i) out.push_back(s.sample(logits));
    return out;
  };
  EXPECT_EQ(draw(42), draw(42));
  EXPECT_NE(draw(42), draw(43));  // 50 draws over ~900 tokens: a collision is beyond unlikely

  Sampler s({.temperature = 1.0, .seed = 5});
  const int32_t first = s.sample(logits);
  s.sample(logits);
  s.reseed(5);
  EXPECT_EQ(s.sample(logits), first);
}

TEST(SamplerTest, DegenerateLogitsFallBackToArgmax) {
  Sampler s({.temperature = 1.0, .seed = 1});
  const float ninf = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(s.sample(std::vector<float>{ninf, ninf, ninf}), 0);
  EXPECT_EQ(s.sample(std::vector<float>{0.0f, std::numeric_limits<float>::infinity(), 1.0f}), 1);
  for (int i = 0; i < 100; ++i) EXPECT_NE(s.sample(std::vector<float>{std::nanf(""), 0.0f, 0.0f}), 0);
}

TEST(SamplerTest, RejectsBadOptions) {
  EXPECT_THROW(Sampler({.temperature = -0.1, .seed = 1}), gptoss::Error);
  EXPECT_THROW(Sampler({.top_p = 0.0, .seed = 1}), gptoss::Error);
  EXPECT_THROW(Sampler({.top_p = 1.5, .seed = 1}), gptoss::Error);
  EXPECT_THROW(Sampler({.top_k = -1, .seed = 1}), gptoss::Error);
}

}  // namespace
}  // namespace gptoss::chat
