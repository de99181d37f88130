// The chat's commands on saved sessions beyond /save and /load: /sessions delete|rename and
// /export (the conversation as Markdown).
#include <filesystem>
#include <sstream>

#include "chat/conversation_markdown.h"
#include "chat/session_files.h"
#include "chat/session_store.h"
#include "ui/app.h"
#include "ui/session_names.h"

namespace gptoss::ui {
namespace {

namespace fs = std::filesystem;

bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  return a == b || fs::equivalent(a, b, ec);
}

}  // namespace

void App::manage_sessions(const std::string& arg) {
  std::istringstream in(arg);
  std::string action, first, second;
  in >> action >> first >> second;  // parse_command checked the shape
  if (action.empty()) {
    show_sessions();
    return;
  }
  try {
    const std::string path = chat::resolve_session(first);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      notice("No session named '" + first + "'; /sessions lists them.", BlockKind::kError);
      return;
    }
    const bool open_now = !session_name_.empty() && same_file(path, chat::resolve_session(session_name_));
    if (action == "delete") {
      if (open_now) {
        notice("'" + first + "' is the conversation open now; /new first, then delete it.",
               BlockKind::kError);
        return;
      }
      std::string files;
      for (const std::string& f : chat::delete_session(path)) files += (files.empty() ? "" : ", ") + f;
      notice("Deleted '" + first + "' (" + files + ").");
    } else {
      const std::string to = chat::resolve_session(second);
      chat::rename_session(path, to);
      if (open_now) session_name_ = second;  // the autosave follows the new name
      notice("Renamed '" + first + "' to '" + second + "' (" + to + ").");
    }
  } catch (const gptoss::Error& e) {
    notice(e.what(), BlockKind::kError);
  }
}

void App::export_markdown(const std::string& requested, bool replace) {
  const chat::Conversation& conversation = session_->conversation();
  if (conversation.messages.empty()) {
    notice("Nothing to export yet.");
    return;
  }
  // By default NAME.md in the current folder, NAME being the session's (or a new automatic) name.
  const std::string name = session_name_.empty() ? automatic_session_name() : session_name_;
  const std::string file = requested.empty() ? fs::path(name).stem().string() + ".md" : requested;
  std::error_code ec;
  if (!replace && fs::exists(file, ec)) {
    notice("'" + file + "' already exists; /export! " + file + " replaces it, or choose another name.",
           BlockKind::kError);
    return;
  }
  const std::string title =
      file_meta_.title.empty() ? chat::title_from_conversation(conversation) : file_meta_.title;
  try {
    chat::write_file_atomically(
        file, chat::conversation_markdown(
                  conversation, {.title = title, .instructions = session_->settings().instructions}));
  } catch (const gptoss::Error& e) {
    notice(std::string("Not exported: ") + e.what(), BlockKind::kError);
    return;
  }
  notice("Exported the conversation as Markdown to " + fs::absolute(file, ec).string() + ".");
}

std::string App::scrollback_text() const {
  return chat::conversation_markdown(
      session_->conversation(), {.reasoning = transcript_.show_reasoning() ? chat::ReasoningStyle::kQuoted
                                                                           : chat::ReasoningStyle::kOmitted});
}

}  // namespace gptoss::ui
