// bf16 widening: hand-picked bit patterns against their values by definition (sign, 8-bit
// exponent with bias 127, 7-bit mantissa), not against another widening routine.
#include "engine/bf16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

namespace gptoss::engine {
namespace {

TEST(Bf16, KnownPatterns) {
  EXPECT_EQ(bf16_to_f32(0x0000), 0.0f);
  EXPECT_TRUE(std::signbit(bf16_to_f32(0x8000)));
  EXPECT_EQ(bf16_to_f32(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_f32(0xC000), -2.0f);
  EXPECT_EQ(bf16_to_f32(0x3FC0), 1.5f);
  EXPECT_EQ(bf16_to_f32(0x4049), 3.140625f);               // 1.1001001b * 2
  EXPECT_EQ(bf16_to_f32(0x3C00), 0.0078125f);              // 2^-7
  EXPECT_EQ(bf16_to_f32(0x0001), std::ldexp(1.0f, -133));  // smallest subnormal
  EXPECT_EQ(bf16_to_f32(0x7F80), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(bf16_to_f32(0x7FC0)));
}

TEST(Bf16, WidenMatchesDefinitionForEveryPattern) {
  std::vector<uint16_t> all(65536);
  for (int i = 0; i < 65536; ++i) all[i] = static_cast<uint16_t>(i);
  std::vector<float> out(all.size());
  widen_bf16_f32(out.data(), all.data(), all.size());
  for (int i = 0; i < 65536; ++i) {
    const int sign = i >> 15, exponent = (i >> 7) & 0xFF, mantissa = i & 0x7F;
    if (exponent == 0xFF) {
      EXPECT_TRUE(mantissa ? std::isnan(out[i]) : std::isinf(out[i])) << i;
      continue;
    }
    const double magnitude =
        exponent == 0 ? std::ldexp(mantissa, -126 - 7) : std::ldexp(128 + mantissa, exponent - 127 - 7);
    ASSERT_EQ(static_cast<double>(out[i]), sign ? -magnitude : magnitude) << i;
  }
}

}  // namespace
}  // namespace gptoss::engine
