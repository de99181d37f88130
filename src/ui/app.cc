#include "ui/app.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "ui/relaunch.h"
#include "ui/terminal.h"

namespace gptoss::ui {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kPrompt = "\u203A ";
constexpr int kWheelRows = 3;
constexpr const char* kStillAnswering = "Still answering: wait for it, or press Ctrl-C to stop it";

std::string demo_banner(const std::string& program) {
  return "Demo mode: a tiny model with RANDOM weights, generated on the spot. Its replies are gibberish; it "
         "is "
         "here so you can try the interface. For real answers: hf download openai/gpt-oss-20b --local-dir "
         "gpt-oss-20b, then " +
         program + " --model gpt-oss-20b (gpt-oss-chat --help says how to get hf)";
}

}  // namespace

App::App(Terminal& terminal, const WakePipe& wake, AppConfig config)
    : terminal_(terminal),
      wake_(wake),
      config_(std::move(config)),
      input_(kPrompt, config_.history_path),
      events_(wake) {
  chat::SessionState state;
  if (config_.session_file) {
    state = config_.session_file->state;
    file_meta_ = *config_.session_file;
    file_meta_.state = {};
  } else {
    state.settings = config_.settings;
  }
  session_name_ = config_.session_name;
  uncapped_reply_budget_ = config_.uncapped_reply_budget;
  session_ = std::make_unique<chat::ChatSession>(config_.backend, config_.tokenizer, std::move(state));
  memory_bytes_ = resident_memory_bytes();
  memory_figures_ = memory_figures(config_.backend->stats());
  rebuild_transcript();
  if (config_.session_file) {
    notice("Continuing session " + session_name_ + " (" + std::to_string(session_->conversation().messages.size()) +
           " messages). /new starts a fresh one.");
    if (!file_meta_.model_fingerprint.empty() && file_meta_.model_fingerprint != config_.model_fingerprint) {
      notice("This session was saved with a different model; its answers came from that one.");
    }
    restore_cache();
  } else {
    notice("Type a message and press Enter. /help lists commands; Ctrl-C stops an answer; Ctrl-D quits.");
  }
  refresh_context_usage();
  watch_prefill();
}

App::~App() {
  if (worker_.joinable()) {
    cancel_ = true;
    worker_.join();
  }
  unwatch_prefill();
}

// ---- The loop -----------------------------------------------------------------------------

AppResult App::run() {
  start_prefix_prefill();
  AppResult result = run_and_save();
  if (config_.scrollback_on_exit) result.scrollback = scrollback_text();
  if (!fatal_error_.empty()) {  // e.g. the model file changed: the chat cannot go on
    result.exit_code = 1;
    result.farewell = "gpt-oss-chat: " + fatal_error_ + (result.farewell.empty() ? "" : "\n" + result.farewell);
  }
  return result;
}

AppResult App::run_and_save() {
  for (;;) {
    run_until_quit();
    AppResult result;
    if (quit_signal_) result.exit_code = 128 + quit_signal_;  // the shell's convention for "killed by"
    if (leave_unsaved_) {
      if (dirty_ && !session_->conversation().messages.empty()) result.farewell = "Left without saving.";
      return result;
    }
    try {
      autosave();
      if (!session_name_.empty() && !session_->conversation().messages.empty()) {
        result.farewell = "Conversation saved as '" + session_name_ +
                          "'; continue it with: " + config_.relaunch + " --session " +
                          shell_quote(session_name_);
      }
      return result;
    } catch (const gptoss::Error& e) {
      if (quit_signal_ || terminal_gone_ || !fatal_error_.empty()) {  // no one to ask, or no way on
        result.farewell = std::string("Could not autosave the conversation: ") + e.what();
        result.exit_code = 1;
        return result;
      }
      // Nothing is lost silently: stay, say why, and how to save elsewhere or leave anyway.
      notice(std::string("Not quitting: the conversation could not be saved: ") + e.what() +
                 "\n/save PATH saves it elsewhere (e.g. /save ~/chat.json); /quit! leaves without saving.",
             BlockKind::kError);
      quit_ = false;
    }
  }
}

