// The full-screen chat: the event loop of the main thread. It polls the terminal and the wake-up
// pipe of the worker thread that runs a turn, feeds keys to readline (input.h), turns the chat's
// events into transcript blocks, and redraws. All curses and readline calls happen here, on the
// main thread (style.md section 5).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include "chat/chat_session.h"
#include "chat/session_store.h"
#include "ui/commands.h"
#include "ui/event_queue.h"
#include "ui/input.h"
#include "ui/keys.h"
#include "ui/memory_figures.h"
#include "ui/status_bar.h"
#include "ui/transcript.h"
#include "ui/turn_view.h"

namespace gptoss::tokenizer {
class Tokenizer;
}

namespace gptoss::ui {

class Terminal;

struct AppConfig {
  std::shared_ptr<chat::Backend> backend;  // the local engine or a remote server
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer;
  std::string model_name;         // "gpt-oss-20b", shown in the status bar and above answers
  std::string model_path;
  std::string model_fingerprint;  // stored in session files
  bool demo = false;              // random weights: say so everywhere
  std::string history_path;       // readline history
  std::string program = "gpt-oss-chat";  // as the shell finds it (relaunch.h)
  std::string relaunch;           // the shell command that starts this chat again: "gpt-oss-chat --demo"
  std::string session_name;       // --session NAME: continue it (if saved) and save under it
  std::optional<chat::SessionFile> session_file;  // the loaded --session, if it existed
  bool kv_cache = true;            // save a session's KV cache beside it and restore it (--no-kv: off)
  chat::SessionSettings settings;  // for a new conversation
  // Test knob (GPT_OSS_CHAT_TEST_HOLD_REPLY=1): after a reply's first text the turn waits for
  // Ctrl-C, so an end-to-end test acts on a running reply however fast the engine is.
  bool hold_reply_for_tests = false;
  // Test knob (GPT_OSS_CHAT_TEST_SLOW_PREFILL_MS): each prefill chunk of the local backend then
  // takes at least this long, so an end-to-end test sees the progress of a long prompt.
  int slow_prefill_ms_for_tests = 0;
  // Demo mode caps the reply budget (a random model's replies are noise); the session file keeps
  // this budget instead of the cap, so the conversation is not capped forever. 0: no cap applied.
  int uncapped_reply_budget = 0;
  // On quit, leave the conversation as Markdown text in the terminal's scrollback (AppResult).
  bool scrollback_on_exit = true;
};

// What the caller prints once the terminal is restored.
struct AppResult {
  int exit_code = 0;
  std::string scrollback;  // the conversation as Markdown, printed before the farewell (or empty)
  std::string farewell;  // e.g. "Conversation saved as chat-... (gpt-oss-chat --session ... continues it)"
};

// Events from the worker thread.
struct TurnFailed {
  std::string message;
  bool model_unusable = false;  // the model file changed while in use: the chat ends with exit 1
};
struct TurnDone {};
struct PrefixPrefilled {};  // the pre-fill of the system and developer messages ended
using UiEvent = std::variant<chat::ChatEvent, TurnFailed, TurnDone, PrefixPrefilled>;

class App {
 public:
  // Throws chat::ChatError if the settings do not suit the model.
  App(Terminal& terminal, const WakePipe& wake, AppConfig config);
  // Stops and joins a running turn.
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Runs until /quit, Ctrl-D, a second Ctrl-C at an idle prompt, SIGTERM/SIGHUP, or the terminal
  // going away. Autosaves an unsaved conversation first; if that fails on a quit the user asked
  // for, the chat stays open and says so (/quit! leaves without saving).
  AppResult run();

