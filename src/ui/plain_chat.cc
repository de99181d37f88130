#include "ui/plain_chat.h"

#include <signal.h>

#include <atomic>
#include <cstring>
#include <filesystem>

#include "chat/session_cache.h"
#include "ui/plain_inspect.h"
#include "ui/session_names.h"
#include "ui/settings_command.h"
#include "ui/transcript.h"

namespace gptoss::ui {
namespace {

// SIGINT stops the answer being written; the handler only sets this flag.
std::atomic<bool> g_cancel{false};
void on_interrupt(int) { g_cancel = true; }

// The commands run_plain_chat acts on (the others need the full screen).
bool plain_mode_has(std::string_view usage) {
  for (const char* c :
       {"/help", "/new", "/save", "/effort", "/system", "/set", "/quit", "/stats", "/inspect"}) {
    const std::string_view name(c);
    if (usage.starts_with(name) &&
        (usage.size() == name.size() || usage[name.size()] == ' ' || usage[name.size()] == '!'))
      return true;
  }
  return false;
}

bool read_line(std::FILE* in, std::string& line) {
  line.clear();
  int c;
  while ((c = std::fgetc(in)) != EOF) {
    if (c == '\n') return true;
    line += static_cast<char>(c);
  }
  return !line.empty();
}

// Writes the answer's text as it streams: every channel but the reasoning.
class AnswerPrinter {
 public:
  AnswerPrinter(std::FILE* out, std::FILE* err) : out_(out), err_(err) {}

  void operator()(const chat::ChatEvent& e) {
    if (auto* m = std::get_if<chat::MessageStarted>(&e)) {
      in_message_ = true;
      streamed_.clear();
      hidden_ = m->channel && *m->channel == "analysis";
      if (m->recipient) {
        std::fprintf(err_, "[tool call -> %s]\n", m->recipient->c_str());
        hidden_ = true;
      }
    } else if (auto* d = std::get_if<chat::TextDelta>(&e)) {
      streamed_ += d->text;
      bool analysis = d->channel && *d->channel == "analysis";
      if (!hidden_ && !analysis) write(strip_harmony_markup(d->text));
    } else if (auto* f = std::get_if<chat::MessageFinished>(&e)) {
      bool analysis = f->message.channel && *f->message.channel == "analysis";
      if (!analysis && f->message.content != streamed_ && !f->message.recipient) {
        write(strip_harmony_markup(f->message.content));  // not streamed: a malformed message
      }
      in_message_ = false;
      streamed_.clear();
    } else if (auto* t = std::get_if<chat::ToolAnswered>(&e)) {
      std::fprintf(err_, "[tool result from %s]\n", t->message.name.value_or("tool").c_str());
    } else if (auto* done = std::get_if<chat::TurnFinished>(&e)) {
      if (done->stats.interrupted) std::fprintf(err_, "[interrupted]\n");
    }
  }

  void end_turn() {
    if (wrote_ && !ends_with_newline_) std::fputc('\n', out_);
    std::fflush(out_);
    wrote_ = false;
  }

 private:
  void write(const std::string& text) {
    if (text.empty()) return;
    std::fwrite(text.data(), 1, text.size(), out_);
    std::fflush(out_);
    wrote_ = true;
    ends_with_newline_ = text.back() == '\n';
  }

  std::FILE* out_;
  std::FILE* err_;
  bool in_message_ = false;
  bool hidden_ = false;
  bool wrote_ = false;
  bool ends_with_newline_ = false;
  std::string streamed_;
};

chat::SessionState initial_state(const AppConfig& config) {
  if (config.session_file) return config.session_file->state;
  chat::SessionState state;
  state.settings = config.settings;
  return state;
}

// While alive, SIGINT sets g_cancel (stopping the answer) instead of ending the program.
class CancelOnInterrupt {
 public:
  CancelOnInterrupt() {
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_);
  }
  ~CancelOnInterrupt() { ::sigaction(SIGINT, &old_, nullptr); }
  CancelOnInterrupt(const CancelOnInterrupt&) = delete;
  CancelOnInterrupt& operator=(const CancelOnInterrupt&) = delete;

