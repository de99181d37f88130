// The input history file, shared by every chat of the user: one entry per line, appended as lines
// are entered, compacted now and then. Several chats may run at once; an exclusive lock (on
// `<path>.lock`) orders their appends and a compaction, so no entry is lost to a compaction's rewrite.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace gptoss::ui {

// Entries may hold newlines; the file keeps one entry per line with '\n' written as "\\n" and
// '\\' as "\\\\".
std::string escape_history_entry(std::string_view entry);
std::string unescape_history_entry(std::string_view line);

// The entries in the file, oldest first (none if it cannot be read).
std::vector<std::string> read_history_file(const std::string& path);

// Appends one entry (creating the file and its folder, private: 0600). An unwritable file loses
// the entry, never the chat: returns false then.
bool append_history_file(const std::string& path, const std::string& entry);

// Rewrites the file with its last `keep` entries (through a temporary file and a rename, so a
// crash never leaves half a history), re-read under the lock so that entries other chats appended
// since this one read the file are kept. Returns false if the file could not be rewritten.
bool compact_history_file(const std::string& path, size_t keep);

}  // namespace gptoss::ui
