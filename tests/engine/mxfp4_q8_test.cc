// MXFP4 x 8-bit input kernels (mxfp4_q8.h), every table this CPU runs, against a double loop
// written from the format's definition: the weights decoded nibble by nibble (model.md), the
// input rounded to its blocks here (not read back from the quantiser's bytes), the sum in double.
#include "engine/mxfp4_q8.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/kernel_targets.h"
#include "engine/mxfp4.h"
#include "reference/packed_mxfp4.h"

namespace gptoss::engine {
namespace {

class Mxfp4Q8Kernel : public KernelVariantTest {};

using Packed = reference::PackedMxfp4;
using reference::kSpecFp4;

// x as the kernel sees it, from the format's definition: per 32 values d = max|x| / 127,
// v = x (1 / d) in f32, q1 = v rounded to nearest even; two levels add (v - q1) 256 rounded,
// clamped to +-127, over 256.
std::vector<double> rounded_input(const float* x, int cols, int levels) {
  std::vector<double> out(cols);
  for (int b = 0; b < cols / 32; ++b) {
    float amax = 0.0f;
    for (int c = 0; c < 32; ++c) amax = std::max(amax, std::fabs(x[b * 32 + c]));
    const float d = amax / 127.0f;
    for (int c = 0; c < 32; ++c) {
      const float v = d > 0.0f ? x[b * 32 + c] * (1.0f / d) : 0.0f;
      const float q1 = std::nearbyint(v);
      double q = q1;
      if (levels == 2) q += std::clamp(std::nearbyint((v - q1) * 256.0f), -127.0f, 127.0f) / 256.0;
      out[b * 32 + c] = static_cast<double>(d) * q;
    }
  }
  return out;
}

std::vector<float> run_kernel(const Kernels& kernels, const Packed& w, const std::vector<float>& x, int n,
                              int levels) {
  const size_t stride = mxfp4_q8_input_bytes(w.cols, levels);
  std::vector<uint8_t> xq(n * stride, 0xAB);
  for (int t = 0; t < n; ++t)
    quantize_mxfp4_input_q8(xq.data() + t * stride, x.data() + static_cast<size_t>(t) * w.cols, w.cols,
                            levels);
  std::vector<float> out(static_cast<size_t>(n) * w.rows, -1.0f);
  kernels.matmul_mxfp4w_q8_rows(out.data(), w.blocks.data(), w.scales.data(),
                                w.bias.empty() ? nullptr : w.bias.data(), w.rows, w.cols, xq.data(), levels,
                                n, 0, w.rows);
  return out;
}

// Random rows against the double loop, for column counts that fill whole groups of 4 blocks and
// ones that end in a partial group, with 1 to 13 tokens (tiles of 8, 4 and 1). Tolerance: the
// integer sums are exact, so the only errors are f32 roundings, each within 2^-24 of a partial
// sum no larger than sum |w x~|: per block a product and an accumulation, then at most 4
// pairwise additions of the lanes and the bias: (2 blocks + 5) 2^-24 sum |w x~|.
// A token's result equals its result alone, bit for bit.
TEST_P(Mxfp4Q8Kernel, MatchesDoubleLoopAndBatchEqualsSingle) {
  std::mt19937 rng(11);
  for (int levels : {1, 2}) {
    for (int cols : {32, 96, 128, 160, 2880}) {
      const int rows = cols == 2880 ? 9 : 37;
      Packed w = reference::random_packed_mxfp4(rows, cols, rng, cols % 64 == 32);
      const int n = 13;
      std::vector<float> x(static_cast<size_t>(n) * cols);
      std::normal_distribution<float> normal;
      for (auto& v : x) v = normal(rng) * (rng() % 8 == 0 ? 20.0f : 1.0f);  // some outliers
      const auto out = run_kernel(kernels(), w, x, n, levels);
      for (int t = 0; t < n; ++t) {
        const std::vector<float> xt(x.begin() + static_cast<size_t>(t) * cols,
                                    x.begin() + static_cast<size_t>(t + 1) * cols);
        const auto single = run_kernel(kernels(), w, xt, 1, levels);
        const auto xr = rounded_input(xt.data(), cols, levels);
        for (int r = 0; r < rows; ++r) {
          double want = w.bias.empty() ? 0.0 : reference::bf16_value(w.bias[r]), magnitude = std::abs(want);
          for (int c = 0; c < cols; ++c) {
            want += reference::mxfp4_weight(w, r, c) * xr[c];
            magnitude += std::abs(reference::mxfp4_weight(w, r, c) * xr[c]);
          }
          const float got = out[static_cast<size_t>(t) * rows + r];
          ASSERT_NEAR(got, want, (2 * (cols / 32) + 5) * std::ldexp(magnitude, -24) + 1e-30)
              << "levels " << levels << " cols " << cols << " t " << t << " r " << r;
          ASSERT_EQ(got, single[r]) << "batch differs from single token: levels " << levels << " r " << r;
        }
      }
    }
  }
}

// Every code and every scale reach the integer path the way model.md says, including the
// negative zero code (8) and the last block of a partial group.
TEST_P(Mxfp4Q8Kernel, HandBuiltCodesAndScales) {
  const int cols = 160;  // 5 blocks: one full group and a partial one
  Packed w{1, cols, std::vector<uint8_t>(cols / 2), std::vector<uint8_t>(cols / 32), {}};
  for (int c = 0; c < cols; ++c) {
    const int code = c % 16;
    w.blocks[c / 2] |= static_cast<uint8_t>(c % 2 == 0 ? code : code << 4);
  }
  for (int b = 0; b < cols / 32; ++b) w.scales[b] = static_cast<uint8_t>(125 + b);  // 2^-2 .. 2^2
  for (int hot = 0; hot < cols; ++hot) {
    std::vector<float> x(cols, 0.0f);
    x[hot] = 127.0f;  // d = 1, q = 127: x~ = 127 exactly
    const auto out = run_kernel(kernels(), w, x, 1, 1);
    EXPECT_EQ(out[0], static_cast<float>(127 * std::ldexp(kSpecFp4[hot % 16], 125 + hot / 32 - 127)))
        << "column " << hot;
  }
}

TEST(Mxfp4Q8Input, LayoutOfOneBlock) {
  std::vector<float> x(32);
  for (int c = 0; c < 32; ++c) x[c] = static_cast<float>(c % 2 == 0 ? c : -c);  // max |x| = 31
  std::vector<uint8_t> q(mxfp4_q8_input_bytes(32, 1), 0xAB);
  quantize_mxfp4_input_q8(q.data(), x.data(), 32, 1);
  const float d = 31.0f / 127.0f;
  int sum = 0;
  for (int i = 0; i < 16; ++i) {
    const int8_t lo = static_cast<int8_t>(q[i]), hi = static_cast<int8_t>(q[64 + i]);
    EXPECT_EQ(lo, std::nearbyint(x[2 * i] * (1.0f / d))) << i;
    EXPECT_EQ(hi, std::nearbyint(x[2 * i + 1] * (1.0f / d))) << i;
    sum += lo + hi;
  }
  for (int i = 16; i < 64; ++i) EXPECT_EQ(q[i], 0) << "missing blocks are zero, " << i;
  float scale[16];
  int32_t offset[16];
  std::memcpy(scale, q.data() + 128, sizeof scale);
  std::memcpy(offset, q.data() + 192, sizeof offset);
  for (int j = 0; j < 4; ++j) EXPECT_EQ(scale[j], d / 2.0f);
  for (int j = 4; j < 16; ++j) EXPECT_EQ(scale[j], 0.0f);
  EXPECT_EQ(offset[0], -12 * sum);
  for (int j = 1; j < 16; ++j) EXPECT_EQ(offset[j], 0);
}

// The quantiser's bytes, read back by the layout of mxfp4_q8.h: x~ = 2 scale (256^(levels-1) q1
// + q2). One level keeps each value within d / 2 (half a step), two within d / 256 (the clamp of
// q2 to +-127 can take a whole step of 1/256 where the remainder is near +-1/2); an all-zero
// block stays zero.
TEST(Mxfp4Q8Input, TwoLevelsAre256TimesFiner) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  const int cols = 160;
  std::vector<float> x(cols);
  for (auto& v : x) v = normal(rng);
  for (int c = 64; c < 96; ++c) x[c] = 0.0f;
  for (int levels : {1, 2}) {
    std::vector<uint8_t> q(mxfp4_q8_input_bytes(cols, levels));
    quantize_mxfp4_input_q8(q.data(), x.data(), cols, levels);
    for (int b = 0; b < cols / 32; ++b) {
      const uint8_t* group = q.data() + (b / 4) * 256 * levels;
      const int k = b % 4;
      float scale;
      std::memcpy(&scale, group + 128 + 16 * k, 4);
      float amax = 0.0f;
      for (int c = 0; c < 32; ++c) amax = std::max(amax, std::fabs(x[b * 32 + c]));
      const double bound = levels == 2 ? amax / 127.0 / 256.0 : amax / 127.0 / 2.0;
      for (int c = 0; c < 32; ++c) {
        const int at = 16 * k + c / 2 + (c % 2 ? 64 : 0);
        double v = static_cast<int8_t>(group[at]);
        if (levels == 2) v = 256 * v + static_cast<int8_t>(group[256 + at]);
        const double got = 2.0 * scale * v;
        EXPECT_LE(std::abs(got - x[b * 32 + c]), 1.0001 * bound + 1e-12)
            << "levels " << levels << " column " << b * 32 + c;
        if (b == 2) {
          EXPECT_EQ(got, 0.0);
        }
      }
    }
  }
}

GPTOSS_FOR_EACH_KERNEL_VARIANT(Mxfp4Q8Kernel);

}  // namespace
}  // namespace gptoss::engine
