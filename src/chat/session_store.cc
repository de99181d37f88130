#include "chat/session_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace gptoss::chat {
namespace {

[[noreturn]] void fail(const std::string& source, const std::string& where, const std::string& problem) {
  throw SessionFileError(source + ": " + where + ": " + problem);
}

std::string type_name(const ordered_json& j) { return j.type_name(); }

// Typed access that names the key path on failure ("settings.top_p: expected a number, found string").
const ordered_json& member(const ordered_json& obj, const char* key, const std::string& path,
                           const std::string& source) {
  auto it = obj.find(key);
  if (it == obj.end()) fail(source, path.empty() ? key : path + "." + key, "missing");
  return *it;
}

std::string key_path(const std::string& path, const char* key) {
  return path.empty() ? key : path + "." + key;
}

std::string get_string(const ordered_json& obj, const char* key, const std::string& path,
                       const std::string& source) {
  const auto& v = member(obj, key, path, source);
  if (!v.is_string()) fail(source, key_path(path, key), "expected a string, found " + type_name(v));
  return v.get<std::string>();
}

std::optional<std::string> get_optional_string(const ordered_json& obj, const char* key,
                                               const std::string& path, const std::string& source) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_string())
    fail(source, key_path(path, key), "expected a string or null, found " + type_name(*it));
  return it->get<std::string>();
}

const ordered_json& require_object(const ordered_json& v, const std::string& path,
                                   const std::string& source) {
  if (!v.is_object()) fail(source, path, "expected an object, found " + type_name(v));
  return v;
}

// Optional typed settings: absent keys keep their defaults (so version-1 files written before a
// setting existed still load).
template <typename T>
void read_number(const ordered_json& obj, const char* key, const std::string& path, const std::string& source,
                 T& out, double lo, double hi) {
  auto it = obj.find(key);
  if (it == obj.end()) return;
  if (!it->is_number()) fail(source, key_path(path, key), "expected a number, found " + type_name(*it));
  const double x = it->get<double>();
  if (!(x >= lo && x <= hi)) {
    fail(source, key_path(path, key),
         "out of range (expected " + std::to_string(lo) + " to " + std::to_string(hi) + ", found " +
             capped(it->dump()) + ")");
  }
  if constexpr (std::is_integral_v<T>) {
    if (!it->is_number_integer() && !it->is_number_unsigned()) {
      fail(source, key_path(path, key), "expected a whole number, found " + capped(it->dump()));
    }
    out = it->get<T>();
  } else {
    out = static_cast<T>(x);
  }
}

void read_bool(const ordered_json& obj, const char* key, const std::string& path, const std::string& source,
               bool& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return;
  if (!it->is_boolean()) fail(source, key_path(path, key), "expected true or false, found " + type_name(*it));
  out = it->get<bool>();
}

ReasoningEffort read_effort(const std::string& text, const std::string& where, const std::string& source) {
  auto effort = parse_effort(text);
  if (!effort)
    fail(source, where, "expected \"low\", \"medium\" or \"high\", found " + json_quoted(capped(text)));
  return *effort;
}

ordered_json tool_to_json(const ToolDescription& tool) {
  ordered_json j;
  j["name"] = tool.name;
  j["description"] = tool.description;
  j["parameters"] = tool.parameters ? *tool.parameters : ordered_json(nullptr);
  return j;
}

ToolDescription tool_from_json(const ordered_json& j, const std::string& path, const std::string& source) {
  require_object(j, path, source);
  ToolDescription tool;
  tool.name = get_string(j, "name", path, source);
  tool.description = get_optional_string(j, "description", path, source).value_or("");
  auto it = j.find("parameters");
  if (it != j.end() && !it->is_null()) {
    if (!it->is_object())
      fail(source, path + ".parameters", "expected a JSON Schema object, found " + type_name(*it));
    tool.parameters = *it;
  }
  return tool;
}

