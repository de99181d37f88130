// The independent reference's pieces against hand-built inputs and hand-computed numbers
// (model.md's tables and closed forms), so the parity test does not merely compare two programs.
#include "reference/reference_forward.h"

#include <gtest/gtest.h>

#include <cmath>

namespace gptoss::reference {
namespace {

TEST(ReferenceForward, Fp4TableIsTheSpecs) {
  const double table[16] = {0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6};
  for (int c = 0; c < 16; ++c) EXPECT_EQ(fp4_value(c), table[c]) << c;
  EXPECT_TRUE(std::signbit(fp4_value(8)));  // -0
}

TEST(ReferenceForward, Mxfp4HandBuiltBlock) {
  uint8_t block[16] = {};
  block[0] = 0x71;   // column 0: code 1 (+0.5, low nibble); column 1: code 7 (+6, high nibble)
  block[1] = 0xF8;   // column 2: code 8 (-0); column 3: code 15 (-6)
  block[15] = 0x2D;  // column 30: code 13 (-3); column 31: code 2 (+1)
  EXPECT_EQ(mxfp4_block_value(block, 127, 0), 0.5);
  EXPECT_EQ(mxfp4_block_value(block, 127, 1), 6.0);
  EXPECT_EQ(mxfp4_block_value(block, 127, 2), 0.0);
  EXPECT_EQ(mxfp4_block_value(block, 127, 3), -6.0);
  EXPECT_EQ(mxfp4_block_value(block, 127, 30), -3.0);
  EXPECT_EQ(mxfp4_block_value(block, 127, 31), 1.0);
  EXPECT_EQ(mxfp4_block_value(block, 127, 5), 0.0);
  EXPECT_EQ(mxfp4_block_value(block, 129, 1), 24.0);          // 6 * 2^2
  EXPECT_EQ(mxfp4_block_value(block, 120, 3), -6.0 / 128.0);  // -6 * 2^-7
}

TEST(ReferenceForward, Bf16Bits) {
  EXPECT_EQ(bf16_value(0x3f80), 1.0);
  EXPECT_EQ(bf16_value(0xc040), -3.0);
  EXPECT_EQ(bf16_value(0x3f81), 1.0 + 1.0 / 128);
}

RefConfig tiny_rope_config() {
  RefConfig c;
  c.D = 16;
  c.theta = 150000;
  c.factor = 32;
  c.beta_fast = 32;
  c.beta_slow = 1;
  c.original_context = 256;
  return c;
}

TEST(ReferenceForward, YarnClosedForm) {
  // low = 8 ln(256 / (64 pi)) / ln(150000) = 0.16215, high = 8 ln(256 / (2 pi)) / ln(150000) = 2.48846:
  // dimension 0 keeps its frequency, 1 and 2 are blended, 3.. are divided by the factor 32.
  const Yarn y = yarn(tiny_rope_config());
  const double expected[8] = {1.0,
                              0.14676759377552487,
                              0.011923794455416876,
                              0.00035794458727063204,
                              8.068715304598785e-05,
                              1.818833668168956e-05,
                              4.0999784818029795e-06,
                              9.242089502428301e-07};
  ASSERT_EQ(y.inv_freq.size(), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(y.inv_freq[i], expected[i], 1e-14 * expected[i]) << i;
  EXPECT_NEAR(y.concentration, 1.3465735902799727, 1e-15);  // 0.1 ln 32 + 1
  for (int i = 3; i < 8; ++i)                               // fully interpolated
    EXPECT_NEAR(y.inv_freq[i], 1.0 / (32 * std::pow(150000.0, 2.0 * i / 16)), 1e-15);
}

TEST(ReferenceForward, YarnTruncate) {
  RefConfig c = tiny_rope_config();
  c.truncate = true;  // low 0, high 3: ramp_i = i / 3
  const Yarn y = yarn(c);
  const double f1 = std::pow(150000.0, 2.0 / 16);
  EXPECT_NEAR(y.inv_freq[1], (1.0 / 3) / (32 * f1) + (2.0 / 3) / f1, 1e-15);
}

TEST(ReferenceForward, RopeHalfSplit) {
  const Yarn y = yarn(tiny_rope_config());
  std::vector<double> x(16, 0.0);
  x[0] = 1.0;  // a_0 = 1, b_0 = 0
  x[9] = 2.0;  // b_1 = 2
  const std::vector<double> r = rope(x, y, 3);
  const double s = y.concentration;
  EXPECT_NEAR(r[0], s * std::cos(3.0), 1e-15);  // a cos - b sin with inv_freq_0 = 1
  EXPECT_NEAR(r[8], s * std::sin(3.0), 1e-15);  // b cos + a sin
  EXPECT_NEAR(r[1], -2.0 * s * std::sin(3 * y.inv_freq[1]), 1e-15);
  EXPECT_NEAR(r[9], 2.0 * s * std::cos(3 * y.inv_freq[1]), 1e-15);
  EXPECT_EQ(r[2], 0.0);
  const std::vector<double> r0 = rope(x, y, 0);  // position 0: only the concentration
  EXPECT_NEAR(r0[0], s, 1e-15);
  EXPECT_NEAR(r0[9], 2 * s, 1e-15);
}

TEST(ReferenceForward, SoftmaxWithSink) {
  const std::vector<double> a = softmax_with_sink({0.0, 0.0}, 0.0);
  EXPECT_NEAR(a[0], 1.0 / 3, 1e-15);
  EXPECT_NEAR(a[1], 1.0 / 3, 1e-15);  // the sink's third goes nowhere
  const std::vector<double> b = softmax_with_sink({std::log(2.0)}, 0.0);
  EXPECT_NEAR(b[0], 2.0 / 3, 1e-15);
  const std::vector<double> c = softmax_with_sink({1000.0, 1000.0}, -1000.0);  // no overflow
  EXPECT_NEAR(c[0], 0.5, 1e-15);
}

TEST(ReferenceForward, TopKTiesToLowerIndex) {
  EXPECT_EQ(top_k({1, 3, 3, 2}, 2), (std::vector<int>{1, 2}));
  EXPECT_EQ(top_k({5, 5, 5, 5}, 3), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(top_k({-1, 0, 7, 0.5}, 3), (std::vector<int>{2, 3, 1}));
}

TEST(ReferenceForward, ClampedSwiglu) {
  // pairs (gate, linear): (10, 10) clamps to (7, 7); (-1, -9) to (-1, -7); (0.5, -0.25) unclamped.
  const std::vector<double> h = swiglu({10, 10, -1, -9, 0.5, -0.25}, 7.0);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_NEAR(h[0], 55.99962502642654, 1e-12);   // 7 sigmoid(1.702 * 7) (7 + 1)
  EXPECT_NEAR(h[1], 0.9252254044030722, 1e-14);  // -1 sigmoid(-1.702) (-7 + 1)
  EXPECT_NEAR(h[2], 0.2627913274547851, 1e-14);  // 0.5 sigmoid(0.851) (0.75)
}

}  // namespace
}  // namespace gptoss::reference
