// Picks the next token from the logits: temperature, optional top-k, top-p (nucleus), seeded.
//
//   Sampler sampler({.temperature = 0.7, .top_p = 0.9, .seed = 42});
//   int32_t next = sampler.sample(logits);
//
// Each Sampler owns its random state (no globals), so the same options, seed and logits give the
// same tokens on every run and platform (mt19937_64 is fully specified; doubles are built from
// its raw bits rather than through std::uniform_real_distribution, whose output is not).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <utility>
#include <vector>

namespace gptoss::chat {

struct SamplerOptions {
  double temperature = 1.0;      // 0: greedy (argmax, ties go to the lowest id)
  double top_p = 1.0;            // keep the smallest set of most likely tokens whose mass >= top_p
  int top_k = 0;                 // 0: off; otherwise keep only the k most likely tokens
  std::optional<uint64_t> seed;  // nullopt: seeded from std::random_device
};

class Sampler {
 public:
  // Throws gptoss::Error if temperature < 0, top_p not in (0, 1] or top_k < 0.
  explicit Sampler(const SamplerOptions& options = {});

  // Returns a token id in [0, logits.size()). Per-token path: never throws. Logits that are NaN
  // are treated as -inf; if every logit is -inf the lowest id is returned.
  int32_t sample(std::span<const float> logits);

  // The probabilities sample() draws from, as (id, p) pairs with p > 0, sorted by id. Costs a
  // full pass and allocates: for tests and diagnostics, not for the per-token path.
  std::vector<std::pair<int32_t, double>> distribution(std::span<const float> logits);

  const SamplerOptions& options() const { return options_; }
  // Restarts the random sequence (the same seed replays the same draws).
  void reseed(uint64_t seed);

 private:
  double next_uniform();  // in [0, 1), 53 random bits
  // Fills candidates_ with (id, unnormalised weight) for the tokens that survive top-k/top-p;
  // returns their total weight.
  double build_candidates(std::span<const float> logits);

  SamplerOptions options_;
  std::mt19937_64 rng_;
  std::vector<std::pair<int32_t, double>> candidates_;  // scratch reused across calls
  std::vector<double> weights_;                         // scratch: exp((logit - max) / T) per id
};

}  // namespace gptoss::chat