 private:
  // The event loop; then stops a running turn.
  void run_until_quit();
  // run_until_quit, then the autosave (staying open when it fails and someone can choose).
  AppResult run_and_save();
  // Input
  void handle_keys(const std::vector<Key>& keys);
  void handle_interrupt();
  void handle_line(const std::string& line);
  void run_command(const Command& c);
  void send_message(const std::string& text);
  // Commands
  void show_help();
  void show_stats();
  void show_expert_table();              // app_inspect.cc: /stats experts
  void inspect(const std::string& arg);  // app_inspect.cc: /inspect [N]
  void show_sessions();
  void manage_sessions(const std::string& arg);                 // /sessions [delete|rename ...]
  void export_markdown(const std::string& file, bool replace);  // /export, /export!
  std::string scrollback_text() const;  // the conversation for the scrollback, reasoning as shown
  void new_conversation();
  // Saves under `name` (or the current or an automatic name); unless `replace`, refuses (false, with
  // a notice) to write over another conversation's file. Throws gptoss::Error if writing fails.
  bool save(const std::string& name, bool replace = false);
  void load(const std::string& name);
  // app_session_cache.cc: the KV cache beside the current session's file (unless --no-kv); each
  // says in a notice what it could not do.
  void restore_cache();
  void save_cache();
  void retry();
  void undo();
  void set_effort(const std::string& arg);
  void set_system(const std::string& arg);
  void set_setting(const std::string& arg);
  std::string recompute_note() const;
  // Drafts (app_drafts.cc): the editor, the last message again, attached files.
  void open_editor(const std::string& draft);
  void edit_last();
  bool up_edits_last(const Key& k) const;
  void attach_file(const std::string& arg);
  std::string count_for_context(const std::string& name, const std::string& block);
  // What to send for `typed`: with the attached files, replacing the last exchange after
  // /edit-last. nullopt when it must not go yet (a notice says why; the text is back in the input).
  std::optional<std::string> prepare_message(const std::string& typed);
  void copy_to_clipboard(const std::string& arg);  // app_clipboard.cc
  // A prompt read again after /effort, /system or /set context (app_progress.cc): the status bar
  // counts the tokens done, which the local backend reports after each prefill chunk.
  void watch_prefill();
  void unwatch_prefill();
  void begin_rereading();
  std::string activity() const;  // the turn's, with that count while it reads the prompt again
  std::optional<std::string> autosave();
  // The worker
  using TurnJob = std::function<void(chat::ChatSession&, const chat::ChatEventSink&, const std::atomic<bool>&)>;
  void start_turn(TurnJob job);
  void launch_turn(TurnJob job);  // start_turn's worker thread
  void finish_turn();
  // While the user types, the worker computes the prompt's start (system, developer, history).
  void start_prefix_prefill();
  void prefix_prefilled();  // then: the turn sent meanwhile, if any, starts
  std::string warmup_activity() const;  // "reading the model 3.1 GiB of 12.8 GiB" while it runs
  void take_back_refused_message();
  // Waits up to `limit` for the running turn to post TurnDone (other events are dropped).
  bool wait_for_turn(std::chrono::milliseconds limit);
  // The screen
  void rebuild_transcript();
  void notice(const std::string& text, BlockKind kind = BlockKind::kNotice);
  void redraw();
  void draw_row(int y, const ScreenLine& row);
  StatusInfo status() const;
  std::string turn_label() const;  // the name above each answer
  // Tokens in the KV cache after a turn; otherwise what the next prompt will take.
  void refresh_context_usage(bool after_turn = false);

  Terminal& terminal_;
  const WakePipe& wake_;
  AppConfig config_;
  std::unique_ptr<chat::ChatSession> session_;
  chat::SessionFile file_meta_;  // created/title of the saved file, kept across saves
  std::string session_name_;
  bool dirty_ = false;           // changed since the last save
  int uncapped_reply_budget_ = 0;  // see AppConfig::uncapped_reply_budget
  bool prompt_rewritten_ = false;  // /effort, /system, /set context: the next turn re-reads it all

  Transcript transcript_;
  InputLine input_;
  KeyDecoder keys_;
  EventQueue<UiEvent> events_;
  std::thread worker_;
  std::atomic<bool> cancel_{false};
  bool busy_ = false;
  chat::SessionSettings turn_settings_;  // the running turn's, for the screen (the worker owns session_)
  bool prefilling_ = false;             // the worker runs start_prefix_prefill's job
  std::optional<TurnJob> queued_turn_;  // sent while prefilling_: starts when it ends
  std::string queued_activity_;          // the queued turn's activity, shown when it starts
  struct SentMessage {
    std::string text;
    size_t transcript_size = 0;  // blocks before the message's
    size_t messages_before = 0;  // the conversation's length before the turn
  };
  std::optional<SentMessage> sent_;                                  // the message of the running turn
  std::vector<std::pair<std::string, BlockKind>> deferred_notices_;  // said while a reply streamed
  bool quit_ = false;
  bool leave_unsaved_ = false;  // /quit!: no autosave
  bool terminal_gone_ = false;  // stdin closed: nobody to ask
  int quit_signal_ = 0;  // SIGTERM/SIGHUP that ended the chat
  std::string fatal_error_;  // why the chat ended on its own (exit 1), e.g. the model file changed
  bool last_key_was_idle_interrupt_ = false;
  std::string hint_;  // a transient line in the status bar
  bool just_answered_ = false;   // no key since a turn ended: Up on an empty input edits the last message
  bool replacing_last_ = false;  // the input holds the last message again: sending it replaces that exchange
  struct Attached {
    std::string name;
    std::string block;  // fenced
  };
  std::vector<Attached> attached_;  // /file: sent with the next message
  std::string mentions_counted_;    // a message whose @PATH files were shown with their tokens: Enter sends

  TurnView turn_{transcript_};  // the running turn's blocks, activity and last stats
  std::atomic<size_t> prefill_done_{0};  // set on the worker thread
  uint64_t rereading_total_ = 0;         // tokens of the conversation being read again; 0: not
  uint64_t context_used_ = 0;
  uint64_t context_size_ = 0;
  uint64_t memory_bytes_ = 0;
  MemoryFigures memory_figures_;  // read from the backend between turns, never during one
  bool needs_redraw_ = true;
};

}  // namespace gptoss::ui
