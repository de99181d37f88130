#include "ui/precision_option.h"

namespace gptoss::ui {

std::string precision_from(const CliArgs& args, const char* default_name) {
  const std::string name = args.get_or("--precision", default_name);
  // The engine's names (engine::parse_precision); checked here so a typo is a usage error at once.
  if (name != "exact" && name != "fast")
    throw UsageError("--precision: unknown profile '" + name + "' (expected exact or fast)");
  return name;
}

}  // namespace gptoss::ui