 private:
  struct sigaction old_;
};

// What a save writes: `meta` (created, title) with the session's state and model, and the reply
// budget `uncapped` in place of the demo's cap (AppConfig::uncapped_reply_budget) if it applies.
chat::SessionFile file_to_save(const AppConfig& config, chat::SessionFile meta,
                               const chat::ChatSession& session, int uncapped) {
  meta.model_path = config.model_path;
  meta.model_fingerprint = config.model_fingerprint;
  meta.state = session.state();
  if (uncapped && meta.state.settings.max_new_tokens == config.settings.max_new_tokens) {
    meta.state.settings.max_new_tokens = uncapped;
  }
  return meta;
}

// The KV cache beside a continued session's file (unless --no-kv); what did not work goes to err.
void restore_cache(const AppConfig& config, chat::ChatSession& session, std::FILE* err) {
  if (!config.kv_cache || !config.session_file || config.session_name.empty()) return;
  const chat::CacheRestore r = chat::restore_session_cache(session, chat::resolve_session(config.session_name));
  if (!r.notice.empty()) std::fprintf(err, "[%s]\n", r.notice.c_str());
}

void save_cache(const AppConfig& config, const chat::ChatSession& session, const std::string& path,
                std::FILE* err) {
  if (!config.kv_cache) return;
  const std::string note = chat::save_session_cache(session, path);
  if (!note.empty()) std::fprintf(err, "[%s]\n", note.c_str());
}

}  // namespace

