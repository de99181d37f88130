// YaRN RoPE against the closed form of model.md, computed here in double, and the half-split
// rotation against its definition.
#include "engine/rope.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace gptoss::engine {
namespace {

Config rope_config(int head_dim, int original_context, bool truncate) {
  Config c;
  c.head_dim = head_dim;
  c.rope_theta = 150000.0;
  c.rope_factor = 32.0;
  c.rope_beta_fast = 32.0;
  c.rope_beta_slow = 1.0;
  c.rope_original_context = original_context;
  c.rope_truncate = truncate;
  return c;
}

// model.md "YaRN rotary embedding", line by line.
std::vector<double> spec_inv_freq(const Config& c) {
  const double D = c.head_dim, base = c.rope_theta, C = c.rope_original_context, pi = std::acos(-1.0);
  double low = (D / 2) * std::log(C / (c.rope_beta_fast * 2 * pi)) / std::log(base);
  double high = (D / 2) * std::log(C / (c.rope_beta_slow * 2 * pi)) / std::log(base);
  if (c.rope_truncate) low = std::floor(low), high = std::ceil(high);
  std::vector<double> inv(c.head_dim / 2);
  for (int i = 0; i < c.head_dim / 2; ++i) {
    const double freq = std::pow(base, 2.0 * i / D);
    double ramp = (i - low) / (high - low);
    ramp = ramp < 0 ? 0 : ramp > 1 ? 1 : ramp;
    inv[i] = (1 / (c.rope_factor * freq)) * ramp + (1 / freq) * (1 - ramp);
  }
  return inv;
}

TEST(Rope, YarnFrequenciesMatchClosedForm) {
  for (const Config& c :
       {rope_config(64, 4096, false), rope_config(16, 256, false), rope_config(64, 4096, true)}) {
    const YarnRope rope = make_yarn_rope(c);
    const auto want = spec_inv_freq(c);
    ASSERT_EQ(rope.inv_freq.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(rope.inv_freq[i], want[i], 1e-15 * want[i]) << i;
    EXPECT_NEAR(rope.concentration, 0.1 * std::log(32.0) + 1.0, 1e-15);
  }
}

TEST(Rope, TruncationChangesTheRampOnlyWhenAsked) {
  // For the 20b's numbers low ~ 8.09 and high ~ 17.40 are not integers: rounding them moves the
  // ramp, so a silently truncating implementation would differ here.
  const auto plain = make_yarn_rope(rope_config(64, 4096, false));
  const auto truncated = make_yarn_rope(rope_config(64, 4096, true));
  double largest = 0;
  for (int i = 0; i < 32; ++i)
    largest = std::max(largest, std::abs(plain.inv_freq[i] - truncated.inv_freq[i]) / plain.inv_freq[i]);
  EXPECT_GT(largest, 1e-3);
  // The ends are pure extrapolation (i = 0) and pure interpolation (i = D/2 - 1).
  EXPECT_NEAR(plain.inv_freq[0], 1.0, 1e-15);
  EXPECT_NEAR(plain.inv_freq[31], 1.0 / (32.0 * std::pow(150000.0, 62.0 / 64)), 1e-20);
}

TEST(Rope, CosSinScaledByConcentration) {
  const Config c = rope_config(64, 4096, false);
  const YarnRope rope = make_yarn_rope(c);
  const auto inv = spec_inv_freq(c);
  const double scale = 0.1 * std::log(32.0) + 1.0;
  std::vector<float> cos(32), sin(32);
  for (int p : {0, 1, 127, 4095, 131071}) {
    rope_cos_sin_f32(cos.data(), sin.data(), rope, p);
    for (int i = 0; i < 32; ++i) {
      // f32 rounding of a value of magnitude <= 1.35: 2^-24 * 1.35 < 1e-7.
      EXPECT_NEAR(cos[i], scale * std::cos(p * inv[i]), 1e-7) << p << " " << i;
      EXPECT_NEAR(sin[i], scale * std::sin(p * inv[i]), 1e-7) << p << " " << i;
    }
  }
}

TEST(Rope, RotationIsHalfSplit) {
  const int D = 8, heads = 3;
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  std::vector<float> x(heads * D), cos(D / 2), sin(D / 2);
  for (auto& v : x) v = normal(rng);
  for (int i = 0; i < D / 2; ++i) cos[i] = normal(rng), sin[i] = normal(rng);
  const std::vector<float> before = x;
  rope_rotate_f32(x.data(), cos.data(), sin.data(), heads, D);
  for (int h = 0; h < heads; ++h)
    for (int i = 0; i < D / 2; ++i) {
      const double a = before[h * D + i], b = before[h * D + D / 2 + i];
      EXPECT_NEAR(x[h * D + i], a * cos[i] - b * sin[i], 1e-5);
      EXPECT_NEAR(x[h * D + D / 2 + i], b * cos[i] + a * sin[i], 1e-5);
    }
  // A pure-rotation check: with cos = 0, sin = 1 the halves swap with a sign: [a, b] -> [-b, a].
  std::vector<float> y = {1, 2, 3, 4, 5, 6, 7, 8}, zero(4, 0.0f), one(4, 1.0f);
  rope_rotate_f32(y.data(), zero.data(), one.data(), 1, 8);
  EXPECT_EQ(y, (std::vector<float>{-5, -6, -7, -8, 1, 2, 3, 4}));
}

}  // namespace
}  // namespace gptoss::engine
