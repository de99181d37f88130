// The MoE: router top-k (ties to the lower index), softmax over the chosen k only, clamped
// SwiGLU at its limits, and the grouped expert pass against a scalar double twin.
#include "engine/moe.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/kernel_targets.h"
#include "engine/mxfp4.h"

namespace gptoss::engine {
namespace {

class MoeExperts : public KernelTargetTest {};

TEST(Moe, TopKTiesGoToTheLowerIndex) {
  const float logits[6] = {1.0f, 3.0f, 3.0f, 2.0f, 3.0f, -5.0f};
  int ids[4];
  float w[4];
  route_topk_f32(ids, w, logits, 6, 2);
  EXPECT_EQ(ids[0], 1);
  EXPECT_EQ(ids[1], 2);
  route_topk_f32(ids, w, logits, 6, 4);
  EXPECT_EQ(ids[0], 1);
  EXPECT_EQ(ids[1], 2);
  EXPECT_EQ(ids[2], 4);
  EXPECT_EQ(ids[3], 3);
}

TEST(Moe, WeightsAreSoftmaxOverTheChosenOnly) {
  const float logits[5] = {0.5f, 2.0f, -1.0f, 1.0f, 10.0f};
  int ids[2];
  float w[2];
  route_topk_f32(ids, w, logits, 5, 2);
  ASSERT_EQ(ids[0], 4);
  ASSERT_EQ(ids[1], 1);
  const double e4 = std::exp(10.0), e1 = std::exp(2.0);
  EXPECT_NEAR(w[0], e4 / (e4 + e1), 1e-7);
  EXPECT_NEAR(w[1], e1 / (e4 + e1), 1e-7);
  // Softmax over all five would give the second one less than this.
  EXPECT_GT(w[1], std::exp(2.0) / (std::exp(0.5) + e1 + std::exp(-1.0) + std::exp(1.0) + e4));
}

double spec_swiglu(double gate, double linear, double limit) {
  const double g = std::min(gate, limit), l = std::clamp(linear, -limit, limit);
  return g / (1 + std::exp(-1.702 * g)) * (l + 1);
}

TEST(Moe, SwigluClampsAtTheLimitAndAddsOne) {
  const float limit = 7.0f;
  // (gate, linear) pairs around the limits.
  const std::vector<float> u = {6.9f, 0.0f,  7.0f,  7.0f,  50.0f, 50.0f, -50.0f, 1.0f,
                                1.0f, -8.0f, -3.0f, -7.0f, 2.0f,  -1.0f, 0.0f,   3.0f};
  std::vector<float> h(u.size() / 2);
  swiglu_clamped_f32(h.data(), u.data(), static_cast<int>(h.size()), limit);
  for (size_t i = 0; i < h.size(); ++i)
    EXPECT_NEAR(h[i], spec_swiglu(u[2 * i], u[2 * i + 1], limit), 1e-5 * (1 + std::abs(h[i]))) << i;
  // Above the limit both halves saturate: 7 sigmoid(11.914) (7 + 1).
  EXPECT_NEAR(h[2], 7.0 / (1 + std::exp(-1.702 * 7.0)) * 8.0, 1e-5);
  // The gate has no lower clamp: a very negative gate gives (-)0, not a clamped value.
  EXPECT_NEAR(h[3], 0.0, 1e-12);
  // Linear -8 clamps to -7: the factor is (-7 + 1) = -6.
  EXPECT_NEAR(h[4], 1.0 / (1 + std::exp(-1.702)) * -6.0, 1e-6);
  // The +1: linear -1 zeroes the unit.
  EXPECT_EQ(h[6], 0.0f);
}

struct RandomExperts {
  int E, H, I;
  std::vector<uint8_t> b1, s1, b2, s2;
  std::vector<uint16_t> bias1, bias2;
  LayerWeights lw;
};

RandomExperts make_experts(int E, int H, int I, std::mt19937& rng) {
  RandomExperts r{E, H, I, {}, {}, {}, {}, {}, {}, {}};
  auto fill_bytes = [&](std::vector<uint8_t>& v, size_t n) {
    v.resize(n);
    for (auto& b : v) b = static_cast<uint8_t>(rng());
  };
  auto fill_scales = [&](std::vector<uint8_t>& v, size_t n, int base) {
    v.resize(n);
    for (auto& s : v) s = static_cast<uint8_t>(base + rng() % 3);
  };
  auto fill_bias = [&](std::vector<uint16_t>& v, size_t n) {
    v.resize(n);
    for (auto& b : v) b = static_cast<uint16_t>(((rng() % 2) << 15) | (123 << 7) | (rng() % 128));
  };
  fill_bytes(r.b1, size_t(E) * 2 * I * H / 2);
  fill_scales(r.s1, size_t(E) * 2 * I * H / 32, 123);
  fill_bytes(r.b2, size_t(E) * H * I / 2);
  fill_scales(r.s2, size_t(E) * H * I / 32, 123);
  fill_bias(r.bias1, size_t(E) * 2 * I);
  fill_bias(r.bias2, size_t(E) * H);
  r.lw.mlp1 = Mxfp4Experts{r.b1.data(), r.s1.data(), r.bias1.data(), E, 2 * I, H};
  r.lw.mlp2 = Mxfp4Experts{r.b2.data(), r.s2.data(), r.bias2.data(), E, H, I};
  return r;
}

double fp4_weight(const Mxfp4Experts& w, int e, int r, int c) {
  static const double table[16] = {0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6};
  const uint8_t byte = w.expert_blocks(e)[size_t(r) * w.cols / 2 + c / 2];
  const int code = c % 2 ? byte >> 4 : byte & 0x0F;
  return std::ldexp(table[code], w.expert_scales(e)[size_t(r) * (w.cols / 32) + c / 32] - 127);
}

double widen(uint16_t b) {
  const uint32_t bits = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Expert pass for several tokens at once (some experts shared by several tokens) against the
// double twin of model.md; a token's result equals its single-token result bit for bit.
TEST_P(MoeExperts, MatchDoubleTwinAndBatchEqualsSingle) {
  std::mt19937 rng(21);
  const int E = 6, H = 64, I = 32, K = 3, n = 9;
  const float limit = 7.0f;
  RandomExperts ex = make_experts(E, H, I, rng);
  std::normal_distribution<float> normal;
  std::vector<float> t(n * H), x(n * H);
  for (auto& v : t) v = normal(rng);
  for (auto& v : x) v = normal(rng);
  std::vector<int> ids(n * K);
  std::vector<float> weights(n * K);
  for (int i = 0; i < n; ++i) {
    std::vector<float> r(E);
    for (auto& v : r) v = normal(rng);
    route_topk_f32(ids.data() + i * K, weights.data() + i * K, r.data(), E, K);
  }
  std::vector<float> x_batch = x;
  MoeScratch scratch(n, H, I, E, K);
  const uint64_t bytes = moe_experts_f32(x_batch.data(), ex.lw, t.data(), ids.data(), weights.data(), n, K,
                                         limit, scratch, kernels(), 2);
  int used = 0;
  for (int e = 0; e < E; ++e)
    for (int v : ids)
      if (v == e) {
        ++used;
        break;
      }
  EXPECT_EQ(bytes, uint64_t(used) * (2 * I * H / 2 + 2 * I * H / 32 + H * I / 2 + H * I / 32));

  for (int i = 0; i < n; ++i) {
    std::vector<double> want(H, 0.0), magnitude(H, 0.0);
    for (int k = 0; k < K; ++k) {
      const int e = ids[i * K + k];
      std::vector<double> h(I);
      double hmag = 0;
      for (int j = 0; j < I; ++j) {
        double gate = widen(ex.lw.mlp1.expert_bias(e)[2 * j]),
               lin = widen(ex.lw.mlp1.expert_bias(e)[2 * j + 1]);
        for (int c = 0; c < H; ++c) {
          gate += fp4_weight(ex.lw.mlp1, e, 2 * j, c) * t[i * H + c];
          lin += fp4_weight(ex.lw.mlp1, e, 2 * j + 1, c) * t[i * H + c];
        }
        h[j] = spec_swiglu(gate, lin, limit);
        hmag += std::abs(h[j]);
      }
      for (int c = 0; c < H; ++c) {
        double y = widen(ex.lw.mlp2.expert_bias(e)[c]), ymag = std::abs(y);
        for (int j = 0; j < I; ++j) {
          y += fp4_weight(ex.lw.mlp2, e, c, j) * h[j];
          ymag += std::abs(fp4_weight(ex.lw.mlp2, e, c, j) * h[j]);
        }
        want[c] += weights[i * K + k] * y;
        magnitude[c] += ymag + hmag;
      }
    }
    // f32 through two matvecs of <= 64 terms and the SwiGLU: relative rounding ~1e-6 of the
    // magnitudes involved; 1e-5 of them is a safe bound that a wrong column or code breaks.
    for (int c = 0; c < H; ++c)
      ASSERT_NEAR(x_batch[i * H + c] - x[i * H + c], want[c], 1e-5 * (1 + magnitude[c])) << i << " " << c;

    std::vector<float> x_single(x.begin() + i * H, x.begin() + (i + 1) * H);
    moe_experts_f32(x_single.data(), ex.lw, t.data() + i * H, ids.data() + i * K, weights.data() + i * K, 1,
                    K, limit, scratch, kernels(), 1);
    for (int c = 0; c < H; ++c) ASSERT_EQ(x_single[c], x_batch[i * H + c]) << i << " " << c;
  }
}

GPTOSS_FOR_EACH_KERNEL_TARGET(MoeExperts);

}  // namespace
}  // namespace gptoss::engine
