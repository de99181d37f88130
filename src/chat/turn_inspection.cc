#include "chat/turn_inspection.h"

#include <numeric>

namespace gptoss::chat {

float TurnInspection::mean_sink_share(int t, int l) const {
  if (heads == 0 || !has_sinks()) return 0;
  const std::span<const float> s = sinks_at(t, l);
  return std::accumulate(s.begin(), s.end(), 0.0f) / static_cast<float>(heads);
}

uint64_t ExpertUsage::layer_total(int l) const {
  const auto row = counts.begin() + static_cast<ptrdiff_t>(l) * experts;
  return std::accumulate(row, row + experts, uint64_t{0});
}

}  // namespace gptoss::chat
