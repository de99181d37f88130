#include "ui/session_names.h"

#include <filesystem>

#include "chat/session_store.h"
#include "ui/cli.h"

namespace fs = std::filesystem;

namespace gptoss::ui {

std::string session_option_file(const std::string& flag, const std::string& arg) {
  if (!chat::is_session_path(arg) && !chat::is_session_name(arg)) {
    throw UsageError(
        flag + ": '" + arg +
        "' is not a session name (1-64 letters, digits, '.', '-', '_', not starting with '.') or a "
        "path (with a '/' or ending in .json)");
  }
  return chat::resolve_session(arg);
}

std::string automatic_session_name() {
  // "2026-11-23T09:30:05Z" -> "chat-20261123-093005"
  std::string digits;
  for (char c : chat::now_iso8601_utc()) {
    if (c >= '0' && c <= '9') digits += c;
  }
  const std::string base =
      digits.size() < 14 ? "chat" : "chat-" + digits.substr(0, 8) + "-" + digits.substr(8, 6);
  std::string name = base;
  std::error_code ec;
  for (int n = 2; fs::exists(chat::session_path(name), ec); ++n) name = base + "-" + std::to_string(n);
  return name;
}

std::optional<std::string> overwrite_refusal(const std::string& target, const std::string& current) {
  const std::string path = chat::resolve_session(target);
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::nullopt;
  if (!current.empty()) {
    const std::string mine = chat::resolve_session(current);
    if (mine == path || fs::equivalent(mine, path, ec)) return std::nullopt;
  }
  std::string what = "another conversation";
  try {
    chat::SessionFile other = chat::load_session(path);
    what += " (\"" + other.title + "\", saved " + other.updated + ")";
  } catch (const gptoss::Error&) {
    what = "a file this program cannot read";
  }
  return "'" + target + "' already holds " + what + "; /save! " + target +
         " replaces it, or choose another name.";
}

}  // namespace gptoss::ui
