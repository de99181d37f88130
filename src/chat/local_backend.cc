// The engine behind the chat's Backend seam: prefix reuse, chunked prefill, sampling, decode.
#include "chat/local_backend.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <numeric>

#include "chat/turn_recorder.h"
#include "engine/engine.h"
#include "engine/model_writer.h"
#include "engine/test_model.h"

namespace gptoss::chat {
namespace {

// Prompt tokens per engine call: the engine's own prefill batch, so chunking costs nothing.
constexpr size_t kPrefillChunk = 128;
constexpr uint64_t kDemoSeed = 20250805;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

size_t common_prefix(const std::vector<int32_t>& a, std::span<const int32_t> b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

bool same_sampling(const SamplerOptions& a, const SamplerOptions& b) {
  return a.temperature == b.temperature && a.top_p == b.top_p && a.top_k == b.top_k && a.seed == b.seed;
}

std::string display_name(const engine::Model& model, const std::string& dir, bool demo) {
  if (demo) return "demo";
  const engine::Config& c = model.config();
  if (c.n_experts == 32 && c.n_layers == 24) return "gpt-oss-20b";
  if (c.n_experts == 128 && c.n_layers == 36) return "gpt-oss-120b";
  std::filesystem::path p(dir);
  if (p.filename() == "original") p = p.parent_path();
  return p.filename().string();
}

// Keeps the residual after every layer and the sink shares of the steps at positions
// [first, first + n).
struct ReplySteps : engine::Observer {
  ReplySteps(const engine::Config& cfg, size_t first_position, size_t rows)
      : L(cfg.n_layers),
        H(cfg.hidden),
        NH(cfg.n_heads),
        first(first_position),
        n(rows),
        x(n * L * H),
        sinks(n * L * NH) {}
  bool wants_residual() const override { return true; }
  bool wants_sink_shares() const override { return true; }
  void on_residual(int layer, int position, std::span<const float> r) override {
    if (const size_t t = row(position); t < n) std::copy(r.begin(), r.end(), x.begin() + (t * L + layer) * H);
  }
  void on_sink_shares(int layer, int position, std::span<const float> s) override {
    if (const size_t t = row(position); t < n)
      std::copy(s.begin(), s.end(), sinks.begin() + (t * L + layer) * NH);
  }
  size_t row(int position) const {
    const size_t p = static_cast<size_t>(position);
    return p < first ? n : p - first;
  }

  size_t L, H, NH, first, n;
  std::vector<float> x;      // [n, L, H]
  std::vector<float> sinks;  // [n, L, NH]
};

}  // namespace

LocalModel open_local_model(const std::string& dir, const LocalModelOptions& options) {
  engine::LoadOptions load;
  load.threads = options.threads;
  load.ram_budget_bytes = options.ram_budget_bytes;
  load.context_tokens = options.context_tokens;
  load.precision = engine::parse_precision(options.precision, "precision");
  if (options.on_progress) {
    load.on_progress = [&](const engine::LoadProgress& p) { options.on_progress(p.stage, p.fraction); };
  }
  LocalModel out;
  out.model = engine::Model::open(dir, load);
  out.info.model_name = display_name(*out.model, dir, options.demo);
  out.info.location = out.model->info().dir;
  out.info.fingerprint = out.model->info().fingerprint;
  out.info.max_context = out.model->config().max_context;
  out.info.threads = out.model->threads();
  out.info.precision = engine::precision_name(out.model->info().precision);
  const engine::ModelInfo& mi = out.model->info();
  if (mi.streaming) {
    out.info.streaming_budget_bytes = mi.ram_budget_bytes;
    out.info.memory = "streaming: experts come from disk into " + std::to_string(mi.expert_slots) +
                      " slots of " + std::to_string(mi.expert_slot_bytes >> 20) + " MiB under a budget of " +
                      std::to_string(mi.ram_budget_bytes >> 20) + " MiB";
  } else {
    out.info.memory = "mapped: the whole checkpoint fits the budget";
  }
  return out;
}

RamBudgetChoice choose_local_ram_budget(const std::optional<std::string>& flag) {
  const engine::RamBudget b =
      flag ? engine::choose_ram_budget(*flag, nullptr, {})
           : engine::choose_ram_budget("", std::getenv("GPT_OSS_RAM"), engine::read_memory_limits());
  return {b.bytes, b.source};
}

void write_demo_model(const std::string& dir, const std::function<void()>& on_file) {
  const engine::TestModelPreset* preset = engine::find_test_model_preset("tiny");
  if (!preset) throw gptoss::Error("demo: the 'tiny' test-model preset is missing");
  engine::TestModelOptions options;
  options.seed = kDemoSeed;
  if (on_file) options.on_file = [&](const std::string&) { on_file(); };
  engine::write_test_model_atomically(dir, *preset, options);  // Ctrl-C leaves no half model
}

LocalBackend::LocalBackend(LocalModel model)
    : model_(std::move(model.model)),
      info_(std::move(model.info)),
      recorder_(std::make_unique<TurnRecorder>(model_->config())) {}

LocalBackend::~LocalBackend() = default;

size_t LocalBackend::cached_tokens() const { return context_ ? context_->size() : 0; }

std::vector<std::pair<std::string, std::string>> LocalBackend::stats() const {
  std::vector<std::pair<std::string, std::string>> out = memory_stats();
  if (!context_) return out;
  const engine::ContextStats& s = context_->stats();
  out.insert(out.end(), {{"prefill_tokens", std::to_string(s.prefill_tokens)},
                         {"decode_tokens", std::to_string(s.decode_tokens)},
                         {"expert_bytes_read", std::to_string(s.expert_bytes_read)}});
  return out;
}

// Where the weights live and, when the experts stream, the cache's counters since the Context
// was made: what the status bar and /stats show (ui/memory_figures.h reads these keys).
std::vector<std::pair<std::string, std::string>> LocalBackend::memory_stats() const {
  const engine::ModelInfo& mi = model_->info();
  std::vector<std::pair<std::string, std::string>> out = {{"mode", mi.streaming ? "streaming" : "mapped"},
                                                          {"kernels", mi.kernels}};
  if (!mi.streaming) return out;
  const engine::ContextStats s = context_ ? context_->stats() : engine::ContextStats{};
  out.insert(out.end(), {{"ram_budget_bytes", std::to_string(mi.ram_budget_bytes)},
                         {"expert_slots", std::to_string(mi.expert_slots)},
                         {"expert_cache_policy", mi.expert_cache_policy},
                         {"tokens_computed", std::to_string(s.prefill_tokens + s.decode_tokens)},
                         {"expert_requests", std::to_string(s.expert_requests)},
                         {"expert_hits", std::to_string(s.expert_hits)},
                         {"prefetch_hits", std::to_string(s.prefetch_hits)},
                         {"disk_bytes_read", std::to_string(s.disk_bytes_read)}});
  return out;
}

GenerateResult LocalBackend::prefill_ahead(std::span<const int32_t> prompt, int context_tokens,
                                           const std::atomic<bool>& cancel) {
  GenerateResult result;
  try {
    ensure_context(context_tokens);
    result.prompt_done = prompt.empty() || prefill(prompt, prompt.size(), result, cancel);
    return result;
  } catch (const engine::LoadError& e) {  // the model file changed
    throw BackendUnusable(e.what());
  }
}

WeightsWarmup LocalBackend::weights_warmup() const {
  const engine::WarmupProgress p = model_->warmup_progress();
  return {p.bytes_done, p.bytes_total, p.running};
}

void LocalBackend::ensure_context(int tokens) {
  if (context_ && context_->capacity() == static_cast<size_t>(tokens)) return;
  context_.reset();  // free the old cache before the new one is allocated
  context_ = std::make_unique<engine::Context>(model_, engine::ContextOptions{.max_tokens = tokens});
  context_->set_observer(recorder_.get());
}

bool LocalBackend::prefill(std::span<const int32_t> prompt, size_t max_reused, GenerateResult& result,
                           const std::atomic<bool>& cancel) {
  if (prompt.empty() || prompt.size() >= context_->capacity()) return false;
  // Reuse the longest common prefix of the cache; the engine may keep fewer tokens (sliding
  // layers).
  const size_t reusable = std::min(common_prefix(context_->tokens(), prompt), max_reused);
  const size_t kept = context_->truncate(reusable);
  const std::span<const int32_t> rest = prompt.subspan(kept);
  // In chunks, so that a cancel during a long prompt takes effect within one chunk; the cache
  // then holds the chunks done, which the next round reuses as a common prefix.
  const auto start = Clock::now();
  size_t done = 0;
  while (done < rest.size() && !cancel.load()) {
    const size_t n = std::min(kPrefillChunk, rest.size() - done);
    // The chunk with the last prompt token: its step samples the reply's first token.
    if (done + n == rest.size()) recorder_->begin_reply(static_cast<int>(prompt.size()) - 1);
    logits_ = context_->prefill(rest.subspan(done, n));
    done += n;
    if (prefill_hook_) prefill_hook_(done);
  }
  result.tokens_reused = kept;
  result.tokens_prefilled = done;
  result.prefill_seconds = seconds_since(start);
  return done == rest.size();
}

GenerateResult LocalBackend::generate(const GenerateRequest& request, const GenerateCallbacks& callbacks,
                                      const std::atomic<bool>& cancel) {
  try {
    return generate_tokens(request, callbacks, cancel);
  } catch (const engine::LoadError& e) {  // from a forward step: the model file changed
    throw BackendUnusable(e.what());
  }
}

GenerateResult LocalBackend::generate_tokens(const GenerateRequest& request,
                                             const GenerateCallbacks& callbacks,
                                             const std::atomic<bool>& cancel) {
  GenerateResult result;
  last_reply_.reset();
  reply_recomputed_ = false;
  lens_residuals_ = {};
  recorder_->stop();
  ensure_context(request.context_tokens);
  if (!sampler_ || request.fresh_sampler || !same_sampling(sampler_->options(), request.sampling)) {
    sampler_.emplace(request.sampling);
  }
  // At least the last prompt token is recomputed, for its logits.
  const bool prefilled = prefill(request.prompt, request.prompt.size() - 1, result, cancel);
  if (callbacks.on_prefilled) {
    callbacks.on_prefilled(result.tokens_reused, result.tokens_prefilled, result.prefill_seconds);
  }
  result.prompt_done = prefilled;
  if (!prefilled) {
    result.end = cancel.load() ? GenerateEnd::kCancelled : GenerateEnd::kContextFull;
    return result;
  }
  std::span<const float> logits = logits_;
  const auto start = Clock::now();
  for (;;) {
    if (cancel.load()) {
      result.end = GenerateEnd::kCancelled;
      break;
    }
    if (result.tokens_generated >= static_cast<uint64_t>(request.max_tokens)) {
      result.end = GenerateEnd::kBudget;
      break;
    }
    const int32_t token = token_picker_ ? token_picker_(logits) : sampler_->sample(logits);
    ++result.tokens_generated;
    recorder_->add_token(token);
    if (callbacks.on_token(token) == TokenAction::kStop) {
      result.end = GenerateEnd::kStopped;
      break;
    }
    if (context_->size() >= context_->capacity()) {
      result.end = GenerateEnd::kContextFull;
      break;
    }
    logits = context_->decode(token);
  }
  result.decode_seconds = seconds_since(start);
  last_reply_ = std::make_shared<const TurnInspection>(recorder_->finish());
  return result;
}

ExpertUsage LocalBackend::expert_usage() const { return recorder_->usage(); }

std::shared_ptr<const TurnInspection> LocalBackend::inspect_last_reply() {
  if (last_reply_ && !reply_recomputed_) {
    reply_recomputed_ = true;
    recompute_reply();
  }
  return last_reply_;
}

bool LocalBackend::recompute_reply() {
  const TurnInspection& r = *last_reply_;
  const size_t p0 = static_cast<size_t>(r.first_position), n = static_cast<size_t>(r.rows());
  // Row t's step read the token at p0 + t: the last prompt token, then the reply's tokens.
  if (!context_ || context_->size() < p0 + n) return false;
  const std::vector<int32_t>& held = context_->tokens();
  for (size_t t = 0; t + 1 < n; ++t)
    if (held[p0 + 1 + t] != r.tokens[t]) return false;
  // A copy, so that the cache keeps the very numbers the reply was decoded with: a prefill may
  // round differently from decode, and the next reply must not depend on having inspected.
  engine::Context copy = context_->clone();
  const size_t kept = copy.truncate(p0);
  ReplySteps steps(model_->config(), p0, n);
  copy.set_observer(&steps);
  const std::span<const int32_t> again(held.data() + kept, p0 + n - kept);
  for (size_t done = 0; done < again.size(); done += kPrefillChunk)
    copy.prefill(again.subspan(done, std::min(kPrefillChunk, again.size() - done)));
  auto with_sinks = std::make_shared<TurnInspection>(r);
  with_sinks->sink_shares = std::move(steps.sinks);
  last_reply_ = std::move(with_sinks);
  lens_residuals_ = std::move(steps.x);
  return true;
}

std::vector<LensTop> LocalBackend::lens(int row, int top) {
  if (!inspect_last_reply() || row < 0 || row >= last_reply_->rows() || top <= 0 || lens_residuals_.empty())
    return {};
  const engine::Config& cfg = model_->config();
  const size_t L = cfg.n_layers, H = cfg.hidden, V = cfg.vocab;
  const size_t k = std::min<size_t>(top, V);
  std::vector<float> z(L * V);
  engine::lens_logits(*model_, {lens_residuals_.data() + static_cast<size_t>(row) * L * H, L * H}, z);
  std::vector<LensTop> out(L);
  std::vector<int32_t> order(V);
  for (size_t l = 0; l < L; ++l) {
    const float* logit = z.data() + l * V;
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) {
      return logit[a] > logit[b] || (logit[a] == logit[b] && a < b);
    });
    for (size_t i = 0; i < k; ++i) {
      out[l].ids.push_back(order[i]);
      out[l].logits.push_back(logit[order[i]]);
    }
  }
  return out;
}

}  // namespace gptoss::chat