int run_plain_chat(const AppConfig& config, std::FILE* in, std::FILE* out, std::FILE* err) {
  chat::ChatSession session(config.backend, config.tokenizer, initial_state(config));
  chat::SessionFile meta = config.session_file.value_or(chat::SessionFile{});
  meta.state = {};
  restore_cache(config, session, err);
  if (config.demo) std::fprintf(err, "[demo: a tiny model with random weights; replies are gibberish]\n");
  CancelOnInterrupt interrupt;

  int exit_code = 0;
  bool dirty = false;
  int uncapped = config.uncapped_reply_budget;
  std::string current_name = config.session_name;  // the file this conversation was saved to
  auto save = [&](const std::string& name, bool replace) {
    if (!replace) {
      if (std::optional<std::string> refusal = overwrite_refusal(name, current_name)) {
        std::fprintf(err, "%s\n", refusal->c_str());
        return;
      }
    }
    std::string path = chat::resolve_session(name);
    chat::SessionFile file = file_to_save(config, meta, session, uncapped);
    if (name != current_name) file.created.clear();  // a new file
    chat::save_session(path, file);
    meta.created = file.created;
    meta.title = file.title;
    current_name = name;
    dirty = false;
    std::fprintf(err, "[saved as '%s': %s]\n", name.c_str(), path.c_str());
    save_cache(config, session, path, err);
  };

  std::string line;
  while (read_line(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    ParseResult parsed = parse_command(line);
    if (!parsed.ok) {
      std::fprintf(err, "%s\n", parsed.hint.c_str());
      continue;
    }
    const Command& c = parsed.command;
    try {
      switch (c.kind) {
        case CommandKind::kMessage: {
          AnswerPrinter printer(out, err);
          g_cancel = false;
          session.run_turn(c.arg, [&](const chat::ChatEvent& e) { printer(e); }, g_cancel);
          printer.end_turn();
          dirty = true;
          break;
        }
        case CommandKind::kQuit:
          goto done;
        case CommandKind::kQuitNoSave:
          dirty = false;
          goto done;
        case CommandKind::kNew:
          session.new_conversation();
          dirty = false;
          break;
        case CommandKind::kEffort: {
          chat::SessionSettings s = session.settings();
          if (!c.arg.empty()) s.effort = *chat::parse_effort(c.arg);
          session.set_settings(s);
          std::fprintf(err, "[effort %s]\n", std::string(chat::to_string(s.effort)).c_str());
          break;
        }
        case CommandKind::kSystem: {
          chat::SessionSettings s = session.settings();
          if (c.arg.empty()) {
            std::fprintf(err, "[instructions: %s]\n",
                         s.instructions.empty() ? "none" : s.instructions.c_str());
            break;
          }
          s.instructions = c.arg == "--clear" ? "" : c.arg;
          session.set_settings(s);
          std::fprintf(err, "[instructions %s]\n", s.instructions.empty() ? "removed" : "set");
          break;
        }
        case CommandKind::kSet: {
          if (c.arg.empty()) {
            std::fprintf(err, "%s\n", describe_settings(session.settings()).c_str());
            break;
          }
          SetResult r = apply_set(session.settings(), c.arg);
          if (r.settings) {
            session.set_settings(*r.settings);
            if (c.arg.starts_with("max-tokens")) uncapped = 0;
          }
          std::fprintf(err, "[%s]\n", r.message.c_str());
          break;
        }
        case CommandKind::kSave:
        case CommandKind::kSaveOver:
          save(!c.arg.empty()          ? c.arg
               : !current_name.empty() ? current_name
                                       : automatic_session_name(),
               c.kind == CommandKind::kSaveOver);
          break;
        case CommandKind::kInspect:
          plain_inspect(session.backend(), *config.tokenizer, c.arg, out, err);
          break;
        case CommandKind::kStats:
          plain_stats(session, c.arg, out, err);
          break;
        case CommandKind::kHelp:
          for (const CommandHelp& h : command_help()) {
            if (plain_mode_has(h.usage)) std::fprintf(err, "%-26s %s\n", h.usage, h.summary);
          }
          break;
        default:
          std::fprintf(err, "%s is only available in the full-screen chat\n", line.c_str());
          break;
      }
    } catch (const gptoss::Error& e) {
      std::fprintf(err, "error: %s\n", e.what());
      exit_code = 1;
    }
  }
done:
  if (dirty && !config.session_name.empty()) {
    try {
      save(config.session_name, /*replace=*/true);
    } catch (const gptoss::Error& e) {
      std::fprintf(err, "error: %s\n", e.what());
      exit_code = 1;
    }
  }
  return exit_code;
}

std::string one_shot_message(const std::string& prompt_argument, const std::string& piped) {
  if (prompt_argument.empty()) return piped;
  if (piped.find_first_not_of(" \t\r\n") == std::string::npos) return prompt_argument;
  return prompt_argument + "\n\n" + piped;
}

int run_one_prompt(const AppConfig& config, const std::string& message, std::FILE* out, std::FILE* err) {
  chat::ChatSession session(config.backend, config.tokenizer, initial_state(config));
  if (config.demo) std::fprintf(err, "[demo: a tiny model with random weights; replies are gibberish]\n");
  CancelOnInterrupt interrupt;
  restore_cache(config, session, err);
  int exit_code = 0;
  try {
    AnswerPrinter printer(out, err);
    g_cancel = false;
    session.run_turn(
        message, [&](const chat::ChatEvent& e) { printer(e); }, g_cancel);
    printer.end_turn();
    if (!config.session_name.empty()) {
      chat::SessionFile file = file_to_save(config, config.session_file.value_or(chat::SessionFile{}),
                                            session, config.uncapped_reply_budget);
      chat::save_session(chat::resolve_session(config.session_name), file);
      save_cache(config, session, chat::resolve_session(config.session_name), err);
    }
  } catch (const gptoss::Error& e) {
    std::fprintf(err, "error: %s\n", e.what());
    exit_code = 1;
  }
  return exit_code;
}

}  // namespace gptoss::ui
