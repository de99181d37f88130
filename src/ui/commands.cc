#include "ui/commands.h"

#include <cctype>
#include <optional>

#include "chat/session_store.h"

namespace gptoss::ui {
namespace {

enum class Args { kNone, kOptional, kRequired };

struct CommandSpec {
  const char* name;
  CommandKind kind;
  Args args;
};

constexpr CommandSpec kCommands[] = {
    {"help", CommandKind::kHelp, Args::kNone},
    {"?", CommandKind::kHelp, Args::kNone},
    {"new", CommandKind::kNew, Args::kNone},
    {"clear", CommandKind::kNew, Args::kNone},
    {"save", CommandKind::kSave, Args::kOptional},
    {"load", CommandKind::kLoad, Args::kRequired},
    {"sessions", CommandKind::kSessions, Args::kOptional},
    {"effort", CommandKind::kEffort, Args::kOptional},
    {"system", CommandKind::kSystem, Args::kOptional},
    {"retry", CommandKind::kRetry, Args::kNone},
    {"undo", CommandKind::kUndo, Args::kNone},
    {"think", CommandKind::kThink, Args::kOptional},
    {"stats", CommandKind::kStats, Args::kOptional},
    {"quit", CommandKind::kQuit, Args::kNone},
    {"exit", CommandKind::kQuit, Args::kNone},
    {"save!", CommandKind::kSaveOver, Args::kRequired},
    {"quit!", CommandKind::kQuitNoSave, Args::kNone},
    {"set", CommandKind::kSet, Args::kOptional},
    {"export", CommandKind::kExport, Args::kOptional},
    {"export!", CommandKind::kExportOver, Args::kOptional},
    {"edit", CommandKind::kEdit, Args::kOptional},
    {"edit-last", CommandKind::kEditLast, Args::kNone},
    {"file", CommandKind::kFile, Args::kOptional},
    {"copy", CommandKind::kCopy, Args::kOptional},
    {"inspect", CommandKind::kInspect, Args::kOptional},
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

ParseResult fail(std::string hint) {
  ParseResult r;
  r.ok = false;
  r.hint = std::move(hint);
  return r;
}

// The closest command by shared prefix, for "did you mean".
const CommandSpec* nearest(std::string_view name) {
  const CommandSpec* best = nullptr;
  size_t best_len = 0;
  for (const CommandSpec& c : kCommands) {
    std::string_view n = c.name;
    size_t k = 0;
    while (k < n.size() && k < name.size() && n[k] == name[k]) ++k;
    if (k > best_len) {
      best_len = k;
      best = &c;
    }
  }
  return best_len >= 2 || (best_len == 1 && name.size() == 1) ? best : nullptr;
}

// What is wrong with the argument of /sessions ("", "delete NAME", "rename OLD NEW"), if anything.
std::optional<std::string> sessions_argument_problem(std::string_view arg) {
  std::vector<std::string> words;
  for (size_t i = 0; i < arg.size();) {
    size_t end = i;
    while (end < arg.size() && !std::isspace(static_cast<unsigned char>(arg[end]))) ++end;
    if (end > i) words.emplace_back(arg.substr(i, end - i));
    i = end + 1;
  }
  if (words.empty()) return std::nullopt;
  const size_t wanted = words[0] == "delete" ? 2 : words[0] == "rename" ? 3 : 0;
  if (wanted == 0) return "/sessions takes nothing, delete NAME or rename OLD NEW (found '" + words[0] + "')";
  if (words.size() != wanted) {
    return wanted == 2 ? "usage: /sessions delete NAME" : "usage: /sessions rename OLD NEW";
  }
  for (size_t i = 1; i < words.size(); ++i) {
    if (!chat::is_session_path(words[i]) && !chat::is_session_name(words[i])) {
      return "/sessions " + words[0] + ": '" + words[i] +
             "' is not a session name (use letters, digits, '.', '-', '_'; at most 64) or a path (with a '/' "
             "or "
             "ending in .json)";
    }
  }
  return std::nullopt;
}

}  // namespace

ParseResult parse_command(std::string_view line) {
  std::string_view t = trim(line);
  ParseResult r;
  if (t.empty() || t[0] != '/') {
    r.command = {CommandKind::kMessage, std::string(line)};
    return r;
  }
  if (t.size() >= 2 && t[1] == '/') {  // "//text": a message that starts with '/'
    r.command = {CommandKind::kMessage, std::string(t.substr(1))};
    return r;
  }
  size_t end = 1;
  while (end < t.size() && !std::isspace(static_cast<unsigned char>(t[end]))) ++end;
  std::string_view name = t.substr(1, end - 1);
  std::string_view arg = trim(t.substr(end));
  if (name.empty()) return fail("type a command after '/', e.g. /help (start with // to send a '/')");

  const CommandSpec* spec = nullptr;
  for (const CommandSpec& c : kCommands) {
    if (name == c.name) spec = &c;
  }
  if (!spec) {
    std::string hint = "unknown command /" + std::string(name);
    if (const CommandSpec* n = nearest(name)) hint += " (did you mean /" + std::string(n->name) + "?)";
    return fail(hint + "; /help lists the commands");
  }
  const std::string slash =
      std::string("/").append(spec->name);  // "/" + string: GCC 12 -Wrestrict false positive
  if (spec->args == Args::kNone && !arg.empty()) return fail(slash + " takes no arguments");
  if (spec->args == Args::kRequired && arg.empty()) {
    return fail(slash + " needs a session name; /sessions lists them");
  }

  switch (spec->kind) {
    case CommandKind::kSave:
    case CommandKind::kSaveOver:
    case CommandKind::kLoad:
      if (!arg.empty() && !chat::is_session_path(arg) && !chat::is_session_name(arg)) {
        return fail(slash + ": '" + std::string(arg) +
                    "' is not a session name (use letters, digits, '.', '-', '_'; at most 64) or a path "
                    "(with a '/' or ending in .json)");
      }
      break;
    case CommandKind::kSessions:
      if (std::optional<std::string> problem = sessions_argument_problem(arg)) return fail(*problem);
      break;
    case CommandKind::kExportOver:
      if (arg.empty()) return fail("/export! needs the FILE it replaces; /export alone picks a new name");
      break;
    case CommandKind::kEffort:
      if (!arg.empty() && arg != "low" && arg != "medium" && arg != "high") {
        return fail("/effort takes low, medium or high (found '" + std::string(arg) + "')");
      }
      break;
    case CommandKind::kCopy:
      if (!arg.empty() && arg != "code") {
        return fail("/copy takes nothing (the last answer) or 'code' (its last code block), found '" +
                    std::string(arg) + "'");
      }
      break;
    case CommandKind::kThink:
      if (!arg.empty() && arg != "on" && arg != "off") {
        return fail("/think takes on, off or nothing to toggle (found '" + std::string(arg) + "')");
      }
      break;
    case CommandKind::kStats:
      if (!arg.empty() && arg != "experts") {
        return fail("/stats takes nothing or 'experts' (found '" + std::string(arg) + "')");
      }
      break;
    case CommandKind::kInspect:
      if (!arg.empty() && (arg.size() > 9 || arg.find_first_not_of("0123456789") != std::string_view::npos ||
                           arg.find_first_not_of('0') == std::string_view::npos)) {
        return fail("/inspect takes nothing or a token number of the last answer, from 1 (found '" +
                    std::string(arg) + "')");
      }
      break;
    default:
      break;
  }
  r.command = {spec->kind, std::string(arg)};
  return r;
}

const std::vector<CommandHelp>& command_help() {
  static const std::vector<CommandHelp> kHelp = {
      {"/help", "this list"},
      {"/new", "start a new conversation (the current one is autosaved)"},
      {"/save [NAME|PATH]", "save the conversation (under NAME, or its current name)"},
      {"/save! NAME", "save, replacing another conversation saved as NAME"},
      {"/load NAME|PATH", "load a saved conversation"},
      {"/sessions", "list saved conversations"},
      {"/sessions delete NAME", "delete a saved conversation"},
      {"/sessions rename OLD NEW", "rename a saved conversation"},
      {"/export [FILE]",
       "write the conversation as Markdown (default: NAME.md here; /export! FILE replaces)"},
      {"/effort low|medium|high", "reasoning effort for the next answers"},
      {"/system TEXT", "instructions for the model (alone: show; --clear: remove)"},
      {"/set [NAME VALUE]", "max-tokens, temperature, top-p, top-k, context (alone: list)"},
      {"/retry", "answer the last message again"},
      {"/undo", "remove the last exchange"},
      {"/think [on|off]", "show or hide the reasoning (also Ctrl-T)"},
      {"/edit [TEXT]", "write the message in $VISUAL/$EDITOR (also Ctrl-X Ctrl-E)"},
      {"/edit-last", "edit the last message and send it again in its place (also Up)"},
      {"/file PATH", "attach a text file to the next message (also @PATH)"},
      {"/copy [code]", "copy the last answer (or its last code block) to the clipboard"},
      {"/stats [experts]", "speed, context, memory; expert usage (experts: every count)"},
      {"/inspect [N]", "look inside the last answer: experts, logit lens, sinks (at token N)"},
      {"/quit", "leave (also Ctrl-D, or Ctrl-C twice at the prompt)"},
      {"/quit!", "leave without saving"},
  };
  return kHelp;
}

std::vector<std::string> complete_command(std::string_view prefix) {
  std::vector<std::string> out;
  if (prefix.empty() || prefix[0] != '/') return out;
  for (const CommandSpec& c : kCommands) {
    const std::string full = std::string("/").append(c.name);
    const bool variant = c.name[0] == '?' || full.back() == '!';  // "/save!" completes from "/save"
    if (!variant && full.compare(0, prefix.size(), prefix) == 0) out.push_back(full);
  }
  return out;
}

}  // namespace gptoss::ui
