#include "chat/inspection.h"

#include <algorithm>
#include <string>

namespace gptoss::chat {

InspectionRecorder::InspectionRecorder(const engine::Config& cfg, InspectionOptions options)
    : options_(std::move(options)),
      layer_index_(cfg.n_layers, -1),
      K_(cfg.experts_per_token),
      NH_(cfg.n_heads),
      H_(cfg.hidden),
      E_(cfg.n_experts) {
  if (options_.layers.empty())
    for (int l = 0; l < cfg.n_layers; ++l) options_.layers.push_back(l);
  for (size_t i = 0; i < options_.layers.size(); ++i) {
    const int l = options_.layers[i];
    if (l < 0 || l >= cfg.n_layers)
      throw gptoss::Error("inspect: layer " + std::to_string(l) + " is outside the model (expected 0.." +
                          std::to_string(cfg.n_layers - 1) + ")");
    if (layer_index_[l] >= 0) throw gptoss::Error("inspect: layer " + std::to_string(l) + " is listed twice");
    layer_index_[l] = static_cast<int>(i);
  }
}

long long InspectionRecorder::locate(int layer, int position) {
  const int li = layer_index_[layer];
  if (li < 0) return -1;
  if (first_ < 0) first_ = position;
  const int t = position - first_;
  if (t >= rows_) {  // a new position: every array grows by whole rows
    rows_ = t + 1;
    const size_t cells = static_cast<size_t>(rows_) * options_.layers.size();
    experts_.resize(cells * K_, -1);
    weights_.resize(cells * K_);
    if (options_.sinks) sinks_.resize(cells * NH_);
    if (options_.residual) residual_.resize(cells * H_);
    if (options_.router_logits) router_.resize(cells * E_);
  }
  return static_cast<long long>(cell(t, li));
}

void InspectionRecorder::on_routing(int layer, int position, std::span<const int> experts,
                                    std::span<const float> weights, std::span<const float> router_logits) {
  const long long c = locate(layer, position);
  if (c < 0) return;
  std::copy(experts.begin(), experts.end(), experts_.begin() + c * K_);
  std::copy(weights.begin(), weights.end(), weights_.begin() + c * K_);
  if (options_.router_logits) std::copy(router_logits.begin(), router_logits.end(), router_.begin() + c * E_);
}

void InspectionRecorder::on_sink_shares(int layer, int position, std::span<const float> shares) {
  const long long c = locate(layer, position);
  if (c >= 0) std::copy(shares.begin(), shares.end(), sinks_.begin() + c * NH_);
}

void InspectionRecorder::on_residual(int layer, int position, std::span<const float> x) {
  const long long c = locate(layer, position);
  if (c >= 0) std::copy(x.begin(), x.end(), residual_.begin() + c * H_);
}

}  // namespace gptoss::chat
