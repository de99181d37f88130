// What the model did for each token, recorded from the engine's Observer: the experts each layer
// routed to, the attention sinks' share of each head, and (on request) the residual stream and the
// router's logits. Used by `gpt-oss-chat inspect`; a chat view can read the same record.
//
//   InspectionRecorder rec(model.config(), {.layers = {0, 23}, .residual = true});
//   ctx.set_observer(&rec);
//   ctx.prefill(ids);
//   rec.experts(t, li)   // [K] experts of token row t at the li-th recorded layer
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/engine.h"

namespace gptoss::chat {

struct InspectionOptions {
  std::vector<int> layers;     // layers to record, ascending; empty: all
  bool sinks = true;           // sink share per head [NH]
  bool residual = false;       // residual after the layer [H]
  bool router_logits = false;  // all router logits [E]
};

// Rows are tokens in position order from the first position observed; columns are the recorded
// layers in the order of options.layers.
class InspectionRecorder : public engine::Observer {
 public:
  // Throws gptoss::Error if a layer is outside [0, L) or repeated.
  InspectionRecorder(const engine::Config& cfg, InspectionOptions options);

  bool wants_router_logits() const override { return options_.router_logits; }
  bool wants_sink_shares() const override { return options_.sinks; }
  bool wants_residual() const override { return options_.residual; }
  void on_routing(int layer, int position, std::span<const int> experts, std::span<const float> weights,
                  std::span<const float> router_logits) override;
  void on_sink_shares(int layer, int position, std::span<const float> shares) override;
  void on_residual(int layer, int position, std::span<const float> x) override;

  const std::vector<int>& layers() const { return options_.layers; }
  int rows() const { return rows_; }             // tokens recorded
  int first_position() const { return first_; }  // position of row 0 (-1 before any)

  // Row t, recorded layer index li (not the layer number).
  std::span<const int> experts(int t, int li) const { return {&experts_[cell(t, li) * K_], size_t(K_)}; }
  std::span<const float> weights(int t, int li) const { return {&weights_[cell(t, li) * K_], size_t(K_)}; }
  std::span<const float> sink_shares(int t, int li) const {
    return {&sinks_[cell(t, li) * NH_], size_t(NH_)};
  }
  std::span<const float> residual(int t, int li) const { return {&residual_[cell(t, li) * H_], size_t(H_)}; }
  std::span<const float> router_logits(int t, int li) const {
    return {&router_[cell(t, li) * E_], size_t(E_)};
  }

  // Whole arrays, row-major [rows, layers, width]; for writing .npy files.
  const std::vector<float>& residual_array() const { return residual_; }
  const std::vector<float>& router_logit_array() const { return router_; }

 private:
  size_t cell(int t, int li) const { return static_cast<size_t>(t) * options_.layers.size() + li; }
  // The cell of (layer, position), growing the arrays for a new position; -1 for an unrecorded layer.
  long long locate(int layer, int position);

  InspectionOptions options_;
  std::vector<int> layer_index_;  // [L] -> index in options_.layers, or -1
  int K_, NH_, H_, E_;
  int first_ = -1, rows_ = 0;
  std::vector<int> experts_;     // [rows, layers, K]
  std::vector<float> weights_;   // [rows, layers, K]
  std::vector<float> sinks_;     // [rows, layers, NH]
  std::vector<float> residual_;  // [rows, layers, H]
  std::vector<float> router_;    // [rows, layers, E]
};

}  // namespace gptoss::chat
