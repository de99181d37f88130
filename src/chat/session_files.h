// Renaming and deleting saved sessions (`gpt-oss-chat sessions`, the chat's /sessions). A
// session's KV cache file beside it (x.json -> x.kv), when there is one, follows the session.
#pragma once

#include <string>
#include <vector>

namespace gptoss::chat {

// Removes the session file and its KV file; returns the files removed. Throws SessionFileError
// "<path>: delete: ..." if there is no such file or it cannot be removed.
std::vector<std::string> delete_session(const std::string& path);

// Moves the session `from` (and its KV file) to `to`, never replacing a file: SessionFileError
// "<to>: rename: ..." if `to` exists, "<from>: rename: ..." if `from` does not.
void rename_session(const std::string& from, const std::string& to);

}  // namespace gptoss::chat
