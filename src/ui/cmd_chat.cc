// `gpt-oss-chat [chat] [--model DIR | --demo] ...`: finds and loads the model (with a progress
// bar), then runs the full-screen chat, or the plain line-by-line chat when stdin or stdout is not
// a terminal.
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>
#include <variant>

#include "chat/chat_session.h"
#include "chat/local_backend.h"
#include "chat/session_store.h"
#include "common/input_limits.h"
#include "tokenizer/tokenizer.h"
#include "ui/app.h"
#include "ui/cli.h"
#include "ui/precision_option.h"
#include "ui/commands.h"
#include "ui/config_file.h"
#include "ui/event_queue.h"
#include "ui/model_discovery.h"
#include "ui/model_source.h"
#include "ui/plain_chat.h"
#include "ui/ram_option.h"
#include "ui/relaunch.h"
#include "ui/session_names.h"
#include "ui/settings_flags.h"
#include "ui/startup.h"
#include "ui/subcommands.h"
#include "ui/terminal.h"
#include "ui/transcript.h"

namespace gptoss::ui {
namespace {

constexpr const char* kUsage =
    "usage: gpt-oss-chat [chat] [--model DIR | --demo | --remote URL] [OPTIONS] [PROMPT...]\n"
    "\n"
    "The terminal chat. Without --model, the model is looked for in $GPT_OSS_MODEL, the Hugging Face\n"
    "cache (openai/gpt-oss-20b, then -120b), then ./gpt-oss-20b. To download it (13 GB) on Debian 12:\n"
    "  sudo apt install pipx && pipx install huggingface_hub && pipx ensurepath   (then a new terminal)\n"
    "  hf download openai/gpt-oss-20b --local-dir gpt-oss-20b\n"
    "\n"
    "  --model DIR         the checkpoint folder (HF download or its original/ folder)\n"
    "  --remote URL        chat with a model on an OpenAI-compatible server (vLLM, ollama, 'gpt-oss-chat\n"
    "                      serve'...), e.g. http://gpu-box:8000/v1\n"
    "  --api-key KEY       the server's API key (default: $OPENAI_API_KEY)\n"
    "  --remote-model NAME the server's model (default: the first it lists)\n"
    "  --demo              a tiny model of RANDOM weights (gibberish), generated on first use\n"
    "  --effort LEVEL      reasoning effort: low, medium (default) or high\n"
    "  --system TEXT       instructions for the model\n"
    "  --session NAME      continue the saved session NAME (or start it), saved under that name;\n"
    "                      with a '/' or ending in .json, a session file path instead\n"
    "  --no-kv             neither save a session's KV cache beside it (NAME.kv) nor restore it\n"
    "  --threads N         compute threads (default: one per physical core)\n"
    "  --context N         context window in tokens (default 8192, at least 256, at most the model's)\n"
    "  --ram SIZE          memory budget, e.g. 6G (default: GPT_OSS_RAM, else detected); when the model\n"
    "                      does not fit, its experts stream from disk\n"
    "  --precision P       fast (default: as close to the f64 reference as a bf16 one is, and quicker)\n"
    "                      or exact (f32 activations and KV cache)\n"
    "  --max-tokens N      reply budget per answer (default 2048; 80 with --demo)\n"
    "  --temperature T     sampling temperature (default 1.0; 0 is greedy)\n"
    "  --top-p P           nucleus sampling mass in (0, 1] (default 1.0)\n"
    "  --top-k K           keep only the K most likely tokens (default 0 = off)\n"
    "  --seed N            sampling seed (default: random)\n"
    "  --plain             line-by-line chat on stdin/stdout (also when stdin is a pipe)\n"
    "  --no-scrollback     on quit, do not print the conversation to the terminal (by default it\n"
    "                      stays in the scrollback as Markdown text)\n"
    "\n"
    "With a PROMPT, or with stdin piped in, the program answers once and exits: `gpt-oss-chat \"why?\"`,\n"
    "`cat notes.txt | gpt-oss-chat \"summarize\"` (the piped text follows the prompt). TERM=dumb gets "
    "--plain.\n"
    "\n"
    "In the chat, /help lists the commands. Sessions are saved in $XDG_DATA_HOME/gpt-oss-chat/sessions,\n"
    "the input history in $XDG_STATE_HOME/gpt-oss-chat/history. NO_COLOR turns colours off.\n"
    "\n"
    "Other subcommands: generate, tokenize, detokenize, harmony, render, logits, make-test-model,\n"
    "bench ('gpt-oss-chat SUBCOMMAND --help').\n";

constexpr int kDemoReplyTokens = 80;
constexpr int kDefaultReplyTokens = 2048;
constexpr int kMinContext = 256;  // the harmony headers alone take ~100 tokens

struct Loaded {
  std::shared_ptr<chat::Backend> backend;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer;
};

struct Progress {
  std::string stage;
  double fraction = 0;
};
struct LoadDone {};
struct LoadFailed {
  std::exception_ptr error;
};
using LoadEvent = std::variant<Progress, LoadDone, LoadFailed>;

// Writes the demo checkpoint if it is not there yet, loads the tokenizer and the model (a broken
// demo folder is rebuilt). Runs on the loading thread; `report` may be called from any thread.
Loaded load_everything(const std::string& dir, chat::LocalModelOptions options,
                       const std::function<void(const std::string&, double)>& report) {
  if (options.demo) ensure_demo_model(dir, report);
  report("tokenizer", 0);
  Loaded out;
  out.tokenizer = tokenizer::Tokenizer::load_default();
  report("tokenizer", 1);
  out.backend = std::make_shared<chat::LocalBackend>(open_model_or_demo(dir, options, report));
  return out;
}

// Loads on a worker thread while the main thread draws the progress. Ctrl-C leaves at once
// (Model::open cannot be interrupted): the terminal is restored and the process exits 130.
Loaded load_with_progress(std::unique_ptr<Terminal>& terminal, const WakePipe& wake, const std::string& dir,
                          const chat::LocalModelOptions& options) {
  const bool demo = options.demo;
  EventQueue<LoadEvent> events(wake);
  Loaded result;  // written by the loader before it posts LoadDone; read after join()
  std::thread loader([&events, &result, dir, options] {
    try {
      result = load_everything(dir, options, [&](const std::string& s, double f) { events.push(Progress{s, f}); });
      events.push(LoadDone{});
    } catch (...) {
      events.push(LoadFailed{std::current_exception()});
    }
  });
  const std::string title = demo ? "gpt-oss-chat: starting the demo" : "gpt-oss-chat: loading the model";
  Progress shown{load_stages(demo).front(), 0};
  for (;;) {
    draw_loading(*terminal, title, dir, demo, shown.stage, shown.fraction);
    struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake.read_fd(), POLLIN, 0}};
    ::poll(fds, 2, 500);
    SignalFlags sig = terminal->take_signals();
    if (sig.resize) terminal->apply_resize();
    bool cancel = sig.interrupt || sig.quit;
    if (fds[0].revents & POLLIN) {
      char buf[256];
      ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      for (ssize_t i = 0; i < n; ++i) cancel = cancel || buf[i] == 0x03;
      if (n == 0) cancel = true;
    }
    if (cancel) {
      terminal.reset();  // restore the screen before leaving
      std::fprintf(stderr, "gpt-oss-chat: loading cancelled\n");
      std::_Exit(130);
    }
    if (fds[1].revents & POLLIN) {
      wake.drain();
      for (LoadEvent& e : events.take_all()) {
        if (auto* p = std::get_if<Progress>(&e)) {
          shown = *p;
        } else if (auto* f = std::get_if<LoadFailed>(&e)) {
          loader.join();
          std::rethrow_exception(f->error);
        } else {
          loader.join();
          return result;
        }
      }
    }
  }
}

