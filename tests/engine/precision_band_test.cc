// The `fast` precision profile against the band (issue 10): OpenAI's torch reference runs with
// bf16 activations, and its distance from the f64 reference is what "as close as the reference"
// means. The band is computed here, not assumed: the independent reference (tests/reference) runs
// twice, in f64 and with bf16 activations (RefActivations::kBf16, rounded where np_forward.py
// --acts bf16 rounds), on the tiny and small random models, for prompts of 1 to 300 tokens. The
// fast engine must be no further from f64 than 2x the band on each measure: median and max abs
// logit error, mean KL of the softmax, and top-1 disagreement (the fraction of positions whose
// argmax differs; see check_band for its slack). Its decode must equal its prefill within its own
// distance from f64.
//
// Cross-checked by hand against ../shared/tools/np_forward.py (--dtype f64, with and without
// --acts bf16) on the same models, ids and positions: tiny gives the same band to 3 digits (median
// 0.00882, max 0.234, KL 1.23e-4, top-1 0.962); small median 0.02377 against 0.0236 here (the
// order of the f64 sums differs, which moves ties of bf16 rounding), max 3.08, KL 0.0121, top-1
// 0.788 the same.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/test_model.h"
#include "reference/reference_forward.h"
#include "reference/temp_dir.h"
#include "reference/token_ids.h"

