// What the model did while writing the last reply, and which experts it used over the session:
// plain data the local backend records (turn_recorder.h) and the chat's /inspect and /stats show.
//
//   std::shared_ptr<const TurnInspection> r = backend.inspect_last_reply();  // nullptr: remote
//   r->experts_at(t, l)   // [K] experts layer l routed the step that sampled reply token t to
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace gptoss::chat {

// Row t is the forward step whose logits sampled reply token t: the step at the position before
// it (the last prompt token's for t = 0). So the logit lens of row t at the last layer is the
// distribution token t was drawn from.
struct TurnInspection {
  int layers = 0;                  // L
  int experts_per_token = 0;       // K
  int heads = 0;                   // NH
  int experts = 0;                 // E
  int first_position = 0;          // the position of row 0's step
  std::vector<int32_t> tokens;     // [n] the sampled tokens
  std::vector<int> picked;         // [n, L, K] experts, largest weight first
  std::vector<float> weights;      // [n, L, K] their weights (softmax over the K picked)
  std::vector<float> sink_shares;  // [n, L, NH] the sink's share of each head's softmax mass; empty:
                                   // not known (the cache no longer held the reply to recompute it)

  int rows() const { return static_cast<int>(tokens.size()); }
  std::span<const int> experts_at(int t, int l) const { return {&picked[cell(t, l) * K()], K()}; }
  std::span<const float> weights_at(int t, int l) const { return {&weights[cell(t, l) * K()], K()}; }
  std::span<const float> sinks_at(int t, int l) const {
    return {&sink_shares[cell(t, l) * static_cast<size_t>(heads)], static_cast<size_t>(heads)};
  }
  bool has_sinks() const { return !sink_shares.empty(); }
  // The sink share averaged over the heads: how much of layer l's attention went nowhere; 0 if
  // !has_sinks().
  float mean_sink_share(int t, int l) const;

 private:
  size_t K() const { return static_cast<size_t>(experts_per_token); }
  size_t cell(int t, int l) const { return static_cast<size_t>(t) * layers + l; }
};

// The logit lens of one row at one layer: the top tokens of that layer's residual read through the
// final norm and the unembedding, largest logit first.
struct LensTop {
  std::vector<int32_t> ids;
  std::vector<float> logits;
};

// How often each layer's router picked each expert (what a streaming expert cache's hit rate
// depends on). Every routed token counts K picks per layer.
struct ExpertUsage {
  int layers = 0;                // L
  int experts = 0;               // E
  int experts_per_token = 0;     // K
  std::vector<uint64_t> counts;  // [L, E]

  bool empty() const { return counts.empty(); }
  uint64_t count(int l, int e) const { return counts[static_cast<size_t>(l) * experts + e]; }
  uint64_t layer_total(int l) const;
};

}  // namespace gptoss::chat