// Settings from the flags; the context is capped by what the model supports.
chat::SessionSettings settings_from(const CliArgs& args, const chat::BackendInfo& model, bool demo) {
  chat::SessionSettings s;
  const int max_context = model.max_context > 0 ? model.max_context : 1 << 24;  // a server knows its own
  s.context_tokens = std::min(s.context_tokens, max_context);
  if (demo) s.max_new_tokens = kDemoReplyTokens;
  apply_settings_flags(args, s);  // cmd_chat checked the flags before anything slow
  if (s.context_tokens > max_context) {
    throw UsageError("--context " + std::to_string(s.context_tokens) + " is more than this model's " +
                     std::to_string(max_context) + " tokens");
  }
  return s;
}

// The settings given as flags (`from_flags` holds their values) replace the saved ones.
bool colors_wanted(const UserConfig& config) {
  const char* no_color = std::getenv("NO_COLOR");  // https://no-color.org: present and not empty
  return !(no_color && *no_color) && config.colors.value_or(true);
}

}  // namespace

int cmd_chat(int argc, char** argv) {
  CliArgs args = parse_cli(argc, argv,
                           with_settings_flags({{"--model", true},
                                                {"--demo", false},
                                                {"--session", true},
                                                {"--plain", false},
                                                {"--ram", true},
                                                {"--precision", true},
                                                 {"--no-kv", false},
                                                 {"--no-scrollback", false}}));
  if (args.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  // The config file gives defaults; a saved session's settings outrank them, the flags outrank both.
  const UserConfig user_config = load_user_config(user_config_path(process_env()), process_env());
  const CliArgs command_line = args;
  apply_user_config(args, user_config);
  if (args.has("--plain") && !args.positionals.empty()) {
    throw UsageError("--plain reads the messages from stdin; a prompt argument ('" +
                     args.positionals.front() + "') answers once: give one or the other");
  }
  check_remote_flags(args);
  const std::string session_name = args.get_or("--session", "");
  if (args.has("--session")) session_option_file("--session", session_name);  // checked before anything slow
  const int threads = threads_flag(args);
  const std::string precision = precision_from(args, "fast");
  {
    // Every settings flag is checked before anything slow happens, against this run's default
    // reply budget (--demo's is smaller).
    if (args.has("--context")) {
      const int64_t context = args.get_int("--context", 0, 1, 1 << 24);
      if (context < kMinContext)
        throw UsageError("--context " + std::to_string(context) + " is too small (expected at least " +
                         std::to_string(kMinContext) + ": the harmony headers alone take about 100 tokens)");
    }
    chat::SessionSettings check;
    check.max_new_tokens = args.has("--demo") ? kDemoReplyTokens : kDefaultReplyTokens;
    apply_settings_flags(args, check);
  }

  ensure_utf8_locale();
  // A prompt argument, or a pipe into stdin, is one question answered once (lines starting with
  // '/' are text); --plain keeps the line-by-line chat on a pipe.
  std::string prompt;
  for (const std::string& word : args.positionals) prompt += (prompt.empty() ? "" : " ") + word;
  const bool piped = !::isatty(STDIN_FILENO);
  const bool one_shot = !prompt.empty() || (piped && !args.has("--plain"));
  std::string message;
  if (one_shot) {
    message = one_shot_message(prompt, piped ? read_capped(stdin, kMaxTextInputBytes, "stdin") : "");
    if (message.find_first_not_of(" \t\r\n") == std::string::npos) {
      throw UsageError(
          "nothing to answer: stdin was empty and no prompt was given (e.g. gpt-oss-chat \"why?\")");
    }
  }
  bool tty = !one_shot && !args.has("--plain") && !piped && ::isatty(STDOUT_FILENO);
  if (tty) {
    if (std::optional<std::string> why = full_screen_unsupported()) {
      std::fprintf(stderr,
                   "gpt-oss-chat: %s, so the full-screen chat cannot run; this is the line-by-line chat "
                   "(--plain). Type a message and press Enter; Ctrl-D quits.\n",
                   why->c_str());
      tty = false;
    }
  }
  const EnvLookup env = process_env();
  bool demo = args.has("--demo");

  // A saved session to continue: read it before the screen changes, so errors are plain lines.
  std::optional<chat::SessionFile> session_file;
  if (!session_name.empty()) {
    std::string path = chat::resolve_session(session_name);
    if (std::filesystem::exists(path)) session_file = chat::load_session(path);
  }

  WakePipe wake;
  std::unique_ptr<Terminal> terminal;
  std::string model_dir;
  bool model_flag = args.has("--model");  // the relaunch command must name the model
  Loaded loaded;
  if (args.has("--remote")) {
    // A server: nothing to load here but the tokenizer; errors are plain lines before the screen.
    loaded.tokenizer = tokenizer::Tokenizer::load_default();
    loaded.backend = open_remote_from_flags(args, env, loaded.tokenizer);
  } else {
    const ModelChoice choice = choose_model(args, env, std::filesystem::current_path().string());
    model_dir = choice.dir;
    model_flag = choice.named;
    if (model_dir.empty()) {
      std::vector<std::string> help =
          no_model_help(choice.discovered, demo_model_dir(env), program_command(env, self_executable()));
      if (!tty) {
        for (const std::string& p : help) std::fprintf(stderr, "%s\n\n", p.c_str());
        return 1;
      }
      terminal = std::make_unique<Terminal>(wake, colors_wanted(user_config));
      if (!ask_no_model(*terminal, help)) {
        terminal.reset();
        for (const std::string& p : help) std::printf("%s\n\n", p.c_str());
        return 1;
      }
      demo = true;
    }
  }
  if (demo) model_dir = demo_model_dir(env);

  // The budget leaves room for a KV cache of the context the chat will run in.
  const int context = static_cast<int>(
      (session_file ? command_line : args)
          .get_int("--context", session_file ? session_file->state.settings.context_tokens : 8192, 16,
                   1 << 24));
  const chat::LocalModelOptions load{.threads = threads,
                                     .demo = demo,
                                     .ram_budget_bytes = loaded.backend ? 0 : ram_budget_from(args).bytes,
                                     .context_tokens = context,
                                     .precision = precision};
  if (tty && !terminal) terminal = std::make_unique<Terminal>(wake, colors_wanted(user_config));
  if (loaded.backend) {
    // A remote model: connected above.
  } else if (tty) {
    loaded = load_with_progress(terminal, wake, model_dir, load);
  } else {
    loaded = load_everything(model_dir, load, [](const std::string&, double) {});
  }

  AppConfig config;
  const chat::BackendInfo& info = loaded.backend->info();
  config.backend = loaded.backend;
  config.tokenizer = loaded.tokenizer;
  config.model_name = info.model_name;
  config.model_path = info.location;
  config.model_fingerprint = info.fingerprint;
  config.demo = demo;
  config.program = program_command(env, self_executable());
  config.relaunch = relaunch_command(config.program, demo, model_flag, model_dir);
  config.history_path = (std::filesystem::path(state_dir(env)) / "history").string();
  config.session_name = session_name;
  config.session_file = session_file;
  config.kv_cache = !args.has("--no-kv");
  config.settings = settings_from(args, info, demo);
  config.scrollback_on_exit = !args.has("--no-scrollback") && user_config.scrollback.value_or(true);
  config.hold_reply_for_tests = env("GPT_OSS_CHAT_TEST_HOLD_REPLY").value_or("") == "1";
  config.slow_prefill_ms_for_tests =
      std::atoi(env("GPT_OSS_CHAT_TEST_SLOW_PREFILL_MS").value_or("0").c_str());
  if (config.session_file) {
    // What the command line says wins over what the session saved (as in `generate`).
    chat::SessionSettings& saved = config.session_file->state.settings;
    apply_settings_flags(command_line, saved);
    if (demo && !args.has("--max-tokens") && saved.max_new_tokens > kDemoReplyTokens) {
      config.uncapped_reply_budget = saved.max_new_tokens;
      saved.max_new_tokens = kDemoReplyTokens;
    }
  } else if (demo && !args.has("--max-tokens")) {
    config.uncapped_reply_budget = kDefaultReplyTokens;
  }

  if (one_shot) return run_one_prompt(config, message, stdout, stderr);
  if (!tty) return run_plain_chat(config, stdin, stdout, stderr);

  AppResult result;
  {
    App app(*terminal, wake, std::move(config));
    result = app.run();
  }
  terminal.reset();
  // After the full screen is gone, so that the conversation stays in the terminal's scrollback.
  if (!result.scrollback.empty()) std::printf("%s\n", result.scrollback.c_str());
  if (!result.farewell.empty()) std::printf("%s\n", result.farewell.c_str());
  return result.exit_code;
}

}  // namespace gptoss::ui
