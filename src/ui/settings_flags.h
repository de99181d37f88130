// The flags that set a conversation's settings, parsed in one place for `chat` and `generate`
// (and `serve` for --threads): one list, one set of limits, one set of messages.
//
//   CliArgs args = parse_cli(argc, argv, with_settings_flags({{"--model", true}, ...}));
//   chat::SessionSettings s = defaults;
//   apply_settings_flags(args, s);   // UsageError naming the flag at fault
//
// A new settings flag goes into kSettingsFlags and apply_settings_flags, nowhere else.
#pragma once

#include <memory>
#include <vector>

#include "chat/backend.h"
#include "chat/chat_session.h"
#include "ui/cli.h"
#include "ui/model_discovery.h"

namespace gptoss::tokenizer {
class Tokenizer;
}

namespace gptoss::ui {

// --effort --system --temperature --top-p --top-k --seed --max-tokens --context --threads
const std::vector<FlagSpec>& settings_flags();

// --remote URL, --api-key KEY, --remote-model NAME: the model on an OpenAI-compatible server.
const std::vector<FlagSpec>& remote_flags();

// `own` followed by settings_flags() and remote_flags().
std::vector<FlagSpec> with_settings_flags(std::vector<FlagSpec> own);

// Overrides the settings the flags give; the others keep their value. Throws UsageError naming
// the flag when a value is malformed or out of range, or when --max-tokens is not below the
// context size.
void apply_settings_flags(const CliArgs& args, chat::SessionSettings& settings);

// --threads: compute threads, 0 (the default) for one per physical core.
int threads_flag(const CliArgs& args);

// Checks the remote flags: UsageError for --api-key or --remote-model without --remote, or
// --remote with --model or --demo.
void check_remote_flags(const CliArgs& args);

// The server --remote names (the key from --api-key, else $OPENAI_API_KEY), or nullptr without
// --remote. Throws gptoss::Error (one line) if the server cannot be reached or lists no model.
std::shared_ptr<chat::Backend> open_remote_from_flags(const CliArgs& args, const EnvLookup& env,
                                                      std::shared_ptr<const tokenizer::Tokenizer> tokenizer);

}  // namespace gptoss::ui
