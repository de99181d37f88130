// The full-screen chat's use of a session's KV cache file: restored when a session is continued
// or loaded, written when it is saved; what did not work is a notice, never an error.
#include "chat/session_cache.h"
#include "ui/app.h"
#include "ui/session_names.h"

namespace gptoss::ui {

void App::restore_cache() {
  if (!config_.kv_cache || session_name_.empty()) return;
  const chat::CacheRestore r = chat::restore_session_cache(*session_, chat::resolve_session(session_name_));
  if (!r.notice.empty()) notice(r.notice);
}

void App::save_cache() {
  if (!config_.kv_cache || session_name_.empty()) return;
  const std::string note = chat::save_session_cache(*session_, chat::resolve_session(session_name_));
  if (!note.empty()) notice(note);
}

}  // namespace gptoss::ui
