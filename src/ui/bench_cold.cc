// The cold start as the user meets it: the chat's own load (tokenizer and model, as `chat` and
// `generate` do it) until it could take input, then one turn of a short prompt ("hi", rendered
// with the default system and developer messages, as `generate --prompt hi`) until its first
// token. One run: after it the page cache is warm. Dropping the page cache is the caller's job (it
// needs root): `sync; echo 3 > /proc/sys/vm/drop_caches` right before.
#include "ui/bench_cold.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "chat/chat_session.h"
#include "chat/local_backend.h"
#include "engine/engine.h"
#include "tokenizer/tokenizer.h"
#include "ui/ram_option.h"

namespace gptoss::ui {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

uint64_t storage_read_bytes() {
  std::ifstream io("/proc/self/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value)
    if (key == "read_bytes:") return value;
  return 0;
}

int bench_cold(const CliArgs& args) {
  const std::string dir = args.require("--model");
  const int threads = static_cast<int>(args.get_int("--threads", 0, 0, 1024));
  const bool json = args.has("--json");
  const chat::RamBudgetChoice budget = ram_budget_from(args);
  const std::string prompt = "hi";

  const uint64_t read_before = storage_read_bytes();
  const auto start = Clock::now();
  const auto tokenizer = tokenizer::Tokenizer::load_default();
  chat::SessionState state;
  state.settings.max_new_tokens = 1;
  state.settings.sampling.temperature = 0;
  auto backend = std::make_shared<chat::LocalBackend>(
      chat::open_local_model(dir, {.threads = threads,
                                   .ram_budget_bytes = budget.bytes,
                                   .context_tokens = state.settings.context_tokens}));
  chat::ChatSession session(backend, tokenizer, std::move(state));
  const auto ready = Clock::now();  // the chat would draw its input line now
  const engine::WarmupProgress warm_at_ready = backend->model()->warmup_progress();

  std::atomic<bool> cancel{false};
  const chat::TurnStats stats = session.run_turn(
      prompt, [](const chat::ChatEvent&) {}, cancel);
  const auto first_token = Clock::now();
  const engine::WarmupProgress warm_at_token = backend->model()->warmup_progress();
  const uint64_t storage_read = storage_read_bytes() - read_before;
  const engine::ModelInfo& info = backend->model()->info();
  const double to_ready = seconds_between(start, ready), to_token = seconds_between(start, first_token);

  if (json) {
    const nlohmann::json out = {
        {"model", info.dir},
        {"threads", backend->model()->threads()},
        {"mode", info.streaming ? "streaming" : "mapped"},
        {"prompt", prompt},
        {"prompt_tokens", stats.tokens_prefilled},
        {"time_to_ready_seconds", to_ready},
        {"time_to_first_token_seconds", to_token},
        {"prefill_seconds", stats.prefill_seconds},
        {"warmup_bytes_total", warm_at_token.bytes_total},
        {"warmup_bytes_at_ready", warm_at_ready.bytes_done},
        {"warmup_bytes_at_first_token", warm_at_token.bytes_done},
        {"storage_read_bytes", storage_read},
        {"checkpoint_bytes", info.file_bytes},
    };
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("model            %s (%s, %d threads)\n", info.dir.c_str(),
                info.streaming ? "streaming" : "mapped", backend->model()->threads());
    std::printf("time to ready    %.2f s (tokenizer and model open: the chat takes input)\n", to_ready);
    std::printf("first token      %.2f s after start (prompt '%s': %llu tokens prefilled in %.2f s)\n",
                to_token, prompt.c_str(), static_cast<unsigned long long>(stats.tokens_prefilled),
                stats.prefill_seconds);
    std::printf("background read  %.2f of %.2f GB by the first token\n", warm_at_token.bytes_done / 1e9,
                warm_at_token.bytes_total / 1e9);
    std::printf("from storage     %.2f GB of %.2f GB (0 means the page cache was warm: drop it first)\n",
                storage_read / 1e9, info.file_bytes / 1e9);
  }
  return 0;
}

}  // namespace gptoss::ui
