// `gpt-oss-chat generate`: one answer on stdout, streamed as it is produced; optionally continues
// and saves a session file.
#include <signal.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <variant>

#include "chat/chat_session.h"
#include "chat/local_backend.h"
#include "chat/session_cache.h"
#include "chat/session_store.h"
#include "common/error.h"
#include "common/input_limits.h"
#include "tokenizer/tokenizer.h"
#include "ui/cli.h"
#include "ui/config_file.h"
#include "ui/model_source.h"
#include "ui/precision_option.h"
#include "ui/ram_option.h"
#include "ui/relaunch.h"
#include "ui/session_names.h"
#include "ui/settings_flags.h"
#include "ui/startup.h"
#include "ui/subcommands.h"

namespace gptoss::ui {
namespace {

constexpr const char* kUsage =
    "usage: gpt-oss-chat generate [--model DIR | --demo | --remote URL] --prompt TEXT [options]\n"
    "\n"
    "Answers one prompt: the final answer streams to stdout as it is produced. Without --model, the\n"
    "model is found as the chat finds it: $GPT_OSS_MODEL, the Hugging Face cache (openai/gpt-oss-20b,\n"
    "then -120b), then ./gpt-oss-20b.\n"
    "\n"
    "  --model DIR           the checkpoint folder (HF layout or original/)\n"
    "  --demo                a tiny model of RANDOM weights (gibberish), generated on first use\n"
    "  --remote URL          use an OpenAI-compatible server instead, e.g. http://host:8000/v1\n"
    "  --api-key KEY         its API key (default: $OPENAI_API_KEY)\n"
    "  --remote-model NAME   its model (default: the first it lists)\n"
    "  --prompt TEXT         the user's message; '-' reads it from stdin\n"
    "  --system TEXT         instructions (the developer message)\n"
    "  --effort LEVEL        reasoning effort: low, medium (default) or high\n"
    "  --temperature T       sampling temperature, 0 = greedy (default 1.0)\n"
    "  --top-p P             nucleus sampling mass in (0, 1] (default 1.0)\n"
    "  --top-k K             keep only the K most likely tokens (default 0 = off)\n"
    "  --seed N              random seed, for reproducible output\n"
    "  --max-tokens N        reply budget in tokens, reasoning included (default 2048)\n"
    "  --show-reasoning      write the reasoning (analysis channel) to stderr\n"
    "  --session NAME        continue the saved session NAME and save it afterwards; created if\n"
    "                        absent. With a '/' or ending in .json, a session file path instead.\n"
    "                        Its settings apply unless an option above overrides them.\n"
    "  --no-kv               neither restore the session's KV cache (the .kv beside it) nor\n"
    "                        save it; without it, a cache that does not match is not used (noted)\n"
    "  --threads N           compute threads (default: one per physical core)\n"
    "  --context N           context window in tokens (default 8192)\n"
    "  --ram SIZE            memory budget, e.g. 6G (default: GPT_OSS_RAM, else detected); when the\n"
    "                        model does not fit, its experts stream from disk\n"
    "  --precision P         fast (default: as close to the f64 reference as a bf16 one is, and\n"
    "                        quicker) or exact (f32 activations and KV cache)\n"
    "  --stats               write the turn's counters and speeds to stderr\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 when the answer is complete; 3 when the turn ended without a complete answer\n"
    "(reply budget, context or tool rounds exhausted); 130 when interrupted (Ctrl-C; the partial\n"
    "answer is kept in the session); 1 on errors; 2 on bad arguments.\n";

// Ctrl-C cancels the turn between tokens; the handler only sets this flag (style.md section 5).
std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) { g_interrupted.store(true); }

void write(std::FILE* out, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), out);
  std::fflush(out);
}

}  // namespace

