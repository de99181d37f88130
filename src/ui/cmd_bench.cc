// gpt-oss-chat bench --model DIR [--prompt-tokens N] [--gen-tokens N] [--kv-fill N] [--threads N]
//                    [--runs N] [--json]
// gpt-oss-chat bench --cold --model DIR [--threads N] [--ram SIZE] [--json]: see bench_cold.h.
// gpt-oss-chat bench --model DIR --resume N [--threads N] [--runs N]
// End-to-end speed of the engine: load, batched prefill, one-token decode, memory and I/O, and
// decode's bytes per token beside the machine's measured memory read bandwidth.
// Each run loads the model afresh, prefills a fixed token sequence and decodes greedily; the
// figures are medians over the runs.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "chat/session_store.h"
#include "engine/engine.h"
#include "ui/bench_cold.h"
#include "ui/cli.h"
#include "ui/precision_option.h"
#include "ui/ram_option.h"
#include "ui/subcommands.h"

namespace gptoss::ui {
namespace {

constexpr const char* kUsage =
    "usage: gpt-oss-chat bench --model DIR [--prompt-tokens N] [--gen-tokens N] [--kv-fill N] [--threads N]\n"
    "                          [--runs N] [--ram SIZE] [--precision exact|fast] [--json]\n"
    "\n"
    "Measures load time, prefill and decode speed, memory and checkpoint I/O (medians of the runs).\n"
    "  --model DIR          checkpoint folder\n"
    "  --prompt-tokens N    tokens in the prefill (default 128)\n"
    "  --gen-tokens N       tokens decoded one at a time after it (default 32)\n"
    "  --kv-fill N          first fill the cache with N positions of synthetic keys and values, to\n"
    "                       measure decode at a long context without a long prefill (default 0)\n"
    "  --threads N          worker threads (default: one per physical core)\n"
    "  --runs N             repetitions; medians are reported (default 3)\n"
    "  --ram SIZE           memory budget, e.g. 6G (default: GPT_OSS_RAM, else detected); below the\n"
    "                       checkpoint's size the experts stream from disk\n"
    "  --precision P        fast (default: as close to the f64 reference as a bf16 one is) or exact\n"
    "  --json               one JSON object instead of a table\n"
    "  --resume N           instead: time to be ready to answer in a saved conversation of N tokens,\n"
    "                       from its KV cache file versus prefilled again\n"
    "  --cold               instead: one cold start, as after a boot: time to ready (model open until the\n"
    "                       chat takes input) and to the first token of the prompt 'hi'. It drops\n"
    "                       nothing itself: as root, drop the page cache right before, e.g.\n"
    "                       sync; echo 3 > /proc/sys/vm/drop_caches; gpt-oss-chat bench --cold --model DIR\n"
    "Environment: GPTOSS_KERNELS=avx512|avx2|baseline forces a kernel set; GPTOSS_CACHE_POLICY=lfu|lru\n"
    "chooses the expert cache's eviction when streaming (default lfu), to compare the two.\n";

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

uint64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

uint64_t current_rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

// Anonymous resident memory (the KV cache and scratch; not the file-backed weight pages, which
// the kernel can drop and re-read), from /proc/self/status.
uint64_t anon_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("RssAnon:", 0) == 0) return std::stoull(line.substr(8)) * 1024;  // "RssAnon: N kB"
  return 0;
}

// A fixed, ordinary-looking prompt: ids spread over the vocabulary (no specials needed here).
std::vector<int32_t> prompt_ids(int n, int vocab) {
  std::vector<int32_t> ids;
  uint64_t s = 12345;
  for (int i = 0; i < n; ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    ids.push_back(static_cast<int32_t>((s >> 33) % static_cast<uint64_t>(std::min(vocab, 199998))));
  }
  return ids;
}

int32_t argmax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

struct Run {
  double load_seconds, prefill_tok_s, decode_tok_s, rss_after_load, anon_rss_after_run, decode_expert_bytes;
  double hit_rate, disk_bytes_per_token, prefetch_rate, guess_accuracy;  // decode, streaming only
};

double ratio(uint64_t a, uint64_t b) { return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0; }