ordered_json settings_to_json(const SessionSettings& s) {
  ordered_json j;
  j["reasoning_effort"] = std::string(to_string(s.effort));
  j["instructions"] = s.instructions;
  ordered_json tools = ordered_json::array();
  for (const auto& t : s.function_tools) tools.push_back(tool_to_json(t));
  j["function_tools"] = tools;
  j["temperature"] = s.sampling.temperature;
  j["top_p"] = s.sampling.top_p;
  j["top_k"] = s.sampling.top_k;
  j["seed"] = s.sampling.seed ? ordered_json(*s.sampling.seed) : ordered_json(nullptr);
  j["context_tokens"] = s.context_tokens;
  j["max_new_tokens"] = s.max_new_tokens;
  j["keep_reasoning"] = s.keep_reasoning;
  j["max_tool_rounds"] = s.max_tool_rounds;
  return j;
}

SessionSettings settings_from_json(const ordered_json& j, const std::string& source) {
  const std::string path = "settings";
  require_object(j, path, source);
  SessionSettings s;
  if (auto effort = get_optional_string(j, "reasoning_effort", path, source)) {
    s.effort = read_effort(*effort, path + ".reasoning_effort", source);
  }
  s.instructions = get_optional_string(j, "instructions", path, source).value_or("");
  if (auto it = j.find("function_tools"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) fail(source, path + ".function_tools", "expected an array, found " + type_name(*it));
    for (size_t i = 0; i < it->size(); ++i) {
      s.function_tools.push_back(
          tool_from_json((*it)[i], path + ".function_tools[" + std::to_string(i) + "]", source));
    }
  }
  read_number(j, "temperature", path, source, s.sampling.temperature, 0.0, 100.0);
  read_number(j, "top_p", path, source, s.sampling.top_p, 1e-9, 1.0);
  read_number(j, "top_k", path, source, s.sampling.top_k, 0, 1e9);
  if (auto it = j.find("seed"); it != j.end() && !it->is_null()) {
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<int64_t>() >= 0)) {
      fail(source, path + ".seed",
           "expected a non-negative whole number or null, found " + capped(it->dump()));
    }
    s.sampling.seed = it->get<uint64_t>();
  }
  read_number(j, "context_tokens", path, source, s.context_tokens, 1, 1 << 24);
  read_number(j, "max_new_tokens", path, source, s.max_new_tokens, 1, 1 << 24);
  read_bool(j, "keep_reasoning", path, source, s.keep_reasoning);
  read_number(j, "max_tool_rounds", path, source, s.max_tool_rounds, 0, 1000);
  return s;
}

ordered_json turn_to_json(const TurnRecord& t) {
  ordered_json j;
  j["first_message"] = t.first_message;
  j["started_at"] = t.stats.started_at;
  j["end"] = std::string(to_string(t.stats.end));
  j["interrupted"] = t.stats.interrupted;
  j["tokens_reused"] = t.stats.tokens_reused;
  j["tokens_prefilled"] = t.stats.tokens_prefilled;
  j["tokens_generated"] = t.stats.tokens_generated;
  j["prefill_seconds"] = t.stats.prefill_seconds;
  j["decode_seconds"] = t.stats.decode_seconds;
  j["tool_calls"] = t.stats.tool_calls;
  j["dropped_turns"] = t.stats.dropped_turns;
  return j;
}

TurnRecord turn_from_json(const ordered_json& j, const std::string& path, const std::string& source) {
  require_object(j, path, source);
  TurnRecord t;
  const auto& first = member(j, "first_message", path, source);
  if (!first.is_number_unsigned() && !(first.is_number_integer() && first.get<int64_t>() >= 0)) {
    fail(source, path + ".first_message", "expected a message index, found " + capped(first.dump()));
  }
  t.first_message = first.get<size_t>();
  t.stats.started_at = get_optional_string(j, "started_at", path, source).value_or("");
  const std::string end = get_string(j, "end", path, source);
  auto parsed_end = parse_turn_end(end);
  if (!parsed_end) fail(source, path + ".end", "unknown turn end " + json_quoted(capped(end)));
  t.stats.end = *parsed_end;
  read_bool(j, "interrupted", path, source, t.stats.interrupted);
  read_number(j, "tokens_reused", path, source, t.stats.tokens_reused, 0, 1e15);
  read_number(j, "tokens_prefilled", path, source, t.stats.tokens_prefilled, 0, 1e15);
  read_number(j, "tokens_generated", path, source, t.stats.tokens_generated, 0, 1e15);
  read_number(j, "prefill_seconds", path, source, t.stats.prefill_seconds, 0, 1e12);
  read_number(j, "decode_seconds", path, source, t.stats.decode_seconds, 0, 1e12);
  read_number(j, "tool_calls", path, source, t.stats.tool_calls, 0, 1e9);
  read_number(j, "dropped_turns", path, source, t.stats.dropped_turns, 0, 1e9);
  return t;
}

