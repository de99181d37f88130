// The user's defaults: $XDG_CONFIG_HOME/gpt-oss-chat/config.json (~/.config/gpt-oss-chat/...).
// JSON because the program already reads JSON (nlohmann-json); every key is optional:
//
//   {"model": "~/gpt-oss-20b", "effort": "high", "max-tokens": 4096, "context": 16384,
//    "system": "Answer briefly.", "colors": false, "scrollback": false}
//
// Command-line flags override it. An unknown key, a wrong type or a bad value is a usage error
// naming the file and the key, before any model loads.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ui/cli.h"
#include "ui/model_discovery.h"

namespace gptoss::ui {

struct UserConfig {
  std::optional<std::string> model;   // --model DIR ("~/" is the home folder)
  std::optional<std::string> effort;  // --effort low|medium|high
  std::optional<int> max_tokens;      // --max-tokens: the reply budget
  std::optional<int> context;         // --context
  std::optional<std::string> system;  // --system
  std::optional<bool> colors;         // false: as NO_COLOR
  std::optional<bool> scrollback;     // false: as --no-scrollback
};

// $XDG_CONFIG_HOME/gpt-oss-chat/config.json, else ~/.config/gpt-oss-chat/config.json.
std::string user_config_path(const EnvLookup& env);

// Parses a config file's text; UsageError "<source>: <key>: <problem> (expected X, found Y)".
UserConfig parse_user_config(std::string_view text, const std::string& source, const EnvLookup& env);

// Reads the file at `path`: an absent file is an empty config; unreadable or malformed, a UsageError.
UserConfig load_user_config(const std::string& path, const EnvLookup& env);

// Gives each config value to the flag it stands for, unless that flag (or, for the model, --demo or
// --remote) is on the command line. Colors and scrollback are read by the caller.
void apply_user_config(CliArgs& args, const UserConfig& config);

}  // namespace gptoss::ui
