// The engine behind the chat's Backend seam: prefix reuse, chunked prefill, sampling, decode.
#include "chat/local_backend.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>

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

}  // namespace

LocalModel open_local_model(const std::string& dir, const LocalModelOptions& options) {
  engine::LoadOptions load;
  load.threads = options.threads;
  load.ram_budget_bytes = options.ram_budget_bytes;
  load.context_tokens = options.context_tokens;
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

LocalBackend::LocalBackend(LocalModel model) : model_(std::move(model.model)), info_(std::move(model.info)) {}

LocalBackend::~LocalBackend() = default;

size_t LocalBackend::cached_tokens() const { return context_ ? context_->size() : 0; }

std::vector<std::pair<std::string, std::string>> LocalBackend::stats() const {
  if (!context_) return {};
  const engine::ContextStats& s = context_->stats();
  return {{"prefill_tokens", std::to_string(s.prefill_tokens)},
          {"decode_tokens", std::to_string(s.decode_tokens)},
          {"expert_bytes_read", std::to_string(s.expert_bytes_read)}};
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
  return result;
}

}  // namespace gptoss::chat