Conversation conversation_member(const ordered_json& j, const std::string& source) {
  try {
    return conversation_from_json(j);
  } catch (const SessionFileError&) {
    throw;
  } catch (const gptoss::Error& e) {
    fail(source, "conversation", e.what());
  } catch (const nlohmann::json::exception& e) {
    fail(source, "conversation", e.what());
  }
}

// Turns must point at user messages, in order; the context window must start inside the messages.
void check_turns(const SessionState& state, const std::string& source) {
  const auto& messages = state.conversation.messages;
  size_t previous = 0;
  for (size_t i = 0; i < state.turns.size(); ++i) {
    const size_t m = state.turns[i].first_message;
    const std::string where = "turns[" + std::to_string(i) + "].first_message";
    if (m >= messages.size()) {
      fail(source, where,
           "points past the last message (expected < " + std::to_string(messages.size()) + ", found " +
               std::to_string(m) + ")");
    }
    if (messages[m].role != "user")
      fail(source, where, "expected a user message, found role \"" + messages[m].role + "\"");
    if (i > 0 && m <= previous) fail(source, where, "turns out of order");
    previous = m;
  }
  if (state.first_message > messages.size()) {
    fail(source, "first_message_in_context",
         "points past the messages (expected <= " + std::to_string(messages.size()) + ", found " +
             std::to_string(state.first_message) + ")");
  }
}

// Version 0 (the prototype's flat layout, docs/session-format.md) -> version 1.
SessionFile migrate_v0(const ordered_json& j, const std::string& source) {
  SessionFile file;
  file.created = get_optional_string(j, "saved", "", source).value_or("");
  file.updated = file.created;
  file.model_path = get_optional_string(j, "model", "", source).value_or("");
  SessionSettings& s = file.state.settings;
  if (auto effort = get_optional_string(j, "reasoning_effort", "", source)) {
    s.effort = read_effort(*effort, "reasoning_effort", source);
  }
  s.instructions = get_optional_string(j, "system_prompt", "", source).value_or("");
  read_number(j, "temperature", "", source, s.sampling.temperature, 0.0, 100.0);

  const auto& messages = member(j, "messages", "", source);
  if (!messages.is_array()) fail(source, "messages", "expected an array, found " + type_name(messages));
  Conversation& c = file.state.conversation;
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string path = "messages[" + std::to_string(i) + "]";
    try {
      c.messages.push_back(message_from_json(messages[i], path));
    } catch (const gptoss::Error& e) {
      fail(source, path, e.what());
    }
  }
  // Version 0 kept no per-turn records: one per user message, counters unknown (0). A turn counts
  // as answered if a final-channel message follows its question.
  for (size_t i = 0; i < c.messages.size(); ++i) {
    if (c.messages[i].role != "user") continue;
    TurnRecord t;
    t.first_message = i;
    t.stats.end = TurnEnd::kBudgetExhausted;
    for (size_t k = i + 1; k < c.messages.size() && c.messages[k].role != "user"; ++k) {
      if (c.messages[k].channel == std::optional<std::string>("final")) t.stats.end = TurnEnd::kAnswered;
    }
    file.state.turns.push_back(t);
  }
  file.title = title_from_conversation(c);
  return file;
}

std::string errno_text() { return std::strerror(errno); }

bool is_utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

