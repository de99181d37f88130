// Attention against a scalar double twin of model.md's three lines, plus closed-form checks of
// the sink, the window's edges and the GQA head mapping.
#include "engine/attention.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "engine/kernel_targets.h"

namespace gptoss::engine {
namespace {

constexpr int kW = 4, kNH = 4, kNKV = 2, kD = 8;

class Attention : public KernelTargetTest {
 protected:
  std::vector<float> scratch = std::vector<float>(attention_scratch_floats(kNH, kD, 2));
};

// Head counts, head size and window of a test's cache: the small one the closed-form tests use,
// or gpt-oss's own (the one the vector kernels are written for).
struct Shape {
  int NH = kNH, NKV = kNKV, D = kD, W = kW;
};
constexpr Shape kGptOss{64, 8, 64, 128};

Config attention_config(const Shape& shape = {}) {
  Config c;
  c.n_layers = 2;
  c.n_heads = shape.NH;
  c.n_kv_heads = shape.NKV;
  c.head_dim = shape.D;
  c.sliding_window = shape.W;
  c.layer_types = {AttentionKind::kSliding, AttentionKind::kFull};
  return c;
}

// model.md, in double: visible j <= p and (sliding) p - j < W; softmax over [s_j..., sink].
std::vector<double> twin(const std::vector<float>& q, const std::vector<std::vector<float>>& keys,
                         const std::vector<std::vector<float>>& values, int p, bool sliding,
                         const float* sinks, const Shape& shape = {}) {
  const int NH = shape.NH, NKV = shape.NKV, D = shape.D;
  std::vector<double> out(NH * D, 0.0);
  for (int h = 0; h < NH; ++h) {
    const int g = h / (NH / NKV);
    std::vector<double> s;
    std::vector<int> js;
    for (int j = 0; j <= p; ++j) {
      if (sliding && p - j >= shape.W) continue;
      double dot = 0;
      for (int d = 0; d < D; ++d) dot += static_cast<double>(q[h * D + d]) * keys[j][g * D + d];
      s.push_back(dot / std::sqrt(static_cast<double>(D)));
      js.push_back(j);
    }
    double m = sinks[h];
    for (double v : s) m = std::max(m, v);
    double denom = std::exp(sinks[h] - m);
    for (double v : s) denom += std::exp(v - m);
    for (size_t i = 0; i < s.size(); ++i)
      for (int d = 0; d < D; ++d) out[h * D + d] += std::exp(s[i] - m) / denom * values[js[i]][g * D + d];
  }
  return out;
}

struct Filled {
  KvCache cache;
  std::vector<std::vector<float>> keys, values;  // [position][NKV * D]
};

// Random keys and values at positions [0, positions) of both layers. The twin gets them as stored
// (key_at: a bf16 cache rounds them), so a kernel's only error is its f32 arithmetic.
Filled fill(int positions, std::mt19937& rng, int capacity = 64, KvType type = KvType::kF32,
            const Shape& shape = {}) {
  Filled f{KvCache(attention_config(shape), capacity, 8, type), {}, {}};
  std::normal_distribution<float> normal;
  for (int p = 0; p < positions; ++p) {
    std::vector<float> k(shape.NKV * shape.D), v(shape.NKV * shape.D);
    for (auto& x : k) x = normal(rng);
    for (auto& x : v) x = normal(rng);
    for (int l = 0; l < 2; ++l) f.cache.store(l, p, k.data(), v.data());
    for (size_t i = 0; i < k.size(); ++i) k[i] = f.cache.key_at(0, p, i), v[i] = f.cache.value_at(0, p, i);
    f.keys.push_back(k);
    f.values.push_back(v);
  }
  f.cache.append(positions);
  return f;
}

// Attention (the target's kernels) for the n queries q [n, NH*D] at positions p0.. of layer l: each
// output within `tolerance` of the double twin.
void expect_twin(const Kernels& kernels, const Filled& f, const std::vector<float>& q, int l, int p0, int n,
                 const float* sinks, double tolerance, const std::string& label, const Shape& shape = {}) {
  const int row = shape.NH * shape.D;
  std::vector<float> out(static_cast<size_t>(n) * row),
      scratch(attention_scratch_floats(shape.NH, shape.D, 2));
  kernels.attention_f32(out.data(), q.data(), f.cache, l, p0, n, sinks, shape.NH, shape.NKV, shape.D,
                        scratch.data(), 2);
  for (int t = 0; t < n; ++t) {
    const std::vector<float> qt(q.begin() + t * row, q.begin() + (t + 1) * row);
    const auto want = twin(qt, f.keys, f.values, p0 + t, l == 0, sinks, shape);
    for (int i = 0; i < row; ++i)
      ASSERT_NEAR(out[t * row + i], want[i], tolerance)
          << label << " layer " << l << " query " << t << " i " << i;
  }
}

TEST_P(Attention, MatchesDoubleTwinOnBothLayerKinds) {
  std::mt19937 rng(11);
  const int P = 10;
  Filled f = fill(P, rng);
  const float sinks[kNH] = {0.5f, -1.0f, 2.0f, 0.0f};
  std::normal_distribution<float> normal;
  // The batch: queries at positions 3 .. 9 at once (their keys already in the cache).
  const int p0 = 3, n = P - p0;
  std::vector<float> q(static_cast<size_t>(n) * kNH * kD);
  for (auto& x : q) x = normal(rng);
  // f32 scores, exp and sums over <= 10 terms of O(1) values: 1e-5 is far above rounding.
  for (int l = 0; l < 2; ++l)
    ASSERT_NO_FATAL_FAILURE(expect_twin(kernels(), f, q, l, p0, n, sinks, 1e-5, "batch"));
}

// Decode at 1000 positions: the full layer's keys are cut into ranges (kMinKeysPerRange = 256 per
// range at least, so 3 with 2 threads) whose partial softmaxes are merged; the sliding layer's 4
// keys are one range. Scores are scaled up so the running max moves between blocks and ranges.
TEST_P(Attention, DecodeOverKeyRangesMatchesDoubleTwin) {
  std::mt19937 rng(13);
  const int P = 1000;
  Filled f = fill(P, rng, P);
  const float sinks[kNH] = {0.5f, -1.0f, 2.0f, 0.0f};
  std::normal_distribution<float> normal;
  std::vector<float> q(kNH * kD);
  for (auto& x : q) x = 3.0f * normal(rng);
  // A weighted mean of O(1) values with f32 weights summed over 1000 terms: 1e-5 is ~100x the
  // rounding, and far below what a dropped range or a wrong rescale would change.
  for (int l = 0; l < 2; ++l)
    ASSERT_NO_FATAL_FAILURE(expect_twin(kernels(), f, q, l, P - 1, 1, sinks, 1e-5, "decode"));
}

TEST_P(Attention, Bf16CacheMatchesDoubleTwinInBatchAndDecode) {
  std::mt19937 rng(14);
  const int P = 700;
  Filled f = fill(P, rng, P, KvType::kBf16);  // the fast profile's cache, read widened
  const float sinks[kNH] = {0.5f, -1.0f, 2.0f, 0.0f};
  std::normal_distribution<float> normal;
  const int p0 = P - 5, n = 5;  // a batch of 5, then one decode query over 2 ranges of >= 256 keys
  std::vector<float> q(static_cast<size_t>(n) * kNH * kD);
  for (auto& x : q) x = 2.0f * normal(rng);
  const std::vector<float> first_query(q.begin(), q.begin() + kNH * kD);
  for (int l = 0; l < 2; ++l) {
    ASSERT_NO_FATAL_FAILURE(expect_twin(kernels(), f, q, l, p0, n, sinks, 1e-5, "batch"));
    ASSERT_NO_FATAL_FAILURE(expect_twin(kernels(), f, first_query, l, P - 1, 1, sinks, 1e-5, "decode"));
  }
}

// gpt-oss's own shape (64 query heads over 8 KV heads of 64, window 128): the shape the vector
// kernels' register blocking is written for. 700 positions, so the sliding layer's ring (128 + 8
// slots) wraps inside key blocks and the full layer's keys end mid-block; both cache types; a
// batch of 3 and a decode query. Scores are scaled up so the running max moves between blocks.
TEST_P(Attention, GptOssShapeMatchesDoubleTwin) {
  const Shape shape = kGptOss;
  const int NH = shape.NH, D = shape.D, P = 700;
  std::vector<float> sinks(NH);
  std::mt19937 rng(15);
  std::normal_distribution<float> normal;
  for (auto& x : sinks) x = normal(rng);
  for (KvType type : {KvType::kF32, KvType::kBf16}) {
    Filled f = fill(P, rng, P, type, shape);
    const int p0 = P - 3, n = 3;
    std::vector<float> q(static_cast<size_t>(n) * NH * D);
    for (auto& x : q) x = 2.0f * normal(rng);
    const std::vector<float> last_query(q.end() - NH * D, q.end());
    const std::string cache = type == KvType::kBf16 ? "bf16 " : "f32 ";
    // f32 dot products of 64 terms and sums of <= 700 weights of O(1) values, in a different
    // order than the twin's: 2e-5 is ~100x their rounding, far below any dropped key.
    for (int l = 0; l < 2; ++l) {
      ASSERT_NO_FATAL_FAILURE(
          expect_twin(kernels(), f, q, l, p0, n, sinks.data(), 2e-5, cache + "batch", shape));
      ASSERT_NO_FATAL_FAILURE(
          expect_twin(kernels(), f, last_query, l, P - 1, 1, sinks.data(), 2e-5, cache + "decode", shape));
    }
  }
}

// One visible key and q = 0: a = exp(0) / (exp(0) + exp(sink)), so out = v / (1 + e^sink).
TEST_P(Attention, SinkTakesItsShareAndGivesNothing) {
  std::mt19937 rng(12);
  Filled f = fill(1, rng);
  const float sinks[kNH] = {0.0f, 1.0f, -2.0f, 3.0f};
  std::vector<float> q(kNH * kD, 0.0f), out(kNH * kD);
  kernels().attention_f32(out.data(), q.data(), f.cache, 1, 0, 1, sinks, kNH, kNKV, kD, scratch.data(), 1);
  for (int h = 0; h < kNH; ++h)
    for (int d = 0; d < kD; ++d)
      EXPECT_NEAR(out[h * kD + d], f.values[0][(h / 2) * kD + d] / (1.0 + std::exp(sinks[h])), 1e-6);
}

// Values are one-hot in position, keys zero (equal scores): out_h[d] = share of position d.
// On the sliding layer at p = 7, W = 4: p - j = 3 (j = 4) is visible, p - j = 4 (j = 3) is not.
TEST_P(Attention, WindowEdgesOnSlidingLayerOnly) {
  KvCache cache(attention_config(), 64, 8);
  for (int p = 0; p < 8; ++p)
    for (int l = 0; l < 2; ++l) {
      std::fill(cache.key(l, p), cache.key(l, p) + kNKV * kD, 0.0f);
      std::fill(cache.value(l, p), cache.value(l, p) + kNKV * kD, 0.0f);
      for (int g = 0; g < kNKV; ++g) cache.value(l, p)[g * kD + p] = 1.0f;  // D = 8 = positions
    }
  cache.append(8);
  const float sinks[kNH] = {-1e30f, -1e30f, -1e30f, -1e30f};  // no sink: shares are 1 / visible
  std::vector<float> q(kNH * kD, 1.0f), out(kNH * kD);
  kernels().attention_f32(out.data(), q.data(), cache, 0, 7, 1, sinks, kNH, kNKV, kD, scratch.data(), 1);
  for (int j = 0; j < 8; ++j)
    EXPECT_NEAR(out[j], j >= 7 - kW + 1 ? 1.0 / kW : 0.0, 1e-6) << "sliding j=" << j;
  EXPECT_GT(out[7 - (kW - 1)], 0.0f);  // p - j = W - 1: visible
  EXPECT_EQ(out[7 - kW], 0.0f);        // p - j = W: hidden
  kernels().attention_f32(out.data(), q.data(), cache, 1, 7, 1, sinks, kNH, kNKV, kD, scratch.data(), 1);
  for (int j = 0; j < 8; ++j) EXPECT_NEAR(out[j], 1.0 / 8, 1e-6) << "full j=" << j;
}

// KV head 0 holds +1 values, head 1 holds -1: query heads 0, 1 read g = 0 and 2, 3 read g = 1.
TEST_P(Attention, GqaHeadMapping) {
  KvCache cache(attention_config(), 64, 8);
  for (int l = 0; l < 2; ++l) {
    std::fill(cache.key(l, 0), cache.key(l, 0) + kNKV * kD, 0.0f);
    for (int d = 0; d < kD; ++d) cache.value(l, 0)[d] = 1.0f, cache.value(l, 0)[kD + d] = -1.0f;
  }
  cache.append(1);
  const float sinks[kNH] = {-1e30f, -1e30f, -1e30f, -1e30f};
  std::vector<float> q(kNH * kD, 0.3f), out(kNH * kD);
  kernels().attention_f32(out.data(), q.data(), cache, 1, 0, 1, sinks, kNH, kNKV, kD, scratch.data(), 1);
  for (int h = 0; h < kNH; ++h) EXPECT_EQ(out[h * kD], h < 2 ? 1.0f : -1.0f) << h;
}

GPTOSS_FOR_EACH_KERNEL_TARGET(Attention);

}  // namespace
}  // namespace gptoss::engine
