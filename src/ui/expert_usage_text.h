// /stats' lines on expert usage over the session (chat::ExpertUsage): a compact summary, and the
// full per-layer counts behind `/stats experts`.
#pragma once

#include <string>

#include "chat/turn_inspection.h"

namespace gptoss::ui {

// Effective number of experts layer l used: e^(entropy of its picks), from 1 (always the same K...
// experts) to E (all used evenly); 0 if nothing was routed.
double effective_experts(const chat::ExpertUsage& usage, int l);

// "Expert usage: N tokens routed ...", then per layer its most used expert, that expert's share of
// the layer's picks and the effective number of experts, four layers a line. Empty if `usage` is
// (a remote model).
std::string expert_usage_summary(const chat::ExpertUsage& usage);

// Every layer's experts by how often they were picked: "L0  e5 120  e1 96 ...". Empty as above.
std::string expert_usage_table(const chat::ExpertUsage& usage);

}  // namespace gptoss::ui
