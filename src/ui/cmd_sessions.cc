// `gpt-oss-chat sessions [show NAME | rename OLD NEW | delete NAME]`: the saved sessions from the
// shell. Needs no model.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "chat/conversation_markdown.h"
#include "chat/session_files.h"
#include "chat/session_store.h"
#include "common/error.h"
#include "ui/cli.h"
#include "ui/session_names.h"
#include "ui/subcommands.h"

namespace gptoss::ui {
namespace {

constexpr const char* kUsage =
    "usage: gpt-oss-chat sessions [list]\n"
    "       gpt-oss-chat sessions show NAME\n"
    "       gpt-oss-chat sessions rename OLD NEW\n"
    "       gpt-oss-chat sessions delete NAME\n"
    "\n"
    "The saved chat sessions, in $XDG_DATA_HOME/gpt-oss-chat/sessions (~/.local/share/...).\n"
    "\n"
    "  list     name, title, last update and size of each, most recent first (the default)\n"
    "  show     the conversation as Markdown on stdout (reasoning in a collapsed <details> block)\n"
    "  rename   renames a session; refuses to replace another one\n"
    "  delete   deletes a session (and its KV cache file NAME.kv, if there is one)\n"
    "\n"
    "A NAME is 1-64 letters, digits, '.', '-' or '_'; an argument with a '/' or ending in .json is\n"
    "a session file path instead (as for --session everywhere).\n"
    "Exit status: 0 on success, 1 if a session is missing or cannot be read or changed, 2 on bad\n"
    "arguments.\n";

std::string human_size(uint64_t bytes) {
  char buf[32];
  if (bytes < 1024) {
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  } else if (bytes < 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024.0));
  }
  return buf;
}

// "2026-11-23T09:30:05Z" -> "2026-11-23 09:30"
std::string short_time(const std::string& iso) {
  if (iso.size() < 16) return iso;
  return iso.substr(0, 10) + " " + iso.substr(11, 5);
}

void write_stdout(const std::string& bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size() || std::fflush(stdout) != 0) {
    throw gptoss::Error("stdout: write failed");
  }
}

int list() {
  const std::vector<chat::SessionListing> all = chat::list_sessions(chat::sessions_dir());
  if (all.empty()) {
    std::printf("No saved sessions in %s.\n", chat::sessions_dir().c_str());
    return 0;
  }
  size_t name_width = 4;
  for (const auto& s : all) name_width = std::max(name_width, s.name.size());
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-*s  %-16s  %9s  %s\n", static_cast<int>(name_width), "NAME", "UPDATED",
                "SIZE", "TITLE");
  out += line;
  for (const auto& s : all) {
    std::snprintf(line, sizeof line, "%-*s  %-16s  %9s  ", static_cast<int>(name_width), s.name.c_str(),
                  short_time(s.updated).c_str(), human_size(s.size_bytes).c_str());
    out += line;
    out += (s.error ? "(unreadable: " + *s.error + ")" : s.title) + "\n";
  }
  write_stdout(out);
  return 0;
}

// The file of an existing session; gptoss::Error (exit 1) naming it if there is none.
std::string existing(const std::string& what, const std::string& arg) {
  const std::string path = session_option_file(what, arg);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw gptoss::Error("no session '" + arg + "' (" + path + "); 'gpt-oss-chat sessions' lists them");
  }
  return path;
}

void expect_arguments(const std::vector<std::string>& words, size_t n, const std::string& usage) {
  if (words.size() != n + 1) throw UsageError("usage: gpt-oss-chat sessions " + usage);
}

}  // namespace

int cmd_sessions(int argc, char** argv) {
  const CliArgs args = parse_cli(argc, argv, {});
  if (args.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const std::vector<std::string>& words = args.positionals;
  const std::string action = words.empty() ? "list" : words[0];
  if (action == "list") {
    expect_arguments(words.empty() ? std::vector<std::string>{"list"} : words, 0, "list");
    return list();
  }
  if (action == "show") {
    expect_arguments(words, 1, "show NAME");
    const chat::SessionFile file = chat::load_session(existing("show", words[1]));
    write_stdout(chat::conversation_markdown(
        file.state.conversation, {.title = file.title, .instructions = file.state.settings.instructions}));
    return 0;
  }
  if (action == "rename") {
    expect_arguments(words, 2, "rename OLD NEW");
    const std::string from = existing("rename", words[1]);
    const std::string to = session_option_file("rename", words[2]);
    chat::rename_session(from, to);
    std::printf("Renamed '%s' to '%s' (%s).\n", words[1].c_str(), words[2].c_str(), to.c_str());
    return 0;
  }
  if (action == "delete") {
    expect_arguments(words, 1, "delete NAME");
    for (const std::string& file : chat::delete_session(existing("delete", words[1])))
      std::printf("Deleted %s\n", file.c_str());
    return 0;
  }
  throw UsageError("unknown action '" + action + "' (expected list, show, rename or delete)");
}

}  // namespace gptoss::ui
