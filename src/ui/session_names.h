// What a session argument means (/save, /load, --session): a NAME is a file in the sessions
// folder (sessions_dir()/NAME.json); an argument holding a '/' or ending in ".json" is a file
// path, as generate and render take it. Saving never replaces another conversation's file
// without being told to (/save! NAME).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gptoss::ui {

// True if `arg` is a file path rather than a session name.
bool is_session_path(std::string_view arg);

// The file a session argument refers to. Throws chat::SessionFileError for a bad name.
std::string session_file(const std::string& name_or_path);

// An unused automatic name, "chat-20261123-093005" (with "-2", "-3"... if that one is taken).
std::string automatic_session_name();

// Why saving under `target` must not go ahead silently: the file exists and is not the one this
// conversation was last saved to or loaded from (`current`, a session argument or ""). Names the
// conversation already there and the command that replaces it. nullopt: go ahead.
std::optional<std::string> overwrite_refusal(const std::string& target, const std::string& current);

}  // namespace gptoss::ui
