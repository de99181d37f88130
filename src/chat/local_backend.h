// The engine in this process as a chat Backend: one KV cache (engine::Context) kept across rounds
// and conversations, so a prompt that shares a prefix with the last one prefills only the rest.
//
//   LocalModel m = open_local_model(dir, {.threads = 2});
//   auto backend = std::make_shared<LocalBackend>(m);
//
// Model opening stays behind this header so that the UI needs no engine header.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "chat/backend.h"
#include "chat/sampler.h"

namespace gptoss::engine {
class Model;
class Context;
}  // namespace gptoss::engine

namespace gptoss::chat {

struct LocalModelOptions {
  int threads = 0;                // 0: one per physical core
  bool demo = false;              // a tiny random model: named "demo"
  uint64_t ram_budget_bytes = 0;  // 0: none; else experts stream from disk when the model does not fit
  int context_tokens = 8192;      // the context the budget sets aside a KV cache for
  std::string precision = "exact";  // engine profile: "exact" or "fast" (engine::Precision)
  // Called from the loading thread with a stage name ("mapping", "validating", "warming") and a
  // fraction in 0..1.
  std::function<void(const std::string& stage, double fraction)> on_progress;
};

// The RAM budget of a local model and where it came from: `flag` (--ram) when given, else the
// GPT_OSS_RAM variable, else detected (cgroup limit, MemAvailable, physical RAM, minus headroom).
struct RamBudgetChoice {
  uint64_t bytes = 0;
  std::string source;  // "--ram", "GPT_OSS_RAM" or "detected (...)"
};
// Throws gptoss::Error naming --ram or GPT_OSS_RAM on a size it cannot read.
RamBudgetChoice choose_local_ram_budget(const std::optional<std::string>& flag);

// An open checkpoint, shareable by several backends.
struct LocalModel {
  std::shared_ptr<const engine::Model> model;
  BackendInfo info;
};

// Opens the checkpoint in `dir` (engine::Model::open). Throws the engine's LoadError naming the
// file and tensor or key at fault.
LocalModel open_local_model(const std::string& dir, const LocalModelOptions& options = {});

// Writes the demo checkpoint (the tiny random preset, a fixed seed) into `dir`; `on_file` is called
// after each file. Throws gptoss::Error if the folder cannot be written.
void write_demo_model(const std::string& dir, const std::function<void()>& on_file = nullptr);

class TurnRecorder;

class LocalBackend : public Backend {
 public:
  explicit LocalBackend(LocalModel model);
  ~LocalBackend() override;

  const BackendInfo& info() const override { return info_; }
  GenerateResult generate(const GenerateRequest& request, const GenerateCallbacks& callbacks,
                          const std::atomic<bool>& cancel) override;
  size_t cached_tokens() const override;
  std::vector<std::pair<std::string, std::string>> stats() const override;
  // The last generate() round's reply (a turn that called tools shows its last round). Its
  // routing is recorded while generating; the sink shares, and the residuals the lens reads (H
  // floats per layer per token: 276 KB a token on 20b), are not, as they cost every reply time or
  // memory. The first call after a reply recomputes its steps once on a copy of the cache (a
  // prefill of the reply; the cache itself stays bit for bit as it was) and keeps the residuals
  // until the next generate(). If the cache no longer holds the reply, the record has no sinks.
  std::shared_ptr<const TurnInspection> inspect_last_reply() override;
  std::vector<LensTop> lens(int row, int top) override;
  ExpertUsage expert_usage() const override;
  GenerateResult prefill_ahead(std::span<const int32_t> prompt, int context_tokens,
                               const std::atomic<bool>& cancel) override;
  WeightsWarmup weights_warmup() const override;
  // local_backend_cache.cc: the engine's KV cache file, bf16.
  std::string export_cache(std::span<const int32_t> conversation) const override;
  uint64_t cache_file_limit(int context_tokens) override;
  size_t import_cache(std::span<const uint8_t> bytes, std::span<const int32_t> conversation,
                      int context_tokens, const std::string& source) override;

  // Replaces the sampler: returns the next token given the logits. Tests use it to script the
  // model's output on a random-weight model; nullptr restores the sampler.
  using TokenPicker = std::function<int32_t(std::span<const float> logits)>;
  void set_token_picker(TokenPicker picker) { token_picker_ = std::move(picker); }
  void set_prefill_hook(PrefillHook hook) override { prefill_hook_ = std::move(hook); }

  // The KV cache; nullptr before the first generate(). Tests check it holds the expected tokens.
  const engine::Context* context() const { return context_.get(); }
  const std::shared_ptr<const engine::Model>& model() const { return model_; }

 private:
  // generate(), with the engine's "model file changed" error still an engine::LoadError.
  GenerateResult generate_tokens(const GenerateRequest& request, const GenerateCallbacks& callbacks,
                                 const std::atomic<bool>& cancel);
  // The memory mode, kernel set and expert-cache counters of stats().
  std::vector<std::pair<std::string, std::string>> memory_stats() const;
  // Makes the cache if there is none or its capacity differs from `tokens`.
  void ensure_context(int tokens);
  // Prefills what the cache lacks of `prompt` in chunks (cancel checked between them), keeping at
  // most `max_reused` tokens of the cache; returns false if the prompt does not fit or the
  // prefill was cancelled.
  bool prefill(std::span<const int32_t> prompt, size_t max_reused, GenerateResult& result,
               const std::atomic<bool>& cancel);
  // Adds the sink shares to last_reply_ and fills lens_residuals_; false if the cache no longer
  // holds that reply.
  bool recompute_reply();

  std::shared_ptr<const engine::Model> model_;
  BackendInfo info_;
  std::unique_ptr<engine::Context> context_;
  std::optional<Sampler> sampler_;
  TokenPicker token_picker_;
  PrefillHook prefill_hook_;
  std::span<const float> logits_;  // of the last prefilled or decoded token
  std::unique_ptr<TurnRecorder> recorder_;  // attached to context_ for its whole life
  std::shared_ptr<const TurnInspection> last_reply_;
  bool reply_recomputed_ = false;      // inspect_last_reply() has run since the reply
  std::vector<float> lens_residuals_;  // [n, L, H] of last_reply_'s steps, once recomputed
};

}  // namespace gptoss::chat
