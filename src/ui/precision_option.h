// --precision exact|fast, shared by chat, generate, serve, bench, logits and inspect.
#pragma once

#include <string>

#include "ui/cli.h"

namespace gptoss::ui {

// The profile --precision names ("exact" or "fast"), else `default_name`. A UsageError names
// --precision on any other value.
std::string precision_from(const CliArgs& args, const char* default_name);

}  // namespace gptoss::ui
