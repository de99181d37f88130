// Session files: a chat saved as versioned JSON, written atomically (docs/session-format.md).
//
//   SessionFile file{.title = "Trip", .state = session.state()};
//   save_session(session_path("trip"), file);          // temp file, fsync, rename, fsync folder
//   SessionFile again = load_session(session_path("trip"));
//
// Loading never modifies the file. A corrupt or truncated file is an error naming its line and
// column; a file from a newer program is refused; version-0 files are migrated on load.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/chat_session.h"
#include "chat/conversation.h"
#include "common/error.h"

namespace gptoss::chat {

class SessionFileError : public gptoss::Error {
 public:
  using gptoss::Error::Error;
};

inline constexpr std::string_view kSessionFormat = "gpt-oss-chat-session";
inline constexpr int kSessionVersion = 1;  // the version this program writes

struct SessionFile {
  std::string created;  // ISO 8601 UTC; save_session fills it if empty
  std::string updated;  // ISO 8601 UTC; save_session sets it to now
  std::string title;    // save_session derives it from the first user message if empty
  std::string model_path;
  std::string model_fingerprint;  // ModelInfo::fingerprint of the model that produced the turns
  SessionState state;
};

// JSON <-> SessionFile. `source` names the file in errors. from_json migrates older versions,
// refuses newer ones, and throws SessionFileError "<source>: <key path>: <problem>".
ordered_json session_to_json(const SessionFile& file);
SessionFile session_from_json(const ordered_json& j, const std::string& source);

// Parses the text of a session file; a JSON syntax error is reported as "<source>: <line>:<col>:
// ...". Throws SessionFileError.
SessionFile parse_session(std::string_view text, const std::string& source);

// Reads and parses `path` (read-only). Throws SessionFileError naming the path.
SessionFile load_session(const std::string& path);

// The system calls save_session goes through; tests replace them to inject failures. Each has the
// POSIX signature and errno convention.
struct FileOps {
  std::function<ssize_t(int fd, const void* data, size_t size)> write;
  std::function<int(int fd)> fsync;
  std::function<int(const char* from, const char* to)> rename;
};
FileOps posix_file_ops();

// Writes `bytes` to `path` atomically: a temp file in the same folder, write, fsync, rename over
// `path`, fsync the folder. On any failure the temp file is removed, `path` keeps its previous
// content, and SessionFileError says which step failed. The file gets mode 0600 (chats are
// private). A symbolic link is followed: its target is replaced, the link stays. Temp files of
// the same path left by a killed save (older than a minute) are removed first.
void write_file_atomically(const std::string& path, std::string_view bytes,
                           const FileOps& ops = posix_file_ops());

// Checks, before any work worth saving is done, that save_session(path) can create its temporary
// file: creates the sessions folder if `path` is in it (no other folder is created), then creates
// and removes a temp file there. Throws SessionFileError "<path>: save: ..." if it cannot.
void check_session_writable(const std::string& path);

// Fills created/updated/title as documented above and writes the JSON atomically (creating the
// sessions folder as check_session_writable does).
void save_session(const std::string& path, SessionFile& file, const FileOps& ops = posix_file_ops());

// A title from the first user message: its first line, at most 60 characters (UTF-8 aware).
std::string title_from_conversation(const Conversation& conversation);

// $XDG_DATA_HOME/gpt-oss-chat/sessions, or ~/.local/share/gpt-oss-chat/sessions. Not created.
std::string sessions_dir();
// The one rule for a session argument, wherever one is taken (chat --session, /save, /load,
// /sessions, generate --session, render --session, the sessions subcommand): an argument holding
// a '/' or ending in ".json" is a file path (possibly new); anything else is the NAME of a session
// in sessions_dir(), saved as NAME.json. A name is 1-64 of [A-Za-z0-9._-], not starting with '.'.
bool is_session_path(std::string_view arg);
bool is_session_name(std::string_view name);

// sessions_dir()/<name>.json. Throws SessionFileError if `name` is not a session name.
std::string session_path(const std::string& name);

// The file a session argument refers to, by the rule above. Does not check that it exists; throws
// SessionFileError for an argument that is neither a path nor a valid name.
std::string resolve_session(const std::string& name_or_path);

// The KV cache file saved beside a session (session_cache.h): "x.json" -> "x.kv"; a path not
// ending in ".json" gets ".kv" appended.
std::string kv_cache_path(const std::string& session_path);

struct SessionListing {
  std::string name;  // file name without ".json"
  std::string path;
  std::string title, created, updated;
  uint64_t size_bytes = 0;
  uint64_t kv_bytes = 0;             // its KV cache file beside it; 0 if none
  std::optional<std::string> error;  // set if the file could not be read; the other fields may be empty
};
// The *.json files of `dir`, most recently updated first. A missing folder lists nothing.
std::vector<SessionListing> list_sessions(const std::string& dir);

}  // namespace gptoss::chat
