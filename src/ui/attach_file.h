// /file PATH and @PATH: a text file's contents go into the message as a fenced block labelled with
// the file's name. Binary files (NUL bytes, invalid UTF-8) and oversized ones are refused with a
// line naming the file; an '@' not followed by an existing file is plain text.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gptoss::ui {

// The byte cap of one attached file, whatever the context could hold.
constexpr size_t kMaxAttachmentBytes = 1 << 20;

struct FileRead {
  std::optional<std::string> text;  // the contents, when they are text within the cap
  std::string error;                // else "<path>: <problem>"
};

// Reads `path` as an attachment: refuses a missing or unreadable file, a directory, more than
// `max_bytes`, a NUL byte or invalid UTF-8 (naming the byte offset).
FileRead read_text_file(const std::string& path, size_t max_bytes = kMaxAttachmentBytes);

// `contents` in a fenced block whose info string is `name`; the fence is longer than any run of
// backticks inside, so the block cannot end early.
std::string fenced_file(std::string_view name, std::string_view contents);

// An "@PATH" in a message that names an existing regular file.
struct FileMention {
  std::string path;  // as typed ("~/" expanded)
};

// The @PATH words of `message` for which `is_file` holds: '@' at the start or after a blank, the
// path up to the next blank; trailing punctuation (".,;:!?)") is dropped when the path without it
// is the file. `home` expands a leading "~/". Others ("@alice", "a@b.c") are plain text.
std::vector<FileMention> find_file_mentions(std::string_view message, const std::string& home,
                                            const std::function<bool(const std::string&)>& is_file);

}  // namespace gptoss::ui
