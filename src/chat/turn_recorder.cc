#include "chat/turn_recorder.h"

#include <algorithm>

namespace gptoss::chat {

TurnRecorder::TurnRecorder(const engine::Config& cfg) {
  usage_.layers = cfg.n_layers;
  usage_.experts = cfg.n_experts;
  usage_.experts_per_token = cfg.experts_per_token;
  usage_.counts.assign(static_cast<size_t>(cfg.n_layers) * cfg.n_experts, 0);
  reply_.layers = cfg.n_layers;
  reply_.experts_per_token = cfg.experts_per_token;
  reply_.heads = cfg.n_heads;
  reply_.experts = cfg.n_experts;
}

void TurnRecorder::begin_reply(int position) {
  reply_.first_position = position;
  reply_.tokens.clear();
  reply_.picked.clear();
  reply_.weights.clear();
  reply_.sink_shares.clear();
  recorded_rows_ = 0;
  recording_ = true;
}

TurnInspection TurnRecorder::finish() {
  recording_ = false;
  const size_t n = std::min<size_t>(reply_.tokens.size(), recorded_rows_);
  reply_.tokens.resize(n);  // a token whose step was not observed (none expected) has no row
  const size_t cells = n * reply_.layers;
  reply_.picked.resize(cells * reply_.experts_per_token);
  reply_.weights.resize(cells * reply_.experts_per_token);
  return reply_;
}

int TurnRecorder::row(int position) {
  if (!recording_ || position < reply_.first_position) return -1;
  const int t = position - reply_.first_position;
  if (t >= recorded_rows_) {
    recorded_rows_ = t + 1;
    const size_t cells = static_cast<size_t>(recorded_rows_) * reply_.layers;
    reply_.picked.resize(cells * reply_.experts_per_token, -1);
    reply_.weights.resize(cells * reply_.experts_per_token);
  }
  return t;
}

void TurnRecorder::on_routing(int layer, int position, std::span<const int> experts,
                              std::span<const float> weights, std::span<const float> router_logits) {
  (void)router_logits;
  uint64_t* counts = &usage_.counts[static_cast<size_t>(layer) * usage_.experts];
  for (int e : experts) ++counts[e];
  const int t = row(position);
  if (t < 0) return;
  const size_t at = (static_cast<size_t>(t) * reply_.layers + layer) * reply_.experts_per_token;
  std::copy(experts.begin(), experts.end(), reply_.picked.begin() + at);
  std::copy(weights.begin(), weights.end(), reply_.weights.begin() + at);
}

}  // namespace gptoss::chat
