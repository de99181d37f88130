// Slash commands typed at the prompt: "/save notes", "/effort high". Parsing only; app.cc acts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gptoss::ui {

enum class CommandKind {
  kMessage,  // not a command: text for the model ("//x" sends "/x")
  kHelp,
  kNew,
  kSave,        // arg: the name or path, or empty for the current/automatic name
  kSaveOver,    // "/save! NAME": save, replacing another conversation saved under NAME
  kLoad,        // arg: the name
  kSessions,    // arg: empty (list), "delete NAME" or "rename OLD NEW"
  kExport,      // arg: the Markdown file, or empty for one named after the session
  kExportOver,  // "/export! FILE": export, replacing FILE
  kEffort,      // arg: low|medium|high, or empty to show the current one
  kSystem,      // arg: the instructions; empty shows them; "--clear" removes them
  kSet,         // arg: "NAME VALUE", or empty to list the settings
  kRetry,
  kUndo,
  kThink,    // arg: on|off, or empty to toggle
  kStats,    // arg: empty, or "experts" for the full expert-usage table
  kInspect,  // arg: empty, or a token number (1-based) of the last reply
  kQuit,
  kQuitNoSave,  // "/quit!": leave without the autosave
  kEdit,        // arg: text to start from; opens the draft in $VISUAL/$EDITOR
  kEditLast,    // the last message back in the input; sending it replaces that exchange
  kFile,        // arg: a path to attach to the next message; empty lists; "--clear" drops them
  kCopy,        // arg: empty (the last answer) or "code" (its last code block)
};

struct Command {
  CommandKind kind = CommandKind::kMessage;
  std::string arg;
};

struct ParseResult {
  bool ok = true;
  Command command;
  std::string hint;  // when !ok: one line saying what is wrong and what would work
};

// Never throws. Leading and trailing blanks around a command are ignored; a message is kept as
// typed.
ParseResult parse_command(std::string_view line);

struct CommandHelp {
  const char* usage;    // "/save [NAME]"
  const char* summary;  // "save the conversation"
};
const std::vector<CommandHelp>& command_help();

// The command names starting with `prefix` ("/s" -> "/save", "/sessions", ...), for Tab.
std::vector<std::string> complete_command(std::string_view prefix);

}  // namespace gptoss::ui
