// A saved session's KV cache, kept beside its file (NAME.kv next to NAME.json), so that a loaded
// conversation answers without prefilling it again (docs/kv-cache-format.md).
//
//   save_session(path, file);
//   std::string note = save_session_cache(session, path);      // after the session is saved
//   ...
//   ChatSession session(backend, tokenizer, load_session(path).state);
//   CacheRestore r = restore_session_cache(session, path);      // before its first turn
//
// The chat decides when; the engine writes and checks the file; a remote backend keeps no cache,
// so nothing is written or read for it. A file that does not fit (another model, changed
// conversation, damage) is never trusted: the conversation is prefilled as without one.
#pragma once

#include <cstddef>
#include <string>

#include "chat/chat_session.h"

namespace gptoss::chat {

// Writes the backend's cache of the session's conversation to kv_cache_path(session_path)
// atomically (temp file, fsync, rename), keys and values in bf16. A backend that keeps no cache
// writes nothing and leaves the folder alone; a local one holding none of the conversation
// removes an older cache file there. Returns "" when done, else a one-line notice of why no
// cache was saved (the session file itself is not affected). Never throws for the cache.
std::string save_session_cache(const ChatSession& session, const std::string& session_path);

struct CacheRestore {
  size_t tokens = 0;   // tokens restored into the backend's cache; 0: none
  std::string notice;  // one line when a cache file was there but not used; "" otherwise
};

// Restores the backend's cache from kv_cache_path(session_path) when the file was made by this
// model and its tokens are a prefix of the session's next prompt. A missing file, or a backend
// that keeps no cache, restores nothing silently. Never throws for the cache.
CacheRestore restore_session_cache(ChatSession& session, const std::string& session_path);

}  // namespace gptoss::chat