void App::run_until_quit() {
  auto last_tick = Clock::now();
  while (!quit_) {
    if (needs_redraw_ || input_.dirty) {
      redraw();
      needs_redraw_ = false;
      input_.dirty = false;
    }
    struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake_.read_fd(), POLLIN, 0}};
    int n = ::poll(fds, 2, keys_.pending() ? 40 : 1000);

    SignalFlags sig = terminal_.take_signals();
    if (sig.resize) {
      terminal_.apply_resize();
      needs_redraw_ = true;
    }
    if (sig.quit) {
      quit_ = true;
      quit_signal_ = sig.quit;
    }
    if (sig.interrupt) handle_interrupt();

    if (n > 0 && (fds[1].revents & POLLIN)) {
      wake_.drain();
      for (UiEvent& e : events_.take_all()) {
        if (auto* chat_event = std::get_if<chat::ChatEvent>(&e)) {
          turn_.handle(*chat_event, Clock::now());
        } else if (auto* failed = std::get_if<TurnFailed>(&e)) {
          turn_.end(Clock::now());
          take_back_refused_message();
          notice(failed->message, BlockKind::kError);
          if (failed->model_unusable) {
            fatal_error_ = failed->message;
            quit_ = true;
          }
        } else if (std::holds_alternative<PrefixPrefilled>(e)) {
          prefix_prefilled();
        } else {
          finish_turn();
        }
      }
      needs_redraw_ = true;
    }
    if (n > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      char buf[4096];
      ssize_t got = ::read(STDIN_FILENO, buf, sizeof buf);
      if (got > 0) {
        handle_keys(keys_.feed(std::string_view(buf, static_cast<size_t>(got))));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        quit_ = true;  // the terminal went away
        terminal_gone_ = true;
      }
    } else if (n == 0 && keys_.pending()) {
      handle_keys(keys_.flush());  // a lone Escape
    }
    if (Clock::now() - last_tick > std::chrono::seconds(1)) {
      memory_bytes_ = resident_memory_bytes();
      last_tick = Clock::now();
      needs_redraw_ = true;
    }
  }

  if (worker_.joinable()) {
    cancel_ = true;
    if (!wait_for_turn(std::chrono::milliseconds(1500))) {
      // A long prefill is not interruptible: give the terminal back while it finishes.
      terminal_.release();
      std::fprintf(stderr, "gpt-oss-chat: stopping (finishing the current step)...\n");
    }
    worker_.join();
    busy_ = false;
    prefilling_ = false;
    queued_turn_.reset();  // sent during the pre-fill and never started: not in the conversation
    turn_.end(Clock::now());
    refresh_context_usage(/*after_turn=*/true);
  }
}

bool App::wait_for_turn(std::chrono::milliseconds limit) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    struct pollfd p = {wake_.read_fd(), POLLIN, 0};
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    ::poll(&p, 1, std::max(left, 1));
    wake_.drain();
    for (UiEvent& e : events_.take_all()) {
      if (std::holds_alternative<TurnDone>(e) || std::holds_alternative<PrefixPrefilled>(e)) return true;
    }
  }
  return false;
}

// ---- Keys and lines -----------------------------------------------------------------------

void App::handle_keys(const std::vector<Key>& keys) {
  const int page = std::max(1, LINES - 4);
  for (const Key& k : keys) {
    if (k.kind != KeyKind::kInterrupt) {
      last_key_was_idle_interrupt_ = false;
      if (!hint_.empty()) {
        hint_.clear();
        needs_redraw_ = true;
      }
    }
    const bool up_edits = up_edits_last(k);
    just_answered_ = false;
    switch (k.kind) {
      case KeyKind::kReadline:
        if (up_edits) {
          edit_last();
        } else {
          input_.feed(k.text);
        }
        break;
      case KeyKind::kEditor:
        open_editor(input_.text());
        break;
      case KeyKind::kPaste:
        input_.insert(k.text);
        break;
      case KeyKind::kNewline:
        input_.insert("\n");
        break;
      case KeyKind::kInterrupt:
        handle_interrupt();
        break;
      case KeyKind::kToggleReasoning:
        transcript_.set_show_reasoning(!transcript_.show_reasoning());
        break;
      case KeyKind::kRedraw:
        clearok(curscr, TRUE);
        break;
      case KeyKind::kSuspend:
        terminal_.suspend();  // a running turn goes on meanwhile
        break;
      case KeyKind::kPageUp:
        transcript_.scroll_up(page);
        break;
      case KeyKind::kPageDown:
        transcript_.scroll_down(page);
        break;
      case KeyKind::kWheelUp:
        transcript_.scroll_up(kWheelRows);
        break;
      case KeyKind::kWheelDown:
        transcript_.scroll_down(kWheelRows);
        break;
      case KeyKind::kHome:
        if (input_.empty()) {
          transcript_.scroll_to_top();
        } else {
          input_.move_to_start();
        }
        break;
      case KeyKind::kEnd:
        if (input_.empty()) {
          transcript_.scroll_to_bottom();
        } else {
          input_.move_to_end();
        }
        break;
      case KeyKind::kTop:
        transcript_.scroll_to_top();
        break;
      case KeyKind::kBottom:
        transcript_.scroll_to_bottom();
        break;
    }
    needs_redraw_ = true;
    // The edited last message was thrown away (by this key, even if it also typed anew): what is
    // sent next is a new message, not its replacement.
    if (input_.take_emptied()) replacing_last_ = false;
    std::vector<std::string> matches = input_.take_completion_listing();
    if (!matches.empty()) {
      std::string line;
      for (const std::string& m : matches) line += (line.empty() ? "" : "  ") + m;
      hint_ = line;
    }
    while (auto submitted = input_.take_line()) {
      if (submitted->eof) {
        quit_ = true;
        return;
      }
      handle_line(submitted->text);
      if (quit_) return;
    }
  }
}

