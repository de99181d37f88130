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
#include "ui/status_bar.h"
#include "ui/transcript.h"
#include "ui/turn_view.h"

namespace gptoss::engine {
class Model;
}
namespace gptoss::tokenizer {
class Tokenizer;
}

namespace gptoss::ui {

class Terminal;

struct AppConfig {
  std::shared_ptr<const engine::Model> model;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer;
  std::string model_name;         // "gpt-oss-20b", shown in the status bar and above answers
  std::string model_path;
  std::string model_fingerprint;  // stored in session files
  bool demo = false;              // random weights: say so everywhere
  std::string history_path;       // readline history
  std::string session_name;       // --session NAME: continue it (if saved) and save under it
  std::optional<chat::SessionFile> session_file;  // the loaded --session, if it existed
  chat::SessionSettings settings;  // for a new conversation
  // Test knob (GPT_OSS_CHAT_TEST_HOLD_REPLY=1): after a reply's first text the turn waits for
  // Ctrl-C, so an end-to-end test acts on a running reply however fast the engine is.
  bool hold_reply_for_tests = false;
};

// What the caller prints once the terminal is restored.
struct AppResult {
  int exit_code = 0;
  std::string farewell;  // e.g. "Conversation saved as chat-... (gpt-oss-chat --session ... continues it)"
};

// Events from the worker thread.
struct TurnFailed {
  std::string message;
  bool model_unusable = false;  // the model file changed while in use: the chat ends with exit 1
};
struct TurnDone {};
using UiEvent = std::variant<chat::ChatEvent, TurnFailed, TurnDone>;

class App {
 public:
  // Throws chat::ChatError if the settings do not suit the model.
  App(Terminal& terminal, const WakePipe& wake, AppConfig config);
  // Stops and joins a running turn.
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Runs until /quit, Ctrl-D, a second Ctrl-C at an idle prompt, SIGTERM/SIGHUP, or the terminal
  // going away. Autosaves an unsaved conversation first.
  AppResult run();

 private:
  // Input
  void handle_keys(const std::vector<Key>& keys);
  void handle_interrupt();
  void handle_line(const std::string& line);
  void run_command(const Command& c);
  void send_message(const std::string& text);
  // Commands
  void show_help();
  void show_stats();
  void show_sessions();
  void new_conversation();
  void save(const std::string& name);
  void load(const std::string& name);
  void retry();
  void undo();
  void set_effort(const std::string& arg);
  void set_system(const std::string& arg);
  std::optional<std::string> autosave();
  // The worker
  using TurnJob = std::function<void(chat::ChatSession&, const chat::ChatEventSink&, const std::atomic<bool>&)>;
  void start_turn(TurnJob job);
  void finish_turn();
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

  Transcript transcript_;
  InputLine input_;
  KeyDecoder keys_;
  EventQueue<UiEvent> events_;
  std::thread worker_;
  std::atomic<bool> cancel_{false};
  bool busy_ = false;
  bool quit_ = false;
  int quit_signal_ = 0;  // SIGTERM/SIGHUP that ended the chat
  std::string fatal_error_;  // why the chat ended on its own (exit 1), e.g. the model file changed
  bool last_key_was_idle_interrupt_ = false;
  std::string hint_;  // a transient line in the status bar

  TurnView turn_{transcript_};  // the running turn's blocks, activity and last stats
  uint64_t context_used_ = 0;
  uint64_t context_size_ = 0;
  uint64_t memory_bytes_ = 0;
  bool needs_redraw_ = true;
};

}  // namespace gptoss::ui
