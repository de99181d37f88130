// --ram SIZE and GPT_OSS_RAM, shared by chat, generate, logits and bench.
#pragma once

#include "chat/local_backend.h"
#include "ui/cli.h"

namespace gptoss::ui {

// The budget from --ram, else GPT_OSS_RAM, else detection. A bad --ram is a UsageError; a bad
// GPT_OSS_RAM a gptoss::Error naming it.
chat::RamBudgetChoice ram_budget_from(const CliArgs& args);

}  // namespace gptoss::ui