void App::handle_interrupt() {
  needs_redraw_ = true;
  if (busy_) {
    cancel_ = true;
    turn_.set_activity("stopping");
    return;
  }
  if (last_key_was_idle_interrupt_) {
    quit_ = true;
    return;
  }
  input_.discard();
  hint_ = "Press Ctrl-C again to quit";
  last_key_was_idle_interrupt_ = true;
}

void App::handle_line(const std::string& line) {
  ParseResult parsed = parse_command(line);
  if (line.find_first_not_of(" \t\n") == std::string::npos) return;
  input_.remember(line);
  transcript_.scroll_to_bottom();
  if (!parsed.ok) {
    notice(parsed.hint);
    return;
  }
  try {
    run_command(parsed.command);
  } catch (const gptoss::Error& e) {
    notice(e.what(), BlockKind::kError);  // a command that failed is a line on screen, not an exit
  }
}

void App::run_command(const Command& c) {
  bool changes_session = c.kind == CommandKind::kMessage || c.kind == CommandKind::kNew ||
                         c.kind == CommandKind::kLoad || c.kind == CommandKind::kRetry ||
                         c.kind == CommandKind::kUndo || c.kind == CommandKind::kEffort ||
                         c.kind == CommandKind::kSystem || c.kind == CommandKind::kSave ||
                         c.kind == CommandKind::kSaveOver || c.kind == CommandKind::kSet;
  if (busy_ && changes_session) {
    if (c.kind == CommandKind::kMessage) input_.set_text(c.arg);
    hint_ = kStillAnswering;
    return;
  }
  if (prefilling_ && c.kind == CommandKind::kStats) {  // the worker is filling the cache it reports
    hint_ = "Reading the system prompt: /stats in a moment";
    return;
  }
  switch (c.kind) {
    case CommandKind::kMessage:
      if (std::optional<std::string> text = prepare_message(c.arg)) send_message(*text);
      break;
    case CommandKind::kEdit:
      open_editor(c.arg);
      break;
    case CommandKind::kEditLast:
      edit_last();
      break;
    case CommandKind::kFile:
      attach_file(c.arg);
      break;
    case CommandKind::kCopy:
      copy_to_clipboard(c.arg);
      break;
    case CommandKind::kHelp:
      show_help();
      break;
    case CommandKind::kNew:
      new_conversation();
      break;
    case CommandKind::kSave:
    case CommandKind::kSaveOver:
      try {
        save(c.arg, c.kind == CommandKind::kSaveOver);
      } catch (const gptoss::Error& e) {
        notice(e.what(), BlockKind::kError);
      }
      break;
    case CommandKind::kLoad:
      load(c.arg);
      break;
    case CommandKind::kSessions:
      manage_sessions(c.arg);
      break;
    case CommandKind::kExport:
    case CommandKind::kExportOver:
      export_markdown(c.arg, c.kind == CommandKind::kExportOver);
      break;
    case CommandKind::kEffort:
      set_effort(c.arg);
      break;
    case CommandKind::kSystem:
      set_system(c.arg);
      break;
    case CommandKind::kSet:
      set_setting(c.arg);
      break;
    case CommandKind::kRetry:
      retry();
      break;
    case CommandKind::kUndo:
      undo();
      break;
    case CommandKind::kThink:
      transcript_.set_show_reasoning(c.arg.empty() ? !transcript_.show_reasoning() : c.arg == "on");
      notice(transcript_.show_reasoning() ? "Reasoning is shown (/think or Ctrl-T hides it)."
                                          : "Reasoning is hidden (/think or Ctrl-T shows it).");
      break;
    case CommandKind::kStats:
      c.arg == "experts" ? show_expert_table() : show_stats();
      break;
    case CommandKind::kInspect:
      inspect(c.arg);
      break;
    case CommandKind::kQuit:
      quit_ = true;
      break;
    case CommandKind::kQuitNoSave:
      quit_ = true;
      leave_unsaved_ = true;
      break;
  }
}

