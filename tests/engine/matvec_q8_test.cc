// 8-bit block kernels (matvec_q8.h), every copy this CPU runs (the AVX-512 one with and without
// VNNI), against the double reference of tests/reference/q8_reference.h: the quantiser, the
// matvec (SIMD body, an odd last block) and the matmul in both regimes (per token below 3 rows,
// widened tiles + sgemm beyond, across a tile boundary).
#include "engine/matvec_q8.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "engine/kernel_targets.h"
#include "engine/kernels.h"
#include "engine/matvec.h"
#include "reference/q8_reference.h"

namespace gptoss::engine {
namespace {

class MatvecQ8 : public KernelVariantTest {};

// A random weight matrix in 8-bit blocks: values in [-127, 127], scales 2^-10 .. 2^-3.
struct Q8Rows {
  std::vector<int8_t> q;
  std::vector<float> s;
  int rows, cols;
  Q8Rows(int rows_, int cols_, std::mt19937& rng)
      : q(size_t(rows_) * cols_), s(size_t(rows_) * cols_ / 32), rows(rows_), cols(cols_) {
    for (auto& v : q) v = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
    for (auto& v : s) v = std::ldexp(1.0f + (rng() % 1000) / 1000.0f, -3 - static_cast<int>(rng() % 8));
  }
  Q8Matrix view() const { return {q.data(), s.data(), rows, cols}; }
  double dot(int r, const float* x, double* magnitude) const {
    return reference::q8_dot(q.data() + size_t(r) * cols, s.data() + size_t(r) * cols / 32, x, cols,
                             magnitude);
  }
  double bound(int r, const float* x) const {
    return reference::q8_input_rounding_bound(q.data() + size_t(r) * cols, s.data() + size_t(r) * cols / 32,
                                              x, cols);
  }
};

std::vector<float> normal_vector(size_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<float> x(n);
  for (auto& v : x) v = normal(rng);
  return x;
}

// A vector already on the 8-bit grid: block b is 2^-b_exp times integers in [-127, 127], one of
// them +-127, so quantising it loses nothing (the step max|x|/127 is that power of two exactly).
std::vector<float> grid_vector(size_t n, std::mt19937& rng) {
  std::vector<float> x(n);
  for (size_t b = 0; b < n / 32; ++b) {
    const float step = std::ldexp(1.0f, -static_cast<int>(rng() % 6));
    for (size_t c = 0; c < 32; ++c) x[b * 32 + c] = step * (static_cast<int>(rng() % 255) - 127);
    x[b * 32 + rng() % 32] = step * (rng() % 2 ? 127 : -127);
  }
  return x;
}

// Tolerance for f32 arithmetic on exact integer block sums: each block's product s_w s_x sum is
// two f32 roundings, the sum over at most 9 blocks (288 columns) nine more, each <= 2^-24 of the
// running sum of magnitudes: 11 x 6e-8 < 1e-6 x magnitude. 1e-5 leaves margin for sgemm's order
// and FMA; a wrong scale or block pairing is off by O(magnitude).
constexpr double kF32Tolerance = 1e-5;

TEST_P(MatvecQ8, QuantiserRoundsEachBlockToItsNearestStep) {
  std::mt19937 rng(11);
  std::vector<float> x = normal_vector(32 * 7, rng);
  for (int c = 64; c < 96; ++c) x[c] = 0.0f;  // an all-zero block
  x[100] = 1e-30f;                            // a tiny value beside normal ones
  std::vector<int8_t> q(x.size(), 99);
  std::vector<float> s(x.size() / 32, -1.0f);
  kernels().quantize_q8_f32(q.data(), s.data(), x.data(), x.size());
  for (size_t b = 0; b < s.size(); ++b) {
    double amax = 0;
    for (int c = 0; c < 32; ++c) amax = std::max(amax, std::fabs(double(x[b * 32 + c])));
    EXPECT_NEAR(s[b], amax / 127, 1e-7 * amax) << "block " << b;
    for (int c = 0; c < 32; ++c) {
      const size_t i = b * 32 + c;
      ASSERT_GE(q[i], -127);
      ASSERT_LE(q[i], 127);
      if (amax == 0) {
        EXPECT_EQ(q[i], 0);
        continue;
      }
      // Nearest step: off by at most half of one (plus the f32 rounding of x / s).
      EXPECT_LE(std::fabs(x[i] / (amax / 127) - q[i]), 0.5 + 1e-5) << "value " << i;
    }
  }
}

// Every copy makes the same bytes (the weights are quantised once at load by whichever runs).
TEST_P(MatvecQ8, QuantiserGivesTheSameBytesAsBaseline) {
  std::mt19937 rng(12);
  const std::vector<float> x = normal_vector(32 * 50, rng);
  std::vector<int8_t> q(x.size()), q_base(x.size());
  std::vector<float> s(x.size() / 32), s_base(x.size() / 32);
  kernels().quantize_q8_f32(q.data(), s.data(), x.data(), x.size());
  kernels_for(KernelTarget::kBaseline).quantize_q8_f32(q_base.data(), s_base.data(), x.data(), x.size());
  EXPECT_EQ(q, q_base);
  EXPECT_EQ(s, s_base);
}

TEST_P(MatvecQ8, MatvecOnGridInputMatchesDoubleReference) {
  std::mt19937 rng(13);
  for (int cols : {32, 64, 96, 288}) {  // 32 and 96: an odd last block for the 2-block AVX-512 body
    for (int rows : {1, 5, 300}) {
      const Q8Rows w(rows, cols, rng);
      const std::vector<float> x = grid_vector(cols, rng);
      const std::vector<uint16_t> bias = {};
      std::vector<int8_t> xq(cols);
      std::vector<float> xs(cols / 32), out(rows, -7.0f);
      kernels().quantize_q8_f32(xq.data(), xs.data(), x.data(), cols);
      kernels().matvec_q8w_q8(out.data(), w.view(), xq.data(), xs.data(), nullptr, 2);
      for (int r = 0; r < rows; ++r) {
        double magnitude = 0;
        const double want = w.dot(r, x.data(), &magnitude);
        ASSERT_NEAR(out[r], want, kF32Tolerance * magnitude) << "cols " << cols << " row " << r;
      }
    }
  }
}

// Off the grid the input's rounding adds at most q8_input_rounding_bound.
TEST_P(MatvecQ8, MatvecWithinTheInputRoundingBound) {
  std::mt19937 rng(14);
  const int rows = 200, cols = 2880 / 10;
  const Q8Rows w(rows, cols, rng);
  const std::vector<float> x = normal_vector(cols, rng);
  const std::vector<uint16_t> bias(rows, 0x3F80);  // 1.0 in bf16
  std::vector<int8_t> xq(cols);
  std::vector<float> xs(cols / 32), out(rows);
  kernels().quantize_q8_f32(xq.data(), xs.data(), x.data(), cols);
  kernels().matvec_q8w_q8(out.data(), w.view(), xq.data(), xs.data(), bias.data(), 2);
  for (int r = 0; r < rows; ++r) {
    double magnitude = 0;
    const double want = w.dot(r, x.data(), &magnitude) + 1.0;
    ASSERT_NEAR(out[r], want, w.bound(r, x.data()) + kF32Tolerance * magnitude) << "row " << r;
  }
}

TEST_P(MatvecQ8, MatmulBothRegimesAndTileBoundary) {
  std::mt19937 rng(15);
  const int rows = kMatmulTileRows + 37, cols = 96;
  const Q8Rows w(rows, cols, rng);
  const std::vector<uint16_t> bias(rows, 0xC000);  // -2.0 in bf16
  std::vector<float> tile(size_t(kMatmulTileRows) * cols);
  for (int n : {1, 2, 3, 17}) {
    const std::vector<float> x = grid_vector(size_t(n) * cols, rng);
    std::vector<int8_t> q(x.size());
    std::vector<float> s(x.size() / 32), rounded(x.size());
    const int stride = rows + 5;  // a wider output row: the padding must stay untouched
    std::vector<float> out(size_t(n) * stride, 123.0f);
    kernels().matmul_q8w_f32(out.data(), stride, w.view(), x.data(), n, bias.data(),
                             {q.data(), s.data(), rounded.data()}, tile.data(), 2);
    for (int t = 0; t < n; ++t) {
      for (int r = 0; r < rows; ++r) {
        double magnitude = 0;
        const double want = w.dot(r, x.data() + size_t(t) * cols, &magnitude) - 2.0;
        ASSERT_NEAR(out[size_t(t) * stride + r], want, kF32Tolerance * (magnitude + 2.0))
            << "n " << n << " t " << t << " r " << r;
      }
      for (int r = rows; r < stride; ++r) EXPECT_EQ(out[size_t(t) * stride + r], 123.0f);
    }
  }
}

GPTOSS_FOR_EACH_KERNEL_VARIANT(MatvecQ8);

}  // namespace
}  // namespace gptoss::engine