namespace gptoss::engine {
namespace {

constexpr int kTokens = 300;

// The factor: fast may be at most this much further from f64 than the band.
constexpr double kBandFactor = 2.0;

// Prompt lengths whose last-position logits are compared: every length up to 16 (the first
// positions, where a sliding window of 4 or 16 is not yet full), then every 8th to 300.
std::vector<int> prompt_lengths() {
  std::vector<int> n;
  for (int i = 1; i <= 16; ++i) n.push_back(i);
  for (int i = 24; i < kTokens; i += 8) n.push_back(i);
  n.push_back(kTokens);
  return n;
}

using Rows = std::vector<std::vector<double>>;  // [positions][V]

// How far `got` is from `want`, over all positions compared.
struct Distance {
  double median_abs = 0, max_abs = 0;  // |logit error| over every (position, id)
  double mean_kl = 0;                  // mean over positions of KL(softmax(want) || softmax(got))
  double top1 = 0;                     // fraction of positions with the same argmax
};

std::vector<double> log_softmax(const std::vector<double>& z) {
  const double m = *std::max_element(z.begin(), z.end());
  double sum = 0;
  for (double v : z) sum += std::exp(v - m);
  const double log_sum = m + std::log(sum);
  std::vector<double> out(z.size());
  for (size_t i = 0; i < z.size(); ++i) out[i] = z[i] - log_sum;
  return out;
}

size_t argmax(const std::vector<double>& z) { return std::max_element(z.begin(), z.end()) - z.begin(); }

Distance distance(const Rows& got, const Rows& want) {
  Distance d;
  std::vector<double> errors;
  for (size_t p = 0; p < want.size(); ++p) {
    const std::vector<double> lp = log_softmax(want[p]), lq = log_softmax(got[p]);
    double kl = 0;
    for (size_t i = 0; i < want[p].size(); ++i) {
      const double e = std::fabs(got[p][i] - want[p][i]);
      errors.push_back(std::isnan(e) ? INFINITY : e);
      kl += std::exp(lp[i]) * (lp[i] - lq[i]);
    }
    d.mean_kl += kl / want.size();
    d.top1 += (argmax(got[p]) == argmax(want[p])) / static_cast<double>(want.size());
  }
  std::nth_element(errors.begin(), errors.begin() + errors.size() / 2, errors.end());
  d.median_abs = errors[errors.size() / 2];
  d.max_abs = *std::max_element(errors.begin(), errors.end());
  return d;
}

std::string show(const Distance& d) {
  char buf[160];
  std::snprintf(buf, sizeof buf, "median |err| %.4g, max |err| %.4g, mean KL %.4g, top-1 %.3f", d.median_abs,
                d.max_abs, d.mean_kl, d.top1);
  return buf;
}

std::vector<double> widen(std::span<const float> z) { return std::vector<double>(z.begin(), z.end()); }

// The engine's last-position logits after prefilling each prompt length (one context, extended
// chunk by chunk), and, for fast, those of a second context decoding one token at a time.
struct EngineRows {
  Rows prefill, decode;
};
EngineRows engine_rows(const std::string& dir, Precision precision, const std::vector<int32_t>& ids,
                       bool with_decode) {
  auto model = Model::open(dir, {.threads = 2, .precision = precision});
  EXPECT_EQ(model->info().precision, precision);
  EngineRows out;
  Context prefill_ctx(model, {.max_tokens = kTokens}), decode_ctx(model, {.max_tokens = kTokens});
  int done = 0;
  for (int n : prompt_lengths()) {
    out.prefill.push_back(widen(prefill_ctx.prefill(std::span<const int32_t>(ids).subspan(done, n - done))));
    done = n;
    if (!with_decode) continue;
    std::span<const float> z;
    while (static_cast<int>(decode_ctx.size()) < n) z = decode_ctx.decode(ids[decode_ctx.size()]);
    out.decode.push_back(widen(z));
  }
  return out;
}

void check_band(const char* preset, uint32_t seed) {
  testing::TempDir dir;
  write_test_model(dir.str(), *find_test_model_preset(preset), {.seed = seed});
  const std::vector<int32_t> ids = testing::mixed_token_ids(kTokens, seed);
  const std::vector<int> lengths = prompt_lengths();
  auto wanted = [&](int p) { return std::binary_search(lengths.begin(), lengths.end(), p + 1); };

  Rows f64, bf16;
  {
    reference::ReferenceModel ref(dir.str());
    ref.forward(ids, [&](int, const std::vector<double>& z) { f64.push_back(z); }, {},
                {.acts = reference::RefActivations::kF64, .logits_at = wanted});
    ref.forward(ids, [&](int, const std::vector<double>& z) { bf16.push_back(z); }, {},
                {.acts = reference::RefActivations::kBf16, .logits_at = wanted});
  }
  ASSERT_EQ(f64.size(), lengths.size());
  ASSERT_EQ(bf16.size(), lengths.size());
  const EngineRows fast = engine_rows(dir.str(), Precision::kFast, ids, /*with_decode=*/true);
  const EngineRows exact = engine_rows(dir.str(), Precision::kExact, ids, /*with_decode=*/false);

  const Distance band = distance(bf16, f64), got = distance(fast.prefill, f64),
                 exact_got = distance(exact.prefill, f64), decode = distance(fast.decode, fast.prefill);
  // Top-1: fast may disagree with f64 on at most 2x the band's share of positions (the same factor
  // as the other measures), plus one position: agreement is counted in steps of 1/n, and a band
  // that flips no position would otherwise demand that fast flips none either.
  const double slack = (kBandFactor - 1) * (1 - band.top1) + 1.0 / lengths.size();
  std::printf("[band] %s, %zu prompt lengths 1..%d\n", preset, lengths.size(), kTokens);
  std::printf("[band]   bf16 reference vs f64: %s\n", show(band).c_str());
  std::printf("[band]   fast engine vs f64:    %s\n", show(got).c_str());
  std::printf("[band]   exact engine vs f64:   %s\n", show(exact_got).c_str());
  std::printf("[band]   fast decode vs prefill: %s\n", show(decode).c_str());
  std::printf("[band]   top-1 must be >= %.3f\n", band.top1 - slack);

  // The band is real: bf16 activations move the logits (else "2x the band" would demand exactness).
  EXPECT_GT(band.median_abs, 0.0);
  EXPECT_GT(band.mean_kl, 0.0);

  EXPECT_LE(got.median_abs, kBandFactor * band.median_abs) << preset;
  EXPECT_LE(got.max_abs, kBandFactor * band.max_abs) << preset;
  EXPECT_LE(got.mean_kl, kBandFactor * band.mean_kl) << preset;
  EXPECT_GE(got.top1, band.top1 - slack) << preset;

  // Decode equals prefill within fast's own distance from f64 (both round the same keys and
  // values to bf16; only the order of f32 sums differs). The floor of 1e-6 covers a fast profile
  // that happened to equal f64 on some measure.
  EXPECT_LE(decode.median_abs, std::max(got.median_abs, 1e-6)) << preset;
  EXPECT_LE(decode.max_abs, std::max(got.max_abs, 1e-6)) << preset;
  EXPECT_LE(decode.mean_kl, std::max(got.mean_kl, 1e-12)) << preset;
}

TEST(PrecisionBand, TinyFastWithinTwiceTheBf16Band) { check_band("tiny", 21); }

TEST(PrecisionBand, SmallFastWithinTwiceTheBf16Band) { check_band("small", 22); }

}  // namespace
}  // namespace gptoss::engine
