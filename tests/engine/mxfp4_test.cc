// MXFP4 kernels against hand-built bytes and model.md's table, and against a scalar double loop
// that decodes the bytes its own way (nibble by nibble, ldexp for the scale).
#include "engine/mxfp4.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/kernel_targets.h"
#include "reference/packed_mxfp4.h"

namespace gptoss::engine {
namespace {

class Mxfp4Kernel : public KernelTargetTest {};

using Packed = reference::PackedMxfp4;
using reference::kSpecFp4;

// out via the kernel for n tokens of natural-order input x [n, cols].
std::vector<float> run_kernel(const Kernels& kernels, const Packed& w, const std::vector<float>& x, int n,
                              int threads) {
  const size_t stride = mxfp4_split_size(w.cols);
  std::vector<float> split(n * stride, 999.0f);
  for (int t = 0; t < n; ++t)
    split_mxfp4_columns_f32(split.data() + t * stride, x.data() + static_cast<size_t>(t) * w.cols, w.cols);
  std::vector<float> out(static_cast<size_t>(n) * w.rows, -1.0f);
  kernels.matmul_mxfp4w_f32(out.data(), w.blocks.data(), w.scales.data(),
                            w.bias.empty() ? nullptr : w.bias.data(), w.rows, w.cols, split.data(), n,
                            threads);
  return out;
}

TEST(Mxfp4, ScaleIsTwoToTheSMinus127) {
  for (int s = 0; s < 255; ++s)
    EXPECT_EQ(static_cast<double>(mxfp4_scale(static_cast<uint8_t>(s))), std::ldexp(1.0, s - 127)) << s;
  EXPECT_TRUE(std::isinf(mxfp4_scale(255)));  // 2^128 is beyond f32
}

TEST(Mxfp4, TableIsTheSpecs) {
  for (int c = 0; c < 16; ++c) {
    EXPECT_EQ(static_cast<double>(kFp4[c]), kSpecFp4[c]) << c;
    EXPECT_EQ(std::signbit(kFp4[c]), c >= 8) << c;
  }
}

// Every code at every nibble position, read back one column at a time through one-hot inputs.
TEST_P(Mxfp4Kernel, HandBuiltBlockLowNibbleFirst) {
  Packed w{1, 32, std::vector<uint8_t>(16), {130}, {}};  // scale 2^3
  // byte j: low nibble code j, high nibble code 15 - j.
  for (int j = 0; j < 16; ++j) w.blocks[j] = static_cast<uint8_t>(j | ((15 - j) << 4));
  for (int c = 0; c < 32; ++c) {
    std::vector<float> x(32, 0.0f);
    x[c] = 1.0f;
    const float got = run_kernel(kernels(), w, x, 1, 1)[0];
    const int code = c % 2 == 0 ? c / 2 : 15 - c / 2;
    EXPECT_EQ(got, kSpecFp4[code] * 8.0) << "column " << c;
  }
}

TEST_P(Mxfp4Kernel, HandBuiltScalesPerBlock) {
  // Two blocks with code 2 (= 1.0) everywhere: row value = 32 * 2^(s0-127) + 32 * 2^(s1-127).
  Packed w{1, 64, std::vector<uint8_t>(32, 0x22), {127 - 5, 127 + 2}, {}};
  std::vector<float> x(64, 1.0f);
  EXPECT_EQ(run_kernel(kernels(), w, x, 1, 1)[0], 32.0 / 32 + 32.0 * 4);
  // A sign check: code 0xA (-1.0) in the high nibbles only cancels the low nibbles' +1.0.
  Packed v{1, 32, std::vector<uint8_t>(16, 0xA2), {127}, {}};
  std::vector<float> ones(32, 1.0f);
  EXPECT_EQ(run_kernel(kernels(), v, ones, 1, 1)[0], 0.0f);
}

TEST_P(Mxfp4Kernel, BiasIsAdded) {
  Packed w{2, 32, std::vector<uint8_t>(32, 0x00), {127, 127}, {0x3F80, 0xC040}};  // +1, -3
  std::vector<float> x(32, 1.0f);
  const auto out = run_kernel(kernels(), w, x, 1, 1);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -3.0f);
}

// Random rows (including ragged row counts) against the double twin; batch results equal the
// single-token ones bit for bit. Tolerance: an f32 dot of `cols` terms carries a rounding error of
// at most ~cols * 2^-24 * sum|w x|; 1e-6 relative to sum|w x| leaves margin at cols = 320.
TEST_P(Mxfp4Kernel, MatmulMatchesScalarDoubleLoop) {
  std::mt19937 rng(7);
  for (int rows : {1, 5, 64, 67}) {
    for (int cols : {32, 64, 320, 384}) {
      Packed w = reference::random_packed_mxfp4(rows, cols, rng, rows % 2 == 1);
      const int n = 11;
      std::vector<float> x(static_cast<size_t>(n) * cols);
      std::normal_distribution<float> normal;
      for (auto& v : x) v = normal(rng);
      const auto out = run_kernel(kernels(), w, x, n, 2);
      for (int t = 0; t < n; ++t) {
        std::vector<float> xt(x.begin() + static_cast<size_t>(t) * cols,
                              x.begin() + static_cast<size_t>(t + 1) * cols);
        const auto single = run_kernel(kernels(), w, xt, 1, 1);
        for (int r = 0; r < rows; ++r) {
          double want = w.bias.empty() ? 0.0 : reference::bf16_value(w.bias[r]), magnitude = std::abs(want);
          for (int c = 0; c < cols; ++c) {
            want += reference::mxfp4_weight(w, r, c) * x[static_cast<size_t>(t) * cols + c];
            magnitude += std::abs(reference::mxfp4_weight(w, r, c) * x[static_cast<size_t>(t) * cols + c]);
          }
          const float got = out[static_cast<size_t>(t) * rows + r];
          ASSERT_NEAR(got, want, 1e-6 * magnitude + 1e-30) << rows << "x" << cols << " t=" << t << " r=" << r;
          ASSERT_EQ(got, single[r]) << "batch result differs from single token, r=" << r;
        }
      }
    }
  }
}

// The split order is a permutation of the columns (zero-padded up to mxfp4_split_size).
TEST(Mxfp4, SplitColumnsEvenThenOddPerBlock) {
  std::vector<float> x(64), out(mxfp4_split_size(64));
  for (int c = 0; c < 64; ++c) x[c] = static_cast<float>(c);
  split_mxfp4_columns_f32(out.data(), x.data(), 64);
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 16; ++i) {
      EXPECT_EQ(out[b * 32 + i], b * 32 + 2 * i);
      EXPECT_EQ(out[b * 32 + 16 + i], b * 32 + 2 * i + 1);
    }
}

