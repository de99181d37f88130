// /edit and Ctrl-X Ctrl-E: the draft goes to the user's editor in a private temporary file and
// comes back as the new draft. The terminal is handed over by the caller (Terminal::lend).
#pragma once

#include <optional>
#include <string>

#include "ui/model_discovery.h"

namespace gptoss::ui {

// The editor command: $VISUAL, else $EDITOR, else "vi" (as git and less choose).
std::string editor_command(const EnvLookup& env);

struct EditorOutcome {
  std::optional<std::string> text;  // the edited draft; nullopt when the editor failed
  std::string error;                // why, in one line naming the editor, when it failed
};

// Writes `draft` to a 0600 temporary file, runs `command FILE` through /bin/sh (so "code --wait"
// works), waits for it and reads the file back. One trailing newline (editors add one) is dropped.
// An editor that is missing, fails or is killed gives an error and no text; the file is removed.
EditorOutcome edit_in_editor(const std::string& command, const std::string& draft);

}  // namespace gptoss::ui