ordered_json session_to_json(const SessionFile& file) {
  ordered_json j;
  j["format"] = std::string(kSessionFormat);
  j["version"] = kSessionVersion;
  j["created"] = file.created;
  j["updated"] = file.updated;
  j["title"] = file.title;
  j["model"] = {{"path", file.model_path}, {"fingerprint", file.model_fingerprint}};
  j["settings"] = settings_to_json(file.state.settings);
  j["conversation"] = conversation_to_json(file.state.conversation);
  j["first_message_in_context"] = file.state.first_message;
  ordered_json turns = ordered_json::array();
  for (const auto& t : file.state.turns) turns.push_back(turn_to_json(t));
  j["turns"] = turns;
  return j;
}

SessionFile session_from_json(const ordered_json& j, const std::string& source) {
  if (!j.is_object()) fail(source, "(top level)", "expected a JSON object, found " + type_name(j));
  auto format = j.find("format");
  if (format == j.end() || !format->is_string() || format->get<std::string>() != kSessionFormat) {
    fail(source, "format",
         "not a gpt-oss-chat session file (expected \"" + std::string(kSessionFormat) + "\", found " +
             (format == j.end() ? std::string("nothing") : capped(format->dump())) + ")");
  }
  const auto& version = member(j, "version", "", source);
  if (!version.is_number_integer() || version.get<int64_t>() < 0) {
    fail(source, "version", "expected a whole number, found " + capped(version.dump()));
  }
  const int64_t v = version.get<int64_t>();
  if (v > kSessionVersion) {
    fail(source, "version",
         "written by a newer gpt-oss-chat (format version " + std::to_string(v) +
             "; this program reads up to " + std::to_string(kSessionVersion) +
             "): upgrade gpt-oss-chat to open it");
  }
  SessionFile file;
  if (v == 0) {
    file = migrate_v0(j, source);
  } else {
    file.created = get_string(j, "created", "", source);
    file.updated = get_string(j, "updated", "", source);
    file.title = get_string(j, "title", "", source);
    const auto& model = require_object(member(j, "model", "", source), "model", source);
    file.model_path = get_optional_string(model, "path", "model", source).value_or("");
    file.model_fingerprint = get_optional_string(model, "fingerprint", "model", source).value_or("");
    file.state.settings = settings_from_json(member(j, "settings", "", source), source);
    file.state.conversation = conversation_member(member(j, "conversation", "", source), source);
    size_t first = 0;
    read_number(j, "first_message_in_context", "", source, first, 0, 1e15);
    file.state.first_message = first;
    const auto& turns = member(j, "turns", "", source);
    if (!turns.is_array()) fail(source, "turns", "expected an array, found " + type_name(turns));
    for (size_t i = 0; i < turns.size(); ++i) {
      file.state.turns.push_back(turn_from_json(turns[i], "turns[" + std::to_string(i) + "]", source));
    }
  }
  check_turns(file.state, source);
  return file;
}

SessionFile parse_session(std::string_view text, const std::string& source) {
  if (auto problem = excess_json_nesting(text)) throw SessionFileError(source + ": " + *problem);
  ordered_json j;
  try {
    j = ordered_json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    // nlohmann reports the byte offset (1-based count of bytes read) of a syntax error.
    auto [line, col] = line_col_of(text, e.byte > 0 ? e.byte - 1 : 0);
    // what() is "[json.exception.parse_error.101] parse error at line L, column C: <reason>".
    std::string reason = e.what();
    if (auto colon = reason.find(": "); colon != std::string::npos) reason = reason.substr(colon + 2);
    const bool truncated = e.byte > text.size();
    fail(source, std::to_string(line) + ":" + std::to_string(col),
         std::string(truncated ? "file ends early (truncated?): " : "invalid JSON: ") +
             capped(reason, kMaxParseErrorBytes));
  } catch (const nlohmann::json::exception& e) {
    // A number beyond a double ("1E400") is out_of_range, not a parse_error, and has no position.
    fail(source, "number", std::string("invalid JSON: ") + capped(e.what(), kMaxParseErrorBytes));
  }
  return session_from_json(j, source);
}

