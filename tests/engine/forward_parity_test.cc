// The engine's logits against the independent double-precision reference (tests/reference), on
// tiny random models written by write_test_model: batched prefill (all-position logits, in
// chunks) and one-token-at-a-time decode, on the HF layout, a sharded HF copy and original/,
// past the sliding window (tiny W = 4) and past YaRN's original context (tiny C = 256).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
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

// Tolerance. The engine computes in fp32 from the same bf16/MXFP4 numbers the reference reads
// exactly. fp32 rounding (relative 6e-8 per operation) accumulated over H = 64-term dot products,
// three layers, softmaxes and the 64-term lm_head dot gives errors of order 1e-6 to 1e-5 relative
// to the logits' magnitude (|logit| up to ~5 for these models). 1e-3 x max(1, max |logit|) leaves
// two orders of magnitude of headroom for that, yet any real mistake (a wrong sign, a missing
// sink, a window off by one, an unrotated or wrongly scaled RoPE dimension, a swapped nibble)
// moves logits far above it: each of np_forward.py's eleven injected bugs (interleaved RoPE, no
// sinks, window off by one, no YaRN, no concentration, softmax over all experts, gate/up halves,
// nibble swap, no +1, scale bias 126, sliding on odd layers) moves the tiny model's logits by 2.4
// to 7.6 over 40 tokens. Measured engine errors are 3e-6 to 8e-6.
constexpr double kRelativeTolerance = 1e-3;

class ForwardParity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    write_test_model(dir_->str(), *find_test_model_preset("tiny"), {.seed = 11});
    reference_ = new reference::ReferenceModel(dir_->str());  // reads the HF layout only
  }
  static void TearDownTestSuite() {
    delete reference_;
    delete dir_;
  }

  static std::vector<int32_t> tokens(int n, uint32_t seed) { return testing::mixed_token_ids(n, seed); }

  struct Errors {
    double prefill = 0, decode = 0;  // max abs logit error
    double worst_ratio = 0;          // max error / tolerance
  };

  // Runs the reference once; feeds every position to a decoding Context as it comes, and every
  // `chunk` positions to a prefilling Context (all-position logits), comparing both.
  static Errors check(const std::string& engine_dir, const std::vector<int32_t>& ids, size_t chunk) {
    auto model = Model::open(engine_dir, {.threads = 2});
    const int n = static_cast<int>(ids.size());
    const size_t V = static_cast<size_t>(model->config().vocab);
    Context prefill_ctx(model, {.max_tokens = n}), decode_ctx(model, {.max_tokens = n});
    Errors errors;
    int failures = 0;
    auto compare = [&](const std::vector<double>& want, std::span<const float> got, int p, const char* mode,
                       double& max_error) {
      ASSERT_EQ(got.size(), V);
      double magnitude = 1.0, error = 0.0;
      size_t at = 0;
      for (size_t v = 0; v < V; ++v) {
        magnitude = std::max(magnitude, std::fabs(want[v]));
        const double e = std::fabs(want[v] - got[v]);
        if (!(e <= error)) {  // also catches NaN
          error = std::isnan(e) ? INFINITY : e;
          at = v;
        }
      }
      const double tolerance = kRelativeTolerance * magnitude;
      max_error = std::max(max_error, error);
      errors.worst_ratio = std::max(errors.worst_ratio, error / tolerance);
      if (error > tolerance && failures++ < 5)
        ADD_FAILURE() << mode << " position " << p << ": max abs logit error " << error << " at id " << at
                      << " (reference " << want[at] << ", engine " << got[at] << "), tolerance " << tolerance;
    };

    std::vector<std::vector<double>> pending;  // reference rows not yet prefilled
    std::vector<float> chunk_logits;
    size_t first = 0;
    reference_->forward(ids, [&](int p, const std::vector<double>& want) {
      compare(want, decode_ctx.decode(ids[p]), p, "decode", errors.decode);
      pending.push_back(want);
      if (pending.size() == chunk || p == n - 1) {
        chunk_logits.assign(pending.size() * V, 0.0f);
        prefill_ctx.prefill(std::span<const int32_t>(ids).subspan(first, pending.size()), chunk_logits);
        for (size_t i = 0; i < pending.size(); ++i)
          compare(pending[i], std::span<const float>(chunk_logits).subspan(i * V, V),
                  static_cast<int>(first + i), "prefill", errors.prefill);
        first += pending.size();
        pending.clear();
      }
    });
    EXPECT_EQ(prefill_ctx.size(), ids.size());
    EXPECT_EQ(decode_ctx.size(), ids.size());
    return errors;
  }

  static void report(const char* name, const Errors& e) {
    std::printf("[parity] %s: max abs logit error prefill %.3g, decode %.3g (worst %.3g of tolerance)\n",
                name, e.prefill, e.decode, e.worst_ratio);
  }

  static testing::TempDir* dir_;
  static reference::ReferenceModel* reference_;
};

testing::TempDir* ForwardParity::dir_ = nullptr;
reference::ReferenceModel* ForwardParity::reference_ = nullptr;

TEST_F(ForwardParity, HfPastTheSlidingWindow) {
  // one batched prefill of 40 tokens: ten times the window
  report("hf, 40 tokens", check(dir_->str(), tokens(40, 1), 40));
}

TEST_F(ForwardParity, ShardedHf) {
  // the same numbers as dir_, cut into shards of 20 MiB (ctest runs each test alone: write it here)
  testing::TempDir sharded;
  write_test_model(sharded.str(), *find_test_model_preset("tiny"), {.seed = 11, .shard_bytes = 20ull << 20});
  report("sharded hf, 24 tokens", check(sharded.str(), tokens(24, 2), 7));
}

TEST_F(ForwardParity, OriginalLayout) {
  report("original, 40 tokens", check(dir_->str() + "/original", tokens(40, 1), 16));
}

TEST_F(ForwardParity, PastYarnOriginalContext) {
  // 300 positions: past the tiny model's YaRN original context of 256.
  ASSERT_EQ(reference_->config().original_context, 256);
  report("hf, 300 tokens", check(dir_->str(), tokens(300, 3), 100));
}

}  // namespace
}  // namespace gptoss::engine
