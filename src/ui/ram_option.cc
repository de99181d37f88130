#include "ui/ram_option.h"

#include <cstdlib>

namespace gptoss::ui {

engine::RamBudget ram_budget_from(const CliArgs& args) {
  const std::string flag = args.get_or("--ram", "");
  if (args.has("--ram")) {
    if (flag.empty()) throw UsageError("--ram: empty size (expected a size such as 6G, found \"\")");
    try {
      return engine::choose_ram_budget(flag, nullptr, {});
    } catch (const UsageError&) {
      throw;
    } catch (const gptoss::Error& e) {
      throw UsageError(e.what());
    }
  }
  return engine::choose_ram_budget("", std::getenv("GPT_OSS_RAM"), engine::read_memory_limits());
}

}  // namespace gptoss::ui
