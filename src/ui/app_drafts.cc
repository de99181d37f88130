// Drafts: the message in $VISUAL/$EDITOR (/edit, Ctrl-X Ctrl-E), the last message edited again
// and sent in its place (/edit-last, Up right after an answer), files attached to a message
// (/file PATH, @PATH).
#include <filesystem>

#include "tokenizer/tokenizer.h"
#include "ui/app.h"
#include "ui/attach_file.h"
#include "ui/external_editor.h"
#include "ui/terminal.h"

namespace gptoss::ui {
namespace {

bool is_up_key(const std::string& bytes) { return bytes == "\x1b[A" || bytes == "\x1bOA"; }

std::string file_label(const std::string& path) { return std::filesystem::path(path).filename().string(); }

}  // namespace

void App::open_editor(const std::string& draft) {
  const std::string command = editor_command(process_env());
  EditorOutcome edited;
  terminal_.lend([&] { edited = edit_in_editor(command, draft); });
  needs_redraw_ = true;
  if (!edited.text) {
    notice(edited.error + "; the draft is kept.", BlockKind::kError);
    if (input_.empty() && !draft.empty()) input_.set_text(draft);
    return;
  }
  input_.set_text(*edited.text);
}

bool App::up_edits_last(const Key& k) const {
  return k.kind == KeyKind::kReadline && just_answered_ && !busy_ && input_.empty() && is_up_key(k.text);
}

void App::edit_last() {
  if (busy_) {
    hint_ = "Still answering: wait for it, or press Ctrl-C to stop it";
    return;
  }
  const auto& msgs = session_->conversation().messages;
  for (size_t i = msgs.size(); i-- > 0;) {
    if (msgs[i].role != "user") continue;
    input_.set_text(msgs[i].content);
    replacing_last_ = true;
    hint_ = "editing your last message: Enter replaces that exchange";
    return;
  }
  notice("No message to edit yet.");
}

void App::attach_file(const std::string& arg) {
  if (arg.empty() || arg == "--clear") {
    if (arg == "--clear" || attached_.empty()) {
      notice(attached_.empty() ? "No files attached (/file PATH attaches one to the next message)."
                               : "Attached files dropped.");
      attached_.clear();
      return;
    }
    std::string list = "Attached to the next message:";
    for (const Attached& a : attached_) list += " " + a.name;
    notice(list + " (/file --clear drops them).");
    return;
  }
  std::string path = arg;
  if (path.starts_with("~/")) path = process_env()("HOME").value_or("") + path.substr(1);
  FileRead read = read_text_file(path);
  if (!read.text) {
    notice(read.error, BlockKind::kError);
    return;
  }
  Attached a{file_label(path), fenced_file(file_label(path), *read.text)};
  std::string counted = count_for_context(a.name, a.block);
  if (counted.empty()) return;  // refused: the notice says why
  attached_.push_back(std::move(a));
  notice("Attached " + attached_.back().name + ": " + counted +
         ". It goes with your next message: type it and press Enter (/file --clear drops it).");
}

// "123 tokens" if `block` fits in what the context has left after the reply budget; else a notice
// naming the file and "".
std::string App::count_for_context(const std::string& name, const std::string& block) {
  const uint64_t tokens = config_.tokenizer ? config_.tokenizer->encode(block).size() : block.size() / 4;
  const uint64_t reserve = static_cast<uint64_t>(session_->settings().max_new_tokens) + context_used_;
  const uint64_t room = context_size_ > reserve ? context_size_ - reserve : 0;
  if (tokens > room) {
    notice(name + ": too big to attach (" + std::to_string(tokens) + " tokens; the context has room for " +
               std::to_string(room) + " besides the reply; /set context or /new make room)",
           BlockKind::kError);
    return "";
  }
  return count_noun(tokens, "token");
}

std::optional<std::string> App::prepare_message(const std::string& typed) {
  std::vector<Attached> files = attached_;
  const std::vector<FileMention> mentions =
      find_file_mentions(typed, process_env()("HOME").value_or(""), [](const std::string& p) {
        std::error_code ec;
        return std::filesystem::is_regular_file(p, ec);
      });
  std::string counts;
  for (const FileMention& m : mentions) {
    FileRead read = read_text_file(m.path);
    if (!read.text) {
      notice(read.error, BlockKind::kError);
      input_.set_text(typed);
      return std::nullopt;
    }
    Attached a{file_label(m.path), fenced_file(file_label(m.path), *read.text)};
    std::string counted = count_for_context(a.name, a.block);
    if (counted.empty()) {
      input_.set_text(typed);
      return std::nullopt;
    }
    counts += (counts.empty() ? "" : ", ") + a.name + " (" + counted + ")";
    files.push_back(std::move(a));
  }
  // Files named with @ are counted before anything is sent; Enter again sends.
  if (!mentions.empty() && typed != mentions_counted_) {
    mentions_counted_ = typed;
    input_.set_text(typed);
    notice("Attaching " + counts + ". Press Enter to send.");
    return std::nullopt;
  }
  mentions_counted_.clear();
  if (replacing_last_) {
    replacing_last_ = false;
    undo();  // the edited message replaces the last exchange, as /undo and sending it again would
  }
  attached_.clear();
  std::string text = typed;
  for (const Attached& a : files) text += "\n\n" + a.block;
  return text;
}

}  // namespace gptoss::ui