TEST(Mxfp4, SplitIsAPaddedPermutation) {
  for (int cols : {32, 96, 128, 2880}) {
    std::vector<float> x(cols), out(mxfp4_split_size(cols), -1.0f);
    for (int c = 0; c < cols; ++c) x[c] = static_cast<float>(c + 1);
    split_mxfp4_columns_f32(out.data(), x.data(), cols);
    std::vector<int> seen(cols + 1, 0);
    for (float v : out) seen[static_cast<int>(v)]++;
    EXPECT_EQ(seen[0], static_cast<int>(out.size()) - cols) << cols;  // the padding
    for (int c = 1; c <= cols; ++c) ASSERT_EQ(seen[c], 1) << cols << " " << c;
  }
}

// Extreme scales take the exact value-by-value path; the result must still be FP4 * 2^(s-127).
TEST_P(Mxfp4Kernel, ExtremeScalesStayExact) {
  for (int s : {0, 1, 2, 252, 253, 254}) {
    Packed w{1, 128, std::vector<uint8_t>(64, 0x00), {127, static_cast<uint8_t>(s), 127, 127}, {}};
    // Block 1, column 32 holds code 1 (0.5); column 33 code 7 (6) where 6 * 2^(s-127) is finite.
    const bool six_fits = s <= 252;
    w.blocks[16] = six_fits ? 0x71 : 0x01;
    std::vector<float> x(128, 0.0f);
    x[32] = 1.0f;
    EXPECT_EQ(run_kernel(kernels(), w, x, 1, 1)[0], static_cast<float>(std::ldexp(0.5, s - 127))) << s;
    if (!six_fits) continue;
    x[32] = 0.0f;
    x[33] = 1.0f;
    EXPECT_EQ(run_kernel(kernels(), w, x, 1, 1)[0], static_cast<float>(std::ldexp(6.0, s - 127))) << s;
  }
}

GPTOSS_FOR_EACH_KERNEL_TARGET(Mxfp4Kernel);

}  // namespace
}  // namespace gptoss::engine
