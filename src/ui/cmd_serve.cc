// `gpt-oss-chat serve --model DIR`: the OpenAI-compatible HTTP server (chat/openai_server.h).
#include <signal.h>

#include <cstdio>
#include <thread>

#include "chat/local_backend.h"
#include "chat/openai_server.h"
#include "tokenizer/tokenizer.h"
#include "ui/cli.h"
#include "ui/precision_option.h"
#include "ui/settings_flags.h"
#include "ui/subcommands.h"

namespace gptoss::ui {
namespace {

constexpr const char* kUsage =
    "usage: gpt-oss-chat serve --model DIR [--host 127.0.0.1] [--port 8080] [--api-key KEY] [options]\n"
    "\n"
    "Serves the model over the OpenAI chat-completions API: POST /v1/chat/completions (streamed or\n"
    "not), GET /v1/models, GET /health. One request generates at a time; the others wait.\n"
    "\n"
    "  --model DIR        the checkpoint folder (HF layout or original/)\n"
    "  --host ADDR        the address to listen on (default 127.0.0.1: this machine only)\n"
    "  --port N           the port (default 8080; 0 picks a free one)\n"
    "  --api-key KEY      require \"Authorization: Bearer KEY\" on every request\n"
    "  --context N        the context window in tokens, shared by all requests (default 8192)\n"
    "  --max-queue N      requests that may wait behind the running one (default 8); more get 429\n"
    "  --queue-timeout S  seconds a request may wait for its turn before a 503 (default 600)\n"
    "  --threads N        compute threads (default: one per physical core)\n"
    "  --precision P      fast (default: as close to the f64 reference as a bf16 one is, and quicker)\n"
    "                     or exact (f32 activations and KV cache)\n"
    "\n"
    "Limits: a body of at most 4 MiB, 1024 messages, 128 tools, 4 stop sequences, max_tokens up to\n"
    "32768 and below the context (default: 2048 or what the context has left).\n"
    "Prints 'listening on http://HOST:PORT' once it accepts requests. Ctrl-C or SIGTERM stops it.\n";

}  // namespace

int cmd_serve(int argc, char** argv) {
  const CliArgs args = parse_cli(argc, argv,
                                 {{"--model", true},
                                  {"--host", true},
                                  {"--port", true},
                                  {"--api-key", true},
                                  {"--context", true},
                                  {"--max-queue", true},
                                  {"--queue-timeout", true},
                                  {"--threads", true},
                                  {"--precision", true}});
  if (args.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positionals.empty()) throw UsageError("unexpected argument '" + args.positionals.front() + "'");
  const std::string model_dir = args.require("--model");
  chat::ServerOptions options;
  options.host = args.get_or("--host", options.host);
  options.port = static_cast<int>(args.get_int("--port", options.port, 0, 65535));
  options.api_key = args.get_or("--api-key", "");
  if (args.has("--api-key") && options.api_key.empty()) throw UsageError("--api-key needs a non-empty key");
  options.context_tokens = static_cast<int>(args.get_int("--context", options.context_tokens, 16, 1 << 24));
  options.max_waiting = static_cast<size_t>(args.get_int("--max-queue", 8, 0, 1024));
  options.queue_timeout_seconds = args.get_double("--queue-timeout", 600, 0, 86400, /*lo_exclusive=*/true);
  const int threads = threads_flag(args);
  const std::string precision = precision_from(args, "fast");

  const auto tokenizer = tokenizer::Tokenizer::load_default();
  auto backend =
      std::make_shared<chat::LocalBackend>(chat::open_local_model(model_dir, {.threads = threads, .precision = precision}));
  const int max_context = backend->info().max_context;
  if (max_context > 0 && options.context_tokens > max_context) {
    throw UsageError("--context " + std::to_string(options.context_tokens) + " is more than this model's " +
                     std::to_string(max_context) + " tokens");
  }

  // Signals are taken by this thread with sigwait, so the server threads never see them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that goes away is a failed write, not a signal

  chat::OpenAiServer server(backend, tokenizer, options);
  const int port = server.bind();
  std::printf("gpt-oss-chat serve: %s (%s) listening on http://%s:%d\n", backend->info().model_name.c_str(),
              backend->info().location.c_str(), options.host.c_str(), port);
  std::fflush(stdout);
  std::thread listener([&] { server.run(); });
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server.stop();
  listener.join();
  std::fprintf(stderr, "gpt-oss-chat serve: stopped (%llu requests answered, %llu cancelled)\n",
               static_cast<unsigned long long>(server.completed()),
               static_cast<unsigned long long>(server.cancelled()));
  return 0;
}

}  // namespace gptoss::ui
