// Session names in the chat: automatic names, and the check that saving never replaces another
// conversation's file without being told to (/save! NAME). What a session argument means (a NAME or
// a file path) is chat::resolve_session's rule, the same everywhere.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gptoss::ui {

// The file a session option (--session ARG) refers to, by chat::resolve_session's rule; a
// UsageError naming `flag` when ARG is neither a session name nor a path.
std::string session_option_file(const std::string& flag, const std::string& arg);

// An unused automatic name, "chat-20261123-093005" (with "-2", "-3"... if that one is taken).
std::string automatic_session_name();

// Why saving under `target` must not go ahead silently: the file exists and is not the one this
// conversation was last saved to or loaded from (`current`, a session argument or ""). Names the
// conversation already there and the command that replaces it. nullopt: go ahead.
std::optional<std::string> overwrite_refusal(const std::string& target, const std::string& current);

}  // namespace gptoss::ui
