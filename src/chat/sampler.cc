#include "chat/sampler.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <string>

#include "common/error.h"

namespace gptoss::chat {
namespace {

// argmax over logits; NaN never wins; ties go to the lowest id (strict >).
int32_t argmax(std::span<const float> logits) {
  int32_t best = 0;
  float best_value = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < logits.size(); ++i) {
    if (logits[i] > best_value) {
      best_value = logits[i];
      best = static_cast<int32_t>(i);
    }
  }
  return best;
}

// Most likely first; equal weights: lowest id first (so every order below is deterministic).
bool more_likely(const std::pair<int32_t, double>& a, const std::pair<int32_t, double>& b) {
  return a.second != b.second ? a.second > b.second : a.first < b.first;
}

}  // namespace

Sampler::Sampler(const SamplerOptions& options) : options_(options) {
  if (!(options.temperature >= 0) || !std::isfinite(options.temperature)) {
    throw gptoss::Error("sampler: temperature: must be >= 0 (found " + std::to_string(options.temperature) +
                        ")");
  }
  if (!(options.top_p > 0 && options.top_p <= 1)) {
    throw gptoss::Error("sampler: top_p: must be in (0, 1] (found " + std::to_string(options.top_p) + ")");
  }
  if (options.top_k < 0) {
    throw gptoss::Error("sampler: top_k: must be >= 0 (found " + std::to_string(options.top_k) + ")");
  }
  reseed(options.seed ? *options.seed : (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}());
}

void Sampler::reseed(uint64_t seed) { rng_.seed(seed); }

double Sampler::next_uniform() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

double Sampler::build_candidates(std::span<const float> logits) {
  const size_t V = logits.size();
  candidates_.clear();
  float max_logit = -std::numeric_limits<float>::infinity();
  for (float x : logits) max_logit = std::max(max_logit, x);  // NaN compares false: skipped
  if (!std::isfinite(max_logit)) return 0;  // all -inf/NaN (or +inf): caller falls back to argmax

  // Softmax numerators at temperature T, in double: exp((x - max) / T); the max maps to 1.
  const double T = options_.temperature;
  weights_.resize(V);
  for (size_t i = 0; i < V; ++i) {
    const double x = logits[i];
    weights_[i] = std::isnan(x) ? 0.0 : std::exp((x - max_logit) / T);
  }

  for (size_t i = 0; i < V; ++i) {
    if (weights_[i] > 0) candidates_.emplace_back(static_cast<int32_t>(i), weights_[i]);
  }
  const size_t K = static_cast<size_t>(options_.top_k);
  if (K > 0 && K < candidates_.size()) {
    std::nth_element(candidates_.begin(), candidates_.begin() + K, candidates_.end(), more_likely);
    candidates_.resize(K);
    std::sort(candidates_.begin(), candidates_.end(), more_likely);
  }
  double total = 0;
  for (const auto& c : candidates_) total += c.second;

  if (options_.top_p < 1) {
    // Nucleus: the most likely tokens until their mass reaches top_p. Only tokens with
    // p >= (1 - top_p) / N can be in it (the others together hold less than 1 - top_p), so
    // sorting just those is exact and avoids sorting the whole 201088-token vocabulary.
    const double floor_weight = (1 - options_.top_p) * total / static_cast<double>(candidates_.size());
    std::erase_if(candidates_, [&](const auto& c) { return c.second < floor_weight; });
    std::sort(candidates_.begin(), candidates_.end(), more_likely);
    // Keep a token while the mass before it is below top_p (the relative slack absorbs
    // rounding in the running sum, so e.g. 0.5 + 0.4 counts as reaching 0.9).
    const double target = options_.top_p * total * (1 - 1e-12);
    double before = 0;
    size_t keep = 0;
    while (keep < candidates_.size() && (keep == 0 || before < target)) before += candidates_[keep++].second;
    candidates_.resize(keep);
    total = before;
  }
  return total;
}

int32_t Sampler::sample(std::span<const float> logits) {
  assert(!logits.empty());
  if (options_.temperature == 0) return argmax(logits);
  const double total = build_candidates(logits);
  if (candidates_.empty() || !(total > 0)) return argmax(logits);
  const double u = next_uniform() * total;
  double cumulative = 0;
  for (const auto& [id, weight] : candidates_) {
    cumulative += weight;
    if (u < cumulative) return id;
  }
  return candidates_.back().first;  // u within rounding of total
}

std::vector<std::pair<int32_t, double>> Sampler::distribution(std::span<const float> logits) {
  if (options_.temperature == 0 || logits.empty()) {
    if (logits.empty()) return {};
    return {{argmax(logits), 1.0}};
  }
  const double total = build_candidates(logits);
  if (candidates_.empty() || !(total > 0)) return {{argmax(logits), 1.0}};
  std::vector<std::pair<int32_t, double>> result = candidates_;
  for (auto& c : result) c.second /= total;
  std::sort(result.begin(), result.end());
  return result;
}

}  // namespace gptoss::chat
