// The local backend's observer on its engine::Context: counts every expert the routers pick (the
// session's ExpertUsage) and records the routing and sink shares of the last reply (a
// TurnInspection). Cheap enough to stay attached: K ints per layer per token; the sink shares are
// computed only for the reply's steps.
//
//   recorder.begin_reply(prompt_size - 1);  // before the prefill chunk holding the last prompt token
//   recorder.add_token(sampled);            // after each sample
//   TurnInspection r = recorder.finish();
#pragma once

#include <cstdint>

#include "chat/turn_inspection.h"
#include "engine/engine.h"

namespace gptoss::chat {

class TurnRecorder : public engine::Observer {
 public:
  explicit TurnRecorder(const engine::Config& cfg);

  // Forgets the last reply; steps at `position` and later are recorded as rows 0, 1, ...
  void begin_reply(int position);
  // The token sampled from the next row's logits.
  void add_token(int32_t token) { reply_.tokens.push_back(token); }
  // The reply recorded since begin_reply, one row per added token (a step whose token was never
  // sampled, e.g. the decode after the last token of a budget, is dropped). Stops recording.
  TurnInspection finish();
  // Stops recording (the usage is still counted).
  void stop() { recording_ = false; }

  const ExpertUsage& usage() const { return usage_; }

  bool wants_sink_shares() const override { return recording_; }
  void on_routing(int layer, int position, std::span<const int> experts, std::span<const float> weights,
                  std::span<const float> router_logits) override;
  void on_sink_shares(int layer, int position, std::span<const float> shares) override;

 private:
  // The row of `position` in the reply, growing the arrays; -1 if it is not recorded.
  int row(int position);

  ExpertUsage usage_;
  TurnInspection reply_;
  bool recording_ = false;
  int recorded_rows_ = 0;
};

}  // namespace gptoss::chat
