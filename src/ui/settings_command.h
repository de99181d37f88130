// "/set NAME VALUE": the settings a session carries (and saves), changed inside the chat.
//   /set                     lists them
//   /set max-tokens 4096     reply budget      /set temperature 0.7   /set top-p 0.9
//   /set top-k 40            /set context 16384 (a new KV cache: the next answer recomputes the prompt)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "chat/chat_session.h"

namespace gptoss::ui {

// One line per setting: "max-tokens 2048 (reply budget per answer)".
std::string describe_settings(const chat::SessionSettings& settings);

struct SetResult {
  std::optional<chat::SessionSettings> settings;  // the changed settings, if `arg` was valid
  std::string message;                            // what changed, or what is wrong (one line)
};
// Parses "NAME VALUE" and applies it to a copy of `current`. The model's limits (context size,
// budget below the context) are checked by ChatSession::set_settings.
SetResult apply_set(const chat::SessionSettings& current, std::string_view arg);

}  // namespace gptoss::ui