// ---- Turns --------------------------------------------------------------------------------

void App::send_message(const std::string& text) {
  sent_ = SentMessage{text, transcript_.size(), session_->conversation().messages.size()};
  Block user;
  user.kind = BlockKind::kUser;
  user.text = text;
  transcript_.add(user);
  start_turn([text](chat::ChatSession& s, const chat::ChatEventSink& sink, const std::atomic<bool>& cancel) {
    s.run_turn(text, sink, cancel);
  });
}

void App::start_turn(TurnJob job) {
  turn_settings_ = session_->settings();
  turn_.begin(turn_label(), turn_settings_.max_new_tokens);
  if (prompt_rewritten_ && context_used_ > 0) begin_rereading();
  prompt_rewritten_ = false;
  transcript_.scroll_to_bottom();
  busy_ = true;
  dirty_ = true;
  cancel_ = false;
  if (prefilling_) {  // it computes the start of this turn's prompt: the turn follows it
    queued_turn_ = std::move(job);
    queued_activity_ = turn_.activity();  // shown again when the turn starts (e.g. the re-read count)
    turn_.set_activity("reading the system prompt");
    return;
  }
  launch_turn(std::move(job));
}

void App::launch_turn(TurnJob job) {
  chat::ChatSession* session = session_.get();
  worker_ = std::thread([this, session, job = std::move(job)] {
    const bool hold = config_.hold_reply_for_tests;
    auto sink = [this, hold](const chat::ChatEvent& e) {
      events_.push(UiEvent{e});
      if (hold && std::holds_alternative<chat::TextDelta>(e))
        while (!cancel_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    };
    try {
      job(*session, sink, cancel_);
    } catch (const chat::BackendUnusable& e) {  // e.g. the model file changed while in use
      events_.push(TurnFailed{e.what(), /*model_unusable=*/true});
    } catch (const gptoss::Error& e) {
      events_.push(TurnFailed{e.what()});
    } catch (const std::exception& e) {
      events_.push(TurnFailed{std::string("internal error: ") + e.what()});
    }
    events_.push(TurnDone{});
  });
}

// Pressing Enter then computes only the message: the system and developer messages (and a continued
// session's history) are in the cache already. Rendered here on the main thread, so commands may
// change the session meanwhile (the turn then recomputes what differs); the worker touches only
// the backend, which no turn uses until this ends.
void App::start_prefix_prefill() {
  const std::vector<int32_t> prefix = session_->next_prompt_prefix();
  const int context_tokens = session_->settings().context_tokens;
  prefilling_ = true;
  cancel_ = false;
  worker_ = std::thread([this, prefix, context_tokens] {
    try {
      config_.backend->prefill_ahead(prefix, context_tokens, cancel_);
    } catch (const gptoss::Error&) {
      // The first turn meets the same error and reports it.
    }
    events_.push(PrefixPrefilled{});
  });
}

void App::prefix_prefilled() {
  if (worker_.joinable()) worker_.join();
  prefilling_ = false;
  if (!queued_turn_) return;
  TurnJob job = std::move(*queued_turn_);
  queued_turn_.reset();
  if (queued_activity_ == kRereadingPrompt) prefill_done_.store(0);  // the count was the system prompt's
  turn_.set_activity(std::move(queued_activity_));
  launch_turn(std::move(job));  // a Ctrl-C meanwhile left cancel_ set: the turn ends at once, cancelled
}

std::string App::warmup_activity() const {
  const chat::WeightsWarmup w = config_.backend->weights_warmup();
  if (!w.running || w.bytes_total == 0) return "";
  return "reading the model " + format_bytes(w.bytes_done) + " of " + format_bytes(w.bytes_total);
}

// A turn that failed before taking the message (too long for the context, or the engine refused)
// left the conversation as it was: so is the screen, and the text goes back to the input line to
// be shortened. /undo then removes what the screen shows as last.
void App::take_back_refused_message() {
  if (!sent_) return;
  SentMessage sent = std::move(*sent_);
  sent_.reset();
  if (session_->conversation().messages.size() != sent.messages_before) return;  // it was taken
  transcript_.truncate(sent.transcript_size);
  if (input_.empty()) input_.set_text(sent.text);
}

void App::finish_turn() {
  sent_.reset();
  if (hint_ == kStillAnswering) hint_.clear();
  if (worker_.joinable()) worker_.join();
  turn_.end(Clock::now());
  busy_ = false;
  just_answered_ = true;
  refresh_context_usage(/*after_turn=*/true);
  memory_figures_ = memory_figures(config_.backend->stats());  // the worker has ended: safe to read
  std::vector<std::pair<std::string, BlockKind>> held;
  held.swap(deferred_notices_);
  for (const auto& [text, kind] : held) notice(text, kind);
  if (!held.empty() && hint_ == "shown below the answer when it ends") hint_.clear();
}

// ---- The screen ---------------------------------------------------------------------------

void App::notice(const std::string& text, BlockKind kind) {
  if (busy_) {
    // Never inside a reply that is streaming: below it, when it ends.
    deferred_notices_.push_back({text, kind});
    hint_ = "shown below the answer when it ends";
    needs_redraw_ = true;
    return;
  }
  Block b;
  b.kind = kind;
  b.text = text;
  transcript_.add(b);
  needs_redraw_ = true;
}

void App::rebuild_transcript() {
  transcript_.clear();
  if (config_.demo) {
    Block banner;
    banner.kind = BlockKind::kBanner;
    banner.text = demo_banner(config_.program);
    transcript_.add(banner);
  }
  const chat::SessionState& state = session_->state();
  const auto& msgs = state.conversation.messages;
  bool in_reply = false;
  std::vector<size_t> last_block_of_message(msgs.size(), SIZE_MAX);
  for (size_t i = 0; i < msgs.size(); ++i) {
    const chat::Message& m = msgs[i];
    Block b;
    if (m.role == "user") {
      b.kind = BlockKind::kUser;
      b.text = m.content;
      in_reply = false;
    } else if (m.role == "system" || m.role == "developer") {
      continue;
    } else {
      if (!in_reply) {
        Block label;
        label.kind = BlockKind::kTurnLabel;
        label.title = turn_label();
        transcript_.add(label);
        in_reply = true;
      }
      if (m.role == "tool") {
        b.kind = BlockKind::kToolResult;
        b.title = m.name.value_or("tool");
      } else if (m.recipient) {
        b.kind = BlockKind::kToolCall;
        b.title = *m.recipient;
      } else if (m.channel && *m.channel == "analysis") {
        b.kind = BlockKind::kReasoning;
        b.tokens = -1;  // not measured for a stored turn
      } else {
        b.kind = BlockKind::kAnswer;
        if (m.channel && *m.channel != "final") b.title = *m.channel;
      }
      b.text = m.content;
    }
    last_block_of_message[i] = transcript_.add(b);
  }
  // Mark the replies that were interrupted: the last block of each such turn.
  for (size_t t = 0; t < state.turns.size(); ++t) {
    if (!state.turns[t].stats.interrupted) continue;
    size_t end = t + 1 < state.turns.size() ? state.turns[t + 1].first_message : msgs.size();
    for (size_t i = end; i-- > state.turns[t].first_message && i < msgs.size();) {
      if (last_block_of_message[i] != SIZE_MAX && msgs[i].role != "user") {
        transcript_.edit(last_block_of_message[i]).interrupted = true;
        break;
      }
    }
  }
  needs_redraw_ = true;
}

void App::refresh_context_usage(bool after_turn) {
  context_size_ = static_cast<uint64_t>(session_->settings().context_tokens);
  if (after_turn) {
    context_used_ = config_.backend->cached_tokens();
  } else {
    try {
      // Before a turn: what the next prompt will take.
      context_used_ = session_->conversation().messages.empty() ? 0 : session_->next_prompt().size();
    } catch (const gptoss::Error&) {
      context_used_ = 0;
    }
  }
}

std::string App::turn_label() const {
  return config_.demo ? config_.model_name + " (random weights)" : config_.model_name;
}

StatusInfo App::status() const {
  StatusInfo s;
  s.model = config_.model_name;
  s.demo = config_.demo;
  // While a turn runs the worker owns the session (it replaces the state): not read from here.
  s.effort = std::string(chat::to_string((busy_ ? turn_settings_ : session_->settings()).effort));
  s.context_used = context_used_;
  s.context_size = context_size_;
  if (const auto& stats = turn_.last_stats()) {
    // A turn cancelled while reading the prompt has no decode speed, and one that reused the whole
    // prompt (a /retry) computed too little to time: no number rather than a misleading one.
    if (stats->tokens_prefilled > 0) s.prefill_tok_s = stats->prefill_tokens_per_second();
    if (stats->tokens_generated > 0) s.decode_tok_s = stats->decode_tokens_per_second();
  }
  s.memory_bytes = memory_bytes_;
  s.memory_mode = memory_mode_field(memory_figures_);
  s.expert_cache = expert_cache_field(memory_figures_);
  s.activity = hint_.empty() ? activity() : hint_;
  if (s.activity.empty()) s.activity = warmup_activity();
  s.session = session_name_;
  s.rows_below = transcript_.rows_below();
  return s;
}

void App::draw_row(int y, const ScreenLine& row) {
  move(y, 0);
  int used = 0;
  for (const WideSpan& span : row.spans) {
    int w = text_width(span.text);
    if (used + w > COLS) break;
    attrset(terminal_.attributes(span.style));
    addnwstr(span.text.c_str(), static_cast<int>(span.text.size()));
    used += w;
  }
  if (row.fill != Role::kText && used < COLS) {
    attrset(terminal_.attributes(Style{row.fill}));
    std::wstring pad(static_cast<size_t>(COLS - used), L' ');
    addnwstr(pad.c_str(), static_cast<int>(pad.size()));
  }
  attrset(A_NORMAL);
}

void App::redraw() {
  const int H = LINES;
  const int W = COLS;
  erase();
  if (H < 3 || W < 10) {
    mvaddstr(0, 0, "(window too small)");
    refresh();
    return;
  }
  InputLayout in = layout_input(input_.display_prompt(), input_.text(), input_.point(), W);
  const int max_input_rows = std::max(1, std::min(8, H / 3));
  const int input_rows = std::min(static_cast<int>(in.rows.size()), max_input_rows);
  const int status_y = H - 1;
  const int input_y = status_y - input_rows;
  const int separator_y = input_y - 1;
  const int transcript_rows = std::max(0, separator_y);

  transcript_.layout(W, transcript_rows);
  int y = 0;
  for (const ScreenLine* row : transcript_.visible()) draw_row(y++, *row);

  int first = std::max(0, in.cursor_row - input_rows + 1);
  if (separator_y >= 0) {
    attrset(A_DIM);
    mvhline_set(separator_y, 0, WACS_HLINE, W);
    // A draft taller than the box says what it hides, at the right of the separator.
    const int below = static_cast<int>(in.rows.size()) - first - input_rows;
    if (std::string note = hidden_rows_note(first, below);
        !note.empty() && static_cast<int>(note.size()) + 4 < W) {
      mvaddstr(separator_y, W - static_cast<int>(note.size()) - 2, (" " + note + " ").c_str());
    }
    attrset(A_NORMAL);
  }
  for (int k = 0; k < input_rows && first + k < static_cast<int>(in.rows.size()); ++k) {
    const std::wstring& row = in.rows[static_cast<size_t>(first + k)];
    mvaddnwstr(input_y + k, 0, row.c_str(), static_cast<int>(row.size()));
  }
  std::wstring bar = utf8_to_wide(format_status(status(), W));
  attrset(terminal_.status_attributes());
  mvaddnwstr(status_y, 0, bar.c_str(), static_cast<int>(bar.size()));
  attrset(A_NORMAL);
  move(input_y + in.cursor_row - first, std::min(in.cursor_col, W - 1));
  refresh();
}

}  // namespace gptoss::ui
