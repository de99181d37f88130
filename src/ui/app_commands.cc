// The slash commands' actions (parsing is in commands.cc): sessions, settings, help, stats.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "ui/app.h"
#include "ui/expert_usage_text.h"
#include "ui/session_names.h"
#include "ui/settings_command.h"
#include "ui/terminal.h"

namespace gptoss::ui {
namespace {

// The first `max_chars` characters of UTF-8 `text`, never cutting one in half.
std::string utf8_prefix(const std::string& text, size_t max_chars) {
  size_t cut = 0, chars = 0;
  while (cut < text.size() && chars < max_chars) {
    ++cut;
    while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
    ++chars;
  }
  return text.substr(0, cut);
}

std::string fixed(double x, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

}  // namespace

// ---- Commands -----------------------------------------------------------------------------

void App::show_help() {
  // Two columns when the window is wide enough; else each description on its own indented line,
  // so it wraps as a column rather than under the commands.
  const bool two_columns = COLS >= 70;
  std::string text = "Commands:";
  for (const CommandHelp& h : command_help()) {
    std::string usage = h.usage;
    if (two_columns) {
      usage.resize(std::max<size_t>(usage.size(), 26), ' ');
      text += "\n  " + usage + h.summary;
    } else {
      text += "\n  " + usage + "\n      " + h.summary;
    }
  }
  text +=
      "\nSessions: a NAME (letters, digits, '.', '-', '_') is saved in the sessions folder; an argument "
      "with a '/' or ending in .json is a file path.";
  text +=
      "\nKeys: Enter sends, Alt-Enter adds a line, pastes keep their lines. PageUp/PageDown, the wheel, and "
      "Home/End (on an empty line) scroll. Ctrl-T shows or hides reasoning. Ctrl-R searches history. Ctrl-C "
      "stops an answer; twice at the prompt, or Ctrl-D, quits. Ctrl-Z suspends. Shift-drag selects text. "
      "Ctrl-J also adds a line; Ctrl-X Ctrl-E edits the "
      "message in $VISUAL/$EDITOR; Up right after an answer edits your last message."
      "\nIn /inspect: \u2190\u2192 or h l move along the tokens, \u2191\u2193 or j k along the layers, "
      "PgUp/PgDn by a screen, Home/End to the first/last token, m changes what the colours show (top-1 "
      "expert, its weight, sink share), q or Esc closes.";
  notice(text);
}

void App::show_stats() {
  if (!turn_.last_stats()) {
    notice("No answer yet. Context: " + std::to_string(context_used_) + " / " + std::to_string(context_size_) +
           " tokens; memory in use: " + format_bytes(memory_bytes_) + ".");
    return;
  }
  const chat::TurnStats& s = *turn_.last_stats();
  std::string text = "Last answer: " + count_noun(s.tokens_generated, "token") + " in " +
                     fixed(s.decode_seconds, 2) + " s (" + fixed(s.decode_tokens_per_second(), 1) +
                     " tok/s). Prompt: " + count_noun(s.tokens_prefilled, "token") + " computed in " +
                     fixed(s.prefill_seconds, 2) + " s (" + fixed(s.prefill_tokens_per_second(), 1) +
                     " tok/s), " + std::to_string(s.tokens_reused) +
                     " reused from the cache. Ended: " + describe_end(s.end) + ".";
  text += "\nContext: " + std::to_string(context_used_) + " / " + std::to_string(context_size_) +
          " tokens. Memory in use: " + format_bytes(memory_bytes_) + ". Model: " + config_.model_path + " (" +
          (config_.backend->info().remote ? std::string("remote")
                                          : std::to_string(config_.backend->info().threads) + " threads, " +
                                                config_.backend->info().precision + " precision") +
          ").";
  text += "\nMemory: " + (config_.backend->info().remote ? std::string("the model runs on the server") : config_.backend->info().memory) + ".";
  if (const std::string line = memory_stats_line(memory_figures_); !line.empty()) text += "\n" + line;
  if (const std::string usage = expert_usage_summary(config_.backend->expert_usage()); !usage.empty())
    text += "\n" + usage;
  notice(text);
}

void App::show_sessions() {
  std::vector<chat::SessionListing> list = chat::list_sessions(chat::sessions_dir());
  if (list.empty()) {
    notice("No saved sessions yet; /save NAME saves this one.");
    return;
  }
  std::string text = "Saved sessions (/load NAME):";
  for (const chat::SessionListing& s : list) {
    text += "\n  " + s.name + "  ";
    text += s.error ? "(unreadable: " + *s.error + ")" : s.title + "  " + s.updated;
    text += "  " + format_bytes(s.size_bytes + s.kv_bytes) + (s.kv_bytes ? " with its KV cache" : "");
  }
  notice(text);
}

std::optional<std::string> App::autosave() {
  if (!dirty_ || session_->conversation().messages.empty()) return std::nullopt;
  std::string name = session_name_.empty() ? automatic_session_name() : session_name_;
  save(name, /*replace=*/true);  // its own file, or an unused name
  return name;
}

bool App::save(const std::string& requested, bool replace) {
  std::string name = !requested.empty()       ? requested
                     : !session_name_.empty() ? session_name_
                                              : automatic_session_name();
  if (!replace) {
    if (std::optional<std::string> refusal = overwrite_refusal(name, session_name_)) {
      notice(*refusal, BlockKind::kError);
      return false;
    }
  }
  std::string path = chat::resolve_session(name);
  chat::SessionFile file = file_meta_;
  file.model_path = config_.model_path;
  file.model_fingerprint = config_.model_fingerprint;
  file.state = session_->state();
  if (uncapped_reply_budget_ && file.state.settings.max_new_tokens == config_.settings.max_new_tokens) {
    file.state.settings.max_new_tokens = uncapped_reply_budget_;  // not the demo's cap
  }
  if (name != session_name_) file.created.clear();  // a new file
  chat::save_session(path, file);
  file_meta_.created = file.created;
  file_meta_.updated = file.updated;
  file_meta_.title = file.title;
  session_name_ = name;
  dirty_ = false;
  notice("Saved as '" + name + "' (" + path + ").");
  save_cache();
  return true;
}

void App::load(const std::string& name) {
  std::string path;
  chat::SessionFile file;
  try {
    path = chat::resolve_session(name);
    if (!std::filesystem::exists(path)) {
      notice("No session named '" + name + "'; /sessions lists them.");
      return;
    }
    file = chat::load_session(path);
  } catch (const gptoss::Error& e) {
    notice(e.what(), BlockKind::kError);
    return;
  }
  std::unique_ptr<chat::ChatSession> loaded;
  int uncapped = 0;
  try {
    chat::SessionState state = file.state;
    const int max_context = config_.backend->info().max_context;
    if (max_context > 0 && state.settings.context_tokens > max_context) state.settings.context_tokens = max_context;
    uncapped = 0;
    if (config_.demo && state.settings.max_new_tokens > config_.settings.max_new_tokens) {
      uncapped = state.settings.max_new_tokens;  // the demo's cap applies, the file keeps its budget
      state.settings.max_new_tokens = config_.settings.max_new_tokens;
    }
    loaded = std::make_unique<chat::ChatSession>(config_.backend, config_.tokenizer, std::move(state));
  } catch (const gptoss::Error& e) {
    notice(std::string("Cannot load '") + name + "': " + e.what(), BlockKind::kError);
    return;
  }
  const std::optional<std::string> saved = autosave();
  session_ = std::move(loaded);
  uncapped_reply_budget_ = uncapped;
  file_meta_ = file;
  file_meta_.state = {};
  session_name_ = name;
  dirty_ = false;
  turn_.forget_stats();
  rebuild_transcript();
  if (saved) notice("(the previous conversation was saved as '" + *saved + "')");  // after the redraw
  notice("Loaded '" + name + "' (" + std::to_string(session_->conversation().messages.size()) + " messages).");
  if (!file.model_fingerprint.empty() && file.model_fingerprint != config_.model_fingerprint) {
    notice("This session was saved with a different model; its answers came from that one.");
  }
  restore_cache();
  refresh_context_usage();
}

void App::new_conversation() {
  std::optional<std::string> saved;
  try {
    saved = autosave();
  } catch (const gptoss::Error& e) {
    notice(std::string("Not starting over: the conversation could not be saved: ") + e.what(), BlockKind::kError);
    return;
  }
  session_->new_conversation();
  session_name_.clear();
  file_meta_ = {};
  uncapped_reply_budget_ = config_.uncapped_reply_budget ? config_.uncapped_reply_budget : 0;
  dirty_ = false;
  turn_.forget_stats();
  rebuild_transcript();
  notice(saved ? "New conversation (the previous one was saved as '" + *saved + "')." : "New conversation.");
  refresh_context_usage();
}

void App::retry() {
  const auto& msgs = session_->conversation().messages;
  bool has_user = std::any_of(msgs.begin(), msgs.end(), [](const chat::Message& m) { return m.role == "user"; });
  if (!has_user) {
    notice("Nothing to retry yet.");
    return;
  }
  // Drop the shown reply: everything after the last user block.
  for (size_t i = transcript_.size(); i-- > 0;) {
    if (transcript_.block(i).kind == BlockKind::kUser) {
      transcript_.truncate(i + 1);
      break;
    }
  }
  start_turn([](chat::ChatSession& s, const chat::ChatEventSink& sink, const std::atomic<bool>& cancel) {
    s.retry(sink, cancel);
  });
}

void App::undo() {
  std::optional<std::string> removed = session_->undo();
  if (!removed) {
    notice("Nothing to undo.");
    return;
  }
  dirty_ = true;
  turn_.forget_stats();  // the speeds were the removed answer's
  // What the screen shows as last goes: from the last message block on (notices above it stay).
  size_t last_user = transcript_.size();
  for (size_t i = transcript_.size(); i-- > 0;) {
    if (transcript_.block(i).kind == BlockKind::kUser) {
      last_user = i;
      break;
    }
  }
  if (last_user < transcript_.size()) {
    transcript_.truncate(last_user);
  } else {
    rebuild_transcript();
  }
  std::string preview = utf8_prefix(removed->substr(0, removed->find('\n')), 60);
  notice("Removed the last exchange (\"" + preview + (preview.size() < removed->size() ? "…" : "") + "\").");
  refresh_context_usage();
}

void App::set_effort(const std::string& arg) {
  chat::SessionSettings s = session_->settings();
  if (arg.empty()) {
    notice("Reasoning effort: " + std::string(chat::to_string(s.effort)) + " (/effort low|medium|high changes it).");
    return;
  }
  s.effort = *chat::parse_effort(arg);  // parse_command checked it
  session_->set_settings(s);
  dirty_ = true;
  notice("Reasoning effort: " + arg + ", from the next answer" + recompute_note() + ".");
  prompt_rewritten_ = true;
  refresh_context_usage();
}

void App::set_system(const std::string& arg) {
  chat::SessionSettings s = session_->settings();
  if (arg.empty()) {
    notice(s.instructions.empty() ? "No instructions set (/system TEXT sets them)."
                                  : "Instructions: " + s.instructions);
    return;
  }
  s.instructions = arg == "--clear" ? "" : arg;
  session_->set_settings(s);
  dirty_ = true;
  notice((s.instructions.empty() ? "Instructions removed" : "Instructions set, from the next answer") +
         recompute_note() + ".");
  prompt_rewritten_ = true;
  refresh_context_usage();
}

}  // namespace gptoss::ui

namespace gptoss::ui {

void App::set_setting(const std::string& arg) {
  if (arg.empty()) {
    notice(describe_settings(session_->settings()));
    return;
  }
  SetResult r = apply_set(session_->settings(), arg);
  if (!r.settings) {
    notice(r.message, BlockKind::kError);
    return;
  }
  session_->set_settings(*r.settings);  // a ChatError (beyond the model's limits) becomes a notice
  if (arg.starts_with("max-tokens")) uncapped_reply_budget_ = 0;  // chosen: saved as it is
  if (arg.starts_with("context")) prompt_rewritten_ = true;       // a new, empty KV cache
  dirty_ = true;
  notice(r.message);
  refresh_context_usage();
}

}  // namespace gptoss::ui

namespace gptoss::ui {

// The system and developer messages come first in the prompt: changing them means the whole
// conversation is read again, which on 20b takes a while.
std::string App::recompute_note() const {
  if (session_->conversation().messages.empty()) return "";
  return " (the next answer first re-reads the whole conversation: " + std::to_string(context_used_) +
         " tokens)";
}

}  // namespace gptoss::ui
