// What a second chat turn costs compared with the first: ChatSession reuses the KV cache for the
// common prefix, so turn 2 prefills only the first reply (as re-rendered) and the new question.
//
//   flock /tmp/gptoss-build.lock env GPTOSS_BENCH_MODEL=/work/models/20b build/bench/chat_turn_bench
//
// Without GPTOSS_BENCH_MODEL a tiny random model is written to a temp dir. Counters per turn:
// tokens reused / prefilled / generated and seconds of prefill and decode (random weights say
// gibberish, so each reply runs to the GPTOSS_BENCH_REPLY_TOKENS budget, default 16).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "chat/chat_session.h"
#include "chat/local_backend.h"
#include "engine/test_model.h"
#include "tokenizer/tokenizer.h"

namespace {

namespace fs = std::filesystem;
using namespace gptoss;

std::string model_dir() {
  if (const char* dir = std::getenv("GPTOSS_BENCH_MODEL"); dir && *dir) return dir;
  static const std::string tiny = [] {
    const fs::path dir = fs::temp_directory_path() / "gptoss-chat-turn-bench-tiny";
    engine::write_test_model(dir.string(), *engine::find_test_model_preset("tiny"));
    return dir.string();
  }();
  return tiny;
}

int reply_tokens() {
  const char* n = std::getenv("GPTOSS_BENCH_REPLY_TOKENS");
  return n && *n ? std::atoi(n) : 16;
}

void report(benchmark::State& state, const std::string& prefix, const chat::TurnStats& t) {
  state.counters[prefix + "reused"] = static_cast<double>(t.tokens_reused);
  state.counters[prefix + "prefilled"] = static_cast<double>(t.tokens_prefilled);
  state.counters[prefix + "generated"] = static_cast<double>(t.tokens_generated);
  state.counters[prefix + "prefill_s"] = t.prefill_seconds;
  state.counters[prefix + "decode_s"] = t.decode_seconds;
  state.counters[prefix + "decode_tok_s"] = t.decode_tokens_per_second();
}

void BM_TwoTurns(benchmark::State& state) {
  const chat::LocalModel model = chat::open_local_model(model_dir());
  const auto tokenizer = tokenizer::Tokenizer::load_default();
  for (auto _ : state) {
    chat::SessionState s;
    s.settings.context_tokens = 4096;
    s.settings.max_new_tokens = reply_tokens();
    s.settings.sampling.seed = 1;
    chat::ChatSession session(std::make_shared<chat::LocalBackend>(model), tokenizer, s);
    std::atomic<bool> cancel{false};
    auto ignore = [](const chat::ChatEvent&) {};
    const chat::TurnStats first = session.run_turn(
        "Explain in a few sentences why the sky is blue, and what changes at sunset.", ignore, cancel);
    const chat::TurnStats second = session.run_turn("And why are clouds white?", ignore, cancel);
    report(state, "t1_", first);
    report(state, "t2_", second);
    state.SetIterationTime(first.prefill_seconds + first.decode_seconds + second.prefill_seconds +
                           second.decode_seconds);
  }
}
BENCHMARK(BM_TwoTurns)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