int cmd_generate(int argc, char** argv) {
  CliArgs args = parse_cli(argc, argv,
                           with_settings_flags({{"--model", true},
                                                {"--demo", false},
                                                {"--prompt", true},
                                                {"--show-reasoning", false},
                                                {"--session", true},
                                                {"--ram", true},
                                                {"--precision", true},
                                                 {"--stats", false},
                                                 {"--no-kv", false}}));
  if (args.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positionals.empty()) throw UsageError("unexpected argument '" + args.positionals.front() + "'");
  // The config file gives defaults; a saved session's settings outrank them, the flags outrank both.
  const CliArgs command_line = args;
  apply_user_config(args, load_user_config(user_config_path(process_env()), process_env()));
  check_remote_flags(args);
  const EnvLookup env = process_env();
  ModelChoice model;
  if (!args.has("--remote")) {
    model = choose_model(args, env, std::filesystem::current_path().string());
    if (model.dir.empty()) {
      for (const std::string& p : no_model_help(model.discovered, demo_model_dir(env),
                                                program_command(env, self_executable()) + " generate"))
        std::fprintf(stderr, "%s\n\n", p.c_str());
      return 1;
    }
  }
  std::string prompt = args.require("--prompt");
  const int threads = threads_flag(args);
  const std::string precision = precision_from(args, "fast");

  // The session first: a broken or unwritable session file is reported before the model loads.
  std::optional<std::string> session_path;
  chat::SessionFile file;
  bool saved_session = false;
  if (auto name = args.get("--session")) {
    session_path = session_option_file("--session", *name);
    std::error_code ec;
    saved_session = std::filesystem::exists(*session_path, ec);
    if (saved_session) file = chat::load_session(*session_path);
    chat::check_session_writable(*session_path);  // refused now, not after the answer is generated
  }
  apply_settings_flags(saved_session ? command_line : args, file.state.settings);
  if (prompt == "-") prompt = read_capped(stdin, kMaxTextInputBytes, "stdin");

  const auto tokenizer = tokenizer::Tokenizer::load_default();
  std::shared_ptr<chat::Backend> backend = open_remote_from_flags(args, env, tokenizer);
  if (!backend) {
    const chat::RamBudgetChoice budget = ram_budget_from(args);
    backend = std::make_shared<chat::LocalBackend>(
        open_model_or_demo(model.dir,
                           {.threads = threads,
                            .demo = model.demo,
                            .ram_budget_bytes = budget.bytes,
                            .context_tokens = file.state.settings.context_tokens,
                             .precision = precision},
                           [](const std::string&, double) {}));
  }
  const chat::BackendInfo& info = backend->info();
  if (!file.model_fingerprint.empty() && file.model_fingerprint != info.fingerprint) {
    std::fprintf(stderr, "gpt-oss-chat generate: note: %s was written with another model (%s); continuing\n",
                 session_path->c_str(), file.model_path.c_str());
  }
  chat::ChatSession session(backend, tokenizer, file.state);
  const bool kv_cache = session_path && !args.has("--no-kv");
  if (kv_cache) {
    const chat::CacheRestore restored = chat::restore_session_cache(session, *session_path);
    if (!restored.notice.empty())
      std::fprintf(stderr, "gpt-oss-chat generate: note: %s\n", restored.notice.c_str());
  }

  const bool show_reasoning = args.has("--show-reasoning");
  bool answer_ends_in_newline = true;
  bool wrote_answer = false;
  auto sink = [&](const chat::ChatEvent& event) {
    if (const auto* delta = std::get_if<chat::TextDelta>(&event)) {
      // The final channel is the answer; a message without a channel (malformed header) too.
      if (!delta->channel || *delta->channel == "final") {
        write(stdout, delta->text);
        wrote_answer = true;
        answer_ends_in_newline = delta->text.back() == '\n';
      } else if (show_reasoning) {
        write(stderr, delta->text);
      }
    } else if (const auto* started = std::get_if<chat::MessageStarted>(&event)) {
      if (show_reasoning && started->channel && *started->channel != "final") {
        write(stderr, "[" + *started->channel + "] ");
      }
    } else if (const auto* finished = std::get_if<chat::MessageFinished>(&event)) {
      if (show_reasoning && finished->message.channel && *finished->message.channel != "final")
        write(stderr, "\n");
    } else if (const auto* call = std::get_if<chat::ToolCalled>(&event)) {
      write(stderr,
            "[tool call " + call->call.recipient + (call->available ? "" : ": not available") + "]\n");
    } else if (const auto* trimmed = std::get_if<chat::ContextTrimmed>(&event)) {
      write(stderr, "[context full: the oldest " + std::to_string(trimmed->dropped_turns) +
                        " turn(s) left the context window]\n");
    }
  };

  g_interrupted.store(false);
  struct sigaction action {};
  struct sigaction previous {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous);
  chat::TurnStats stats;
  try {
    stats = session.run_turn(prompt, sink, g_interrupted);
  } catch (...) {
    sigaction(SIGINT, &previous, nullptr);
    throw;
  }
  sigaction(SIGINT, &previous, nullptr);
  if (wrote_answer && !answer_ends_in_newline) write(stdout, "\n");

  if (args.has("--stats")) {
    std::fprintf(stderr,
                 "[%s] reused %llu, prefilled %llu tokens in %.3f s (%.1f tok/s); generated %llu tokens in "
                 "%.3f s (%.1f tok/s)\n",
                 std::string(chat::to_string(stats.end)).c_str(), (unsigned long long)stats.tokens_reused,
                 (unsigned long long)stats.tokens_prefilled, stats.prefill_seconds,
                 stats.prefill_tokens_per_second(), (unsigned long long)stats.tokens_generated,
                 stats.decode_seconds, stats.decode_tokens_per_second());
  }
  if (stats.end != chat::TurnEnd::kAnswered && stats.end != chat::TurnEnd::kCancelled) {
    std::fprintf(stderr, "gpt-oss-chat generate: the turn ended without a complete answer (%s)\n",
                 std::string(chat::to_string(stats.end)).c_str());
  }

  if (session_path) {
    file.state = session.state();
    file.model_path = info.location;
    file.model_fingerprint = info.fingerprint;
    chat::save_session(*session_path, file);
    if (kv_cache) {
      const std::string note = chat::save_session_cache(session, *session_path);
      if (!note.empty()) std::fprintf(stderr, "gpt-oss-chat generate: note: %s\n", note.c_str());
    }
  }
  if (stats.end == chat::TurnEnd::kAnswered) return 0;
  return stats.end == chat::TurnEnd::kCancelled ? 130 : 3;
}

}  // namespace gptoss::ui