// Bytes of keys and values one decode step reads at `context` positions: every held position of a
// full layer, the last W of a sliding one; f32 keys and values (exact), bf16 (fast).
double kv_bytes_per_token(const engine::Config& cfg, double context, engine::Precision precision) {
  double positions = 0;
  for (int l = 0; l < cfg.n_layers; ++l)
    positions += cfg.layer_types[l] == engine::AttentionKind::kSliding && cfg.sliding_window > 0
                     ? std::min<double>(context, cfg.sliding_window)
                     : context;
  return positions * 2.0 * cfg.n_kv_heads * cfg.head_dim * (precision == engine::Precision::kFast ? 2 : 4);
}

std::string gib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f GiB", bytes / (1024.0 * 1024 * 1024));
  return buf;
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// --resume N: prefills N + 1 tokens (a conversation and the first token of a new message) into a
// fresh Context; saves the first N as a bf16 cache file (once, into `scratch_dir`); then, in turn
// with further prefills, reads the file, restores it and prefills the one new token.
void run_resume_bench(const std::string& model_dir, int tokens, int threads, int runs,
                      const std::string& scratch_dir) {
  engine::LoadOptions load;
  load.threads = threads;
  load.context_tokens = tokens + 16;
  auto model = engine::Model::open(model_dir, load);
  const std::vector<int32_t> ids = prompt_ids(tokens + 1, model->config().vocab);
  const std::string path = (std::filesystem::path(scratch_dir) / "resume-bench.kv").string();
  engine::ContextOptions options;
  options.max_tokens = tokens + 16;

  std::vector<double> prefill_s, restore_s;
  double save_s = 0;
  uint64_t file_bytes = 0;
  for (int r = 0; r < runs; ++r) {
    // Without the file: the whole conversation and the new token, prefilled.
    engine::Context prefilled(model, options);
    auto start = Clock::now();
    const int32_t want = argmax(prefilled.prefill(ids));
    prefill_s.push_back(seconds_since(start));
    if (r == 0) {
      start = Clock::now();
      chat::write_file_atomically(path, prefilled.save_kv(tokens, engine::KvDtype::kBf16));
      save_s = seconds_since(start);
      file_bytes = std::filesystem::file_size(path);
    }
    // With it: read, check and restore the conversation, then prefill the new token.
    engine::Context restored(model, options);
    start = Clock::now();
    std::ifstream in(path, std::ios::binary);
    const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    restored.restore_kv(bytes, ids, path);
    const int32_t got = argmax(restored.prefill(std::span(ids).last(1)));
    restore_s.push_back(seconds_since(start));
    std::printf("run %d/%d: prefill %.3f s, restore + 1 token %.3f s (next token %s)\n", r + 1, runs,
                prefill_s.back(), restore_s.back(), got == want ? "the same" : "DIFFERS");
    std::fflush(stdout);
  }
  std::filesystem::remove(path);
  const double p = median(prefill_s), q = median(restore_s);
  std::printf("model            %s (%d threads)\n", model->info().dir.c_str(), model->threads());
  std::printf("conversation     %d tokens; cache file %.1f MB (bf16), saved in %.3f s\n", tokens,
              file_bytes / 1e6, save_s);
  std::printf("ready to answer  prefill %.3f s, from the cache file %.3f s (medians of %d): %.1fx faster\n",
              p, q, runs, p / q);
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  const CliArgs args = parse_cli(argc, argv,
                                 {{"--model", true},
                                  {"--prompt-tokens", true},
                                  {"--gen-tokens", true},
                                  {"--kv-fill", true},
                                  {"--threads", true},
                                  {"--runs", true},
                                  {"--ram", true},
                                  {"--precision", true},
                                  {"--json", false},
                                  {"--cold", false},
                                  {"--resume", true}});
  if (args.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positionals.empty()) throw UsageError("bench: unexpected argument '" + args.positionals[0] + "'");
  if (args.has("--cold")) {
    for (const char* flag : {"--prompt-tokens", "--gen-tokens", "--kv-fill", "--runs"})
      if (args.has(flag))
        throw UsageError(std::string("bench --cold: ") + flag +
                         " does not apply (one run of the prompt 'hi'; the page cache is warm after it)");
    return bench_cold(args);
  }
  const std::string dir = args.require("--model");
  const int prompt_tokens = static_cast<int>(args.get_int("--prompt-tokens", 128, 1, 1 << 20));
  const int gen_tokens = static_cast<int>(args.get_int("--gen-tokens", 32, 0, 1 << 20));
  const int kv_fill = static_cast<int>(args.get_int("--kv-fill", 0, 0, 1 << 20));
  const int threads = static_cast<int>(args.get_int("--threads", 0, 0, 1024));
  const int runs = static_cast<int>(args.get_int("--runs", 3, 1, 1000));
  const bool json = args.has("--json");
  if (args.has("--resume")) {
    const int resume = static_cast<int>(args.get_int("--resume", 0, 1, 1 << 20));
    run_resume_bench(dir, resume, threads, runs, std::filesystem::temp_directory_path().string());
    return 0;
  }
  const chat::RamBudgetChoice budget = ram_budget_from(args);
  const engine::Precision precision = engine::parse_precision(precision_from(args, "fast"), "--precision");

  const uint64_t read_before = storage_read_bytes();
  std::vector<Run> results;
  engine::ModelInfo info;
  engine::Config cfg;
  int used_threads = 0;
  for (int r = 0; r < runs; ++r) {
    engine::LoadOptions load;
    load.threads = threads;
    load.ram_budget_bytes = budget.bytes;
    load.context_tokens = prompt_tokens + gen_tokens;
    load.precision = precision;
    const auto start = std::chrono::steady_clock::now();
    auto model = engine::Model::open(dir, load);
    const double load_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double rss_after_load = static_cast<double>(current_rss_bytes());
    info = model->info();
    cfg = model->config();
    used_threads = model->threads();

    engine::ContextOptions options;
    options.max_tokens = kv_fill + prompt_tokens + gen_tokens;
    engine::Context ctx(model, options);
    if (kv_fill > 0) ctx.fill_synthetic(kv_fill);
    int32_t next = argmax(ctx.prefill(prompt_ids(prompt_tokens, cfg.vocab)));
    const engine::ContextStats after_prefill = ctx.stats();
    for (int i = 0; i < gen_tokens; ++i) next = argmax(ctx.decode(next));
    const engine::ContextStats& st = ctx.stats();
    // A hit is an expert already held when its layer asks; a prefetch hit was brought in by the
    // guess made one layer earlier (so it cost a read, overlapped with compute).
    const uint64_t requests = st.expert_requests - after_prefill.expert_requests,
                   prefetched = st.prefetch_hits - after_prefill.prefetch_hits,
                   hits = st.expert_hits - after_prefill.expert_hits - prefetched;
    results.push_back({load_seconds, st.prefill_tokens / st.prefill_seconds,
                       st.decode_tokens ? st.decode_tokens / st.decode_seconds : 0.0, rss_after_load,
                       static_cast<double>(anon_rss_bytes()),
                       static_cast<double>(st.expert_bytes_read - after_prefill.expert_bytes_read),
                       ratio(hits, requests),
                       ratio(st.disk_bytes_read - after_prefill.disk_bytes_read, st.decode_tokens),
                       ratio(prefetched, requests),
                       ratio(st.prefetch_right - after_prefill.prefetch_right,
                             st.prefetch_guesses - after_prefill.prefetch_guesses)});
    if (!json)
      std::fprintf(stderr, "run %d/%d: load %.2f s, prefill %.2f tok/s, decode %.2f tok/s, hit rate %.3f\n", r + 1,
                   runs, results.back().load_seconds, results.back().prefill_tok_s, results.back().decode_tok_s,
                   results.back().hit_rate);
  }
  const uint64_t storage_read = storage_read_bytes() - read_before;
  // After the runs: the 2 GiB buffer must not push the weights out of the page cache before them.
  const double bandwidth = engine::measure_read_bandwidth(used_threads);

  auto med = [&](double Run::*field) {
    std::vector<double> v;
    for (const Run& r : results) v.push_back(r.*field);
    return median(v);
  };
  const double load_s = med(&Run::load_seconds), prefill = med(&Run::prefill_tok_s),
               decode = med(&Run::decode_tok_s), rss_load = med(&Run::rss_after_load),
               anon = med(&Run::anon_rss_after_run), hit_rate = med(&Run::hit_rate),
               disk_per_token = med(&Run::disk_bytes_per_token), prefetch_rate = med(&Run::prefetch_rate),
               guess_accuracy = med(&Run::guess_accuracy);
  const uint64_t peak = peak_rss_bytes();
  const uint64_t cgroup_peak = engine::cgroup_peak_bytes();
  const char* mode = info.streaming ? "streaming" : "mapped";
  // What one decode step reads: the dense bf16 weights, one embedding row, the picked experts and
  // the keys and values (at the middle of the decoded stretch).
  const double expert_bytes = gen_tokens ? med(&Run::decode_expert_bytes) / gen_tokens : 0.0;
  const double kv_bytes = kv_bytes_per_token(cfg, kv_fill + prompt_tokens + gen_tokens / 2.0, precision);
  const double bytes_per_token = static_cast<double>(info.dense_bytes_per_token) +
                                 cfg.hidden * sizeof(uint16_t) + expert_bytes + kv_bytes;

  if (json) {
    nlohmann::json out = {
        {"model", info.dir},
        {"layout", info.layout},
        {"threads", used_threads},
        {"kernels", info.kernels},
        {"precision", engine::precision_name(info.precision)},
        {"kv_fill", kv_fill},
        {"runs", runs},
        {"prompt_tokens", prompt_tokens},
        {"gen_tokens", gen_tokens},
        {"load_seconds", load_s},
        {"prefill_tokens_per_second", prefill},
        {"decode_tokens_per_second", decode},
        {"decode_bytes_per_token", bytes_per_token},
        {"decode_kv_bytes_per_token", kv_bytes},
        {"read_bandwidth_bytes_per_second", bandwidth},
        {"rss_after_load_bytes", static_cast<uint64_t>(rss_load)},
        {"peak_rss_bytes", peak},
        {"anon_rss_bytes", static_cast<uint64_t>(anon)},
        {"checkpoint_mapped_bytes", info.file_bytes},
        {"storage_read_bytes", storage_read},
        {"ram_budget", budget.bytes},
        {"ram_budget_source", budget.source},
        {"mode", mode},
        {"expert_slots", info.expert_slots},
        {"expert_cache_policy", info.expert_cache_policy},
        {"resident_bytes", info.resident_bytes},
        {"expert_hit_rate", hit_rate},
        {"prefetch_hit_rate", prefetch_rate},
        {"prefetch_guess_accuracy", guess_accuracy},
        {"disk_bytes_per_token", disk_per_token},
        {"peak_rss", peak},
        {"cgroup_peak", cgroup_peak},
    };
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("model            %s (%s layout, %d layers, %d experts)\n", info.dir.c_str(),
                info.layout.c_str(), cfg.n_layers, cfg.n_experts);
    std::printf("threads          %d\n", used_threads);
    std::printf("kernels          %s\n", info.kernels.c_str());
    std::printf("precision        %s\n", engine::precision_name(info.precision));
    std::printf("runs             %d (medians below)\n", runs);
    std::printf("load             %.3f s\n", load_s);
    std::printf("prefill          %.2f tok/s (%d tokens)\n", prefill, prompt_tokens);
    std::printf("decode           %.2f tok/s (%d tokens after %d of context)\n", decode, gen_tokens,
                kv_fill + prompt_tokens);
    std::printf(
        "bytes/token      %.2f GB (%.2f GB keys and values): %.1f GB/s, %.0f%% of the read bandwidth\n",
        bytes_per_token / 1e9, kv_bytes / 1e9, bytes_per_token * decode / 1e9,
        100.0 * bytes_per_token * decode / bandwidth);
    std::printf("read bandwidth   %.1f GB/s (vector sum over 2 GiB, %d threads)\n", bandwidth / 1e9,
                used_threads);
    std::printf("RSS after load   %s\n", gib(rss_load).c_str());
    std::printf("peak RSS         %s (mapped weights included)\n", gib(static_cast<double>(peak)).c_str());
    std::printf("anonymous RSS    %s (KV cache and scratch, after a run)\n", gib(anon).c_str());
    std::printf("checkpoint       %s mapped, %s read from storage\n",
                gib(static_cast<double>(info.file_bytes)).c_str(),
                gib(static_cast<double>(storage_read)).c_str());
    std::printf("memory           %s, budget %s (%s)\n", mode, gib(static_cast<double>(budget.bytes)).c_str(),
                budget.source.c_str());
    if (info.streaming)
      std::printf(
          "experts          %d slots (%s eviction); decode: cache hits %.3f, prefetched %.3f, guesses "
          "%.3f right, %.1f MB/token from disk\n",
          info.expert_slots, info.expert_cache_policy.c_str(), hit_rate, prefetch_rate, guess_accuracy,
          disk_per_token / 1e6);
    if (cgroup_peak) std::printf("cgroup peak      %s\n", gib(static_cast<double>(cgroup_peak)).c_str());
  }
  return 0;
}

}  // namespace gptoss::ui
