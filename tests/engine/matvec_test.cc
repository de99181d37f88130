// bf16-weight kernels against a scalar double loop: the matvec (SIMD body and scalar tail), and
// matmul in both regimes (per-token matvec for n < 3, widened tiles + sgemm beyond, across a
// tile boundary).
#include "engine/matvec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/kernel_targets.h"

namespace gptoss::engine {
namespace {

class Matvec : public KernelTargetTest {};

double widen(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

std::vector<uint16_t> random_bf16(size_t n, std::mt19937& rng) {
  std::vector<uint16_t> v(n);
  // Magnitudes 2^-8 .. 2^0, both signs.
  for (auto& b : v) b = static_cast<uint16_t>(((rng() % 2) << 15) | ((119 + rng() % 8) << 7) | (rng() % 128));
  return v;
}

// Tolerance: an f32 dot product of `cols` terms (any summation order, FMA or not) is within
// cols * 2^-24 * sum|w x| of the exact value; 2e-6 * sum|w x| covers cols = 300 with margin.
void expect_matches(const std::vector<float>& out, int out_stride, const std::vector<uint16_t>& w, int rows,
                    int cols, const std::vector<float>& x, int n, const std::vector<uint16_t>& bias) {
  for (int t = 0; t < n; ++t)
    for (int r = 0; r < rows; ++r) {
      double want = bias.empty() ? 0.0 : widen(bias[r]), magnitude = std::abs(want);
      for (int c = 0; c < cols; ++c) {
        const double term =
            widen(w[static_cast<size_t>(r) * cols + c]) * x[static_cast<size_t>(t) * cols + c];
        want += term;
        magnitude += std::abs(term);
      }
      ASSERT_NEAR(out[static_cast<size_t>(t) * out_stride + r], want, 2e-6 * magnitude)
          << "t=" << t << " r=" << r;
    }
}

TEST_P(Matvec, Bf16MatchesScalarDoubleLoop) {
  std::mt19937 rng(3);
  for (int cols : {16, 32, 70, 288}) {  // 70 and 16 exercise the scalar tail
    for (int rows : {1, 3, 4, 9, 300}) {
      const auto w = random_bf16(static_cast<size_t>(rows) * cols, rng);
      const auto bias = rows % 3 == 0 ? random_bf16(rows, rng) : std::vector<uint16_t>{};
      std::vector<float> x(cols);
      std::normal_distribution<float> normal;
      for (auto& v : x) v = normal(rng);
      std::vector<float> out(rows, -7.0f);
      kernels().matvec_bf16w_f32(out.data(), Bf16Matrix{w.data(), rows, cols}, x.data(),
                                 bias.empty() ? nullptr : bias.data(), 2);
      expect_matches(out, rows, w, rows, cols, x, 1, bias);
    }
  }
}

TEST_P(Matvec, MatmulBothRegimesAndTileBoundary) {
  std::mt19937 rng(4);
  const int rows = kMatmulTileRows + 37, cols = 96;
  const auto w = random_bf16(static_cast<size_t>(rows) * cols, rng);
  const auto bias = random_bf16(rows, rng);
  std::vector<float> tile(static_cast<size_t>(kMatmulTileRows) * cols);
  for (int n : {1, 2, 3, 17}) {
    std::vector<float> x(static_cast<size_t>(n) * cols);
    std::normal_distribution<float> normal;
    for (auto& v : x) v = normal(rng);
    const int stride = rows + 5;  // a wider output row: the padding must stay untouched
    std::vector<float> out(static_cast<size_t>(n) * stride, 123.0f);
    kernels().matmul_bf16w_f32(out.data(), stride, Bf16Matrix{w.data(), rows, cols}, x.data(), n, bias.data(),
                               tile.data(), 2);
    expect_matches(out, stride, w, rows, cols, x, n, bias);
    for (int t = 0; t < n; ++t)
      for (int r = rows; r < stride; ++r) EXPECT_EQ(out[static_cast<size_t>(t) * stride + r], 123.0f);
  }
}

// Several matrices of different heights over one input, as q, k and v are.
TEST_P(Matvec, SharedInputJobsMatchScalarDoubleLoop) {
  std::mt19937 rng(6);
  const int cols = 96;
  const int heights[3] = {130, 64, 7};
  std::vector<std::vector<uint16_t>> w, bias;
  std::vector<std::vector<float>> out;
  std::vector<Bf16Matvec> jobs;
  for (int rows : heights) {
    w.push_back(random_bf16(static_cast<size_t>(rows) * cols, rng));
    bias.push_back(random_bf16(rows, rng));
    out.emplace_back(rows, -1.0f);
  }
  for (int i = 0; i < 3; ++i)
    jobs.push_back({out[i].data(), Bf16Matrix{w[i].data(), heights[i], cols}, bias[i].data()});
  std::vector<float> x(cols);
  std::normal_distribution<float> normal;
  for (auto& v : x) v = normal(rng);
  kernels().matvecs_bf16w_f32(jobs.data(), 3, x.data(), 2);
  for (int i = 0; i < 3; ++i) expect_matches(out[i], heights[i], w[i], heights[i], cols, x, 1, bias[i]);
}

GPTOSS_FOR_EACH_KERNEL_TARGET(Matvec);

}  // namespace
}  // namespace gptoss::engine