SessionFile load_session(const std::string& path) {
  // An ifstream opens a folder and then reads nothing, which would parse as a truncated file.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail(path, "open", "is a folder (expected a session file)");
  std::string bytes;
  try {
    bytes = read_file_capped(path, kMaxTextInputBytes);
  } catch (const SessionFileError&) {
    throw;
  } catch (const gptoss::Error& e) {
    throw SessionFileError(e.what());
  }
  return parse_session(bytes, path);
}

FileOps posix_file_ops() {
  return FileOps{
      .write = [](int fd, const void* data, size_t size) { return ::write(fd, data, size); },
      .fsync = [](int fd) { return ::fsync(fd); },
      .rename = [](const char* from, const char* to) { return ::rename(from, to); },
  };
}

namespace {

std::filesystem::path folder_of(const std::string& path) {
  const std::filesystem::path target(path);
  return target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
}

// Creates the temp file write_file_atomically writes first (mode 0600); returns its descriptor.
int create_temp_beside(const std::string& path, std::string& temp) {
  const std::filesystem::path dir = folder_of(path);
  temp = (dir / ("." + std::filesystem::path(path).filename().string() + ".tmp.XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) fail(path, "save", "cannot create a temporary file in " + dir.string() + ": " + errno_text());
  return fd;
}

// Only the sessions folder is created (with its parents, ~/.local/share...): a session path
// elsewhere must be in an existing folder, so a mistyped --session makes no tree of folders.
void create_sessions_folder(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path parent = fs::path(path).parent_path().lexically_normal();
  const fs::path sessions = fs::path(sessions_dir()).lexically_normal();
  std::error_code ec;
  if (parent == sessions) fs::create_directories(parent, ec);  // a failure shows up next
}

// The file a save through `path` writes: the target of a symbolic link (followed as the kernel
// does, at most 40 links), so the link itself stays in place.
std::string follow_links(const std::string& path) {
  namespace fs = std::filesystem;
  fs::path p(path);
  std::error_code ec;
  for (int hops = 0; hops < 40 && fs::is_symlink(p, ec); ++hops) {
    const fs::path target = fs::read_symlink(p, ec);
    if (ec) break;
    p = target.is_absolute() ? target : p.parent_path() / target;
  }
  return p.string();
}

// A save killed between creating its temp file and the rename leaves ".<name>.tmp.XXXXXX"
// behind; the next save of the same file removes those. Only temps untouched for a minute go,
// so that a save running in another process at this moment keeps its own.
void remove_stale_temps(const std::string& path) {
  namespace fs = std::filesystem;
  const std::string prefix = "." + fs::path(path).filename().string() + ".tmp.";
  const auto stale_before = fs::file_time_type::clock::now() - std::chrono::minutes(1);
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder_of(path), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() != prefix.size() + 6 || name.compare(0, prefix.size(), prefix) != 0) continue;
    std::error_code entry_ec;
    if (entry.is_regular_file(entry_ec) && entry.last_write_time(entry_ec) < stale_before && !entry_ec)
      fs::remove(entry.path(), entry_ec);
  }
}

}  // namespace

void check_session_writable(const std::string& path) {
  create_sessions_folder(path);
  std::string temp;
  ::close(create_temp_beside(follow_links(path), temp));
  ::unlink(temp.c_str());
}

void write_file_atomically(const std::string& link_or_path, std::string_view bytes, const FileOps& ops) {
  const std::string path = follow_links(link_or_path);
  const std::filesystem::path dir = folder_of(path);
  remove_stale_temps(path);
  std::string temp;
  int fd = create_temp_beside(path, temp);

  auto abandon = [&](const std::string& step) {
    const std::string why = errno_text();
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    fail(path, "save", step + " failed: " + why + " (the previous file is unchanged)");
  };
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ops.write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      abandon("write");
    }
    done += static_cast<size_t>(n);
  }
  if (ops.fsync(fd) != 0) abandon("fsync");
  if (::close(fd) != 0) {
    fd = -1;
    abandon("close");
  }
  fd = -1;
  if (ops.rename(temp.c_str(), path.c_str()) != 0) abandon("rename");
  // The rename is durable once the folder's entry is on disk.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd < 0) fail(path, "save", "saved, but cannot open the folder to sync it: " + errno_text());
  const int synced = ops.fsync(dir_fd);
  const std::string why = errno_text();
  ::close(dir_fd);
  if (synced != 0) fail(path, "save", "saved, but syncing the folder failed: " + why);
}

