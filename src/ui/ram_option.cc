#include "ui/ram_option.h"

namespace gptoss::ui {

chat::RamBudgetChoice ram_budget_from(const CliArgs& args) {
  if (!args.has("--ram")) return chat::choose_local_ram_budget(std::nullopt);
  const std::string flag = args.get_or("--ram", "");
  if (flag.empty()) throw UsageError("--ram: empty size (expected a size such as 6G, found \"\")");
  try {
    return chat::choose_local_ram_budget(flag);
  } catch (const gptoss::Error& e) {
    throw UsageError(e.what());
  }
}

}  // namespace gptoss::ui
