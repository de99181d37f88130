// The local backend's observer on its engine::Context: counts every expert the routers pick (the
// session's ExpertUsage) and records the routing of the last reply (a TurnInspection without sink
// shares). Cheap enough to stay attached: K ints and floats per layer per token. It asks for
// nothing else: the engine computes sink shares by scoring every key again (17% of decode speed
// at 3,000 tokens of context), so LocalBackend computes them only when /inspect asks.
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

  void on_routing(int layer, int position, std::span<const int> experts, std::span<const float> weights,
                  std::span<const float> router_logits) override;

 private:
  // The row of `position` in the reply, growing the arrays; -1 if it is not recorded.
  int row(int position);

  ExpertUsage usage_;
  TurnInspection reply_;
  bool recording_ = false;
  int recorded_rows_ = 0;
};

}  // namespace gptoss::chat