void save_session(const std::string& path, SessionFile& file, const FileOps& ops) {
  const std::string now = now_iso8601_utc();
  if (file.created.empty()) file.created = now;
  file.updated = now;
  if (file.title.empty()) file.title = title_from_conversation(file.state.conversation);
  create_sessions_folder(path);
  const std::string text =
      session_to_json(file).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  write_file_atomically(path, text, ops);
}

std::string title_from_conversation(const Conversation& conversation) {
  for (const auto& m : conversation.messages) {
    if (m.role != "user") continue;
    std::string_view text = m.content;
    while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\t'))
      text.remove_prefix(1);
    text = text.substr(0, text.find('\n'));
    constexpr size_t kMaxChars = 60;
    size_t chars = 0, cut = 0;
    while (cut < text.size() && chars < kMaxChars) {
      ++cut;
      while (cut < text.size() && is_utf8_continuation(text[cut])) ++cut;
      ++chars;
    }
    std::string title(text.substr(0, cut));
    if (cut < text.size()) title += "\u2026";
    return title;
  }
  return "untitled";
}

std::string sessions_dir() {
  namespace fs = std::filesystem;
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg && *xdg == '/') return (fs::path(xdg) / "gpt-oss-chat" / "sessions").string();
  const char* home = std::getenv("HOME");
  return (fs::path(home && *home ? home : ".") / ".local" / "share" / "gpt-oss-chat" / "sessions").string();
}

bool is_session_path(std::string_view arg) {
  return arg.find('/') != std::string_view::npos || arg.ends_with(".json");
}

bool is_session_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '.') return false;
  for (char c : name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && c != '.' && c != '-' && c != '_') return false;
  }
  return true;
}

std::string session_path(const std::string& name) {
  if (!is_session_name(name)) {
    fail("session name " + json_quoted(name), "name",
         "expected 1-64 letters, digits, '.', '-' or '_', not starting with '.' (a file path has a '/' or "
         "ends in .json)");
  }
  return (std::filesystem::path(sessions_dir()) / (name + ".json")).string();
}

std::string resolve_session(const std::string& name_or_path) {
  return is_session_path(name_or_path) ? name_or_path : session_path(name_or_path);
}

std::string kv_cache_path(const std::string& session_path) {
  const std::string_view json = ".json";
  return session_path.ends_with(json) ? session_path.substr(0, session_path.size() - json.size()) + ".kv"
                                      : session_path + ".kv";
}

std::vector<SessionListing> list_sessions(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<SessionListing> result;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return result;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const fs::path& p = entry.path();
    if (p.extension() != ".json" || p.filename().string().front() == '.' || !entry.is_regular_file(ec))
      continue;
    SessionListing item;
    item.name = p.stem().string();
    item.path = p.string();
    item.size_bytes = entry.file_size(ec);
    std::error_code kv_ec;
    const uintmax_t kv = fs::file_size(kv_cache_path(item.path), kv_ec);
    item.kv_bytes = kv_ec ? 0 : static_cast<uint64_t>(kv);
    try {
      SessionFile file = load_session(item.path);
      item.title = file.title;
      item.created = file.created;
      item.updated = file.updated;
    } catch (const gptoss::Error& e) {
      item.error = e.what();
    }
    result.push_back(std::move(item));
  }
  std::sort(result.begin(), result.end(), [](const SessionListing& a, const SessionListing& b) {
    return a.updated != b.updated ? a.updated > b.updated : a.name < b.name;  // ISO 8601 sorts as text
  });
  return result;
}

}  // namespace gptoss::chat
