// Which local model `chat` and `generate` run on, the same way in both: --model DIR, --demo (the
// tiny random model, written on first use), else the model discovery finds (model_discovery.h).
#pragma once

#include <functional>
#include <string>

#include "chat/local_backend.h"
#include "ui/cli.h"
#include "ui/model_discovery.h"

namespace gptoss::ui {

struct ModelChoice {
  std::string dir;     // empty: no model found (`discovered` says where the search looked)
  bool demo = false;   // dir is the demo folder
  bool named = false;  // a relaunch must name the folder (--model given, or found in ./)
  DiscoveredModel discovered;
};

// From --model and --demo (UsageError if both), else discovery from `cwd`.
ModelChoice choose_model(const CliArgs& args, const EnvLookup& env, const std::string& cwd);

// The demo folder of this user (demo_model_dir) as a choice.
ModelChoice demo_choice(const EnvLookup& env);

// Writes the demo checkpoint into `dir` if the folder holds none.
void ensure_demo_model(const std::string& dir, const std::function<void(const std::string&, double)>& report);

// Opens the model in `dir`. With options.demo, first writes the demo checkpoint if the folder holds
// none, and rebuilds one that does not load (left broken by an older version, or damaged).
// `report(stage, fraction)` follows the writing and the loading; it may be called from any thread.
chat::LocalModel open_model_or_demo(const std::string& dir, chat::LocalModelOptions options,
                                    const std::function<void(const std::string&, double)>& report);

}  // namespace gptoss::ui
