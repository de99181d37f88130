// Context: one conversation's sequence, KV cache and scratch.
#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <string>

#include "engine/engine.h"
#include "engine/forward.h"
#include "engine/kv_cache.h"
#include "engine/kv_file.h"
#include "engine/model_impl.h"
#include "engine/safetensors.h"

namespace gptoss::engine {

namespace {
constexpr int kMaxBatch = 128;  // tokens per forward call in prefill; bounds the scratch
}

struct Context::Impl {
  Impl(std::shared_ptr<const Model> m, const ContextOptions& options)
      : model(std::move(m)),
        cache(model->config(), options.max_tokens, options.rewind_tokens,
              model->info().precision == Precision::kFast ? KvType::kBf16 : KvType::kF32),
        acts(model->config(), std::min({kMaxBatch, options.max_tokens, cache.max_batch()}), model->threads()),
        logits(model->config().vocab, 0.0f) {
    tokens.reserve(options.max_tokens);
  }
  // A copy: the same cache and sequence, scratch of its own.
  Impl(const Impl& other)
      : model(other.model),
        cache(other.cache),
        acts(model->config(), other.acts.max_batch, model->threads()),
        tokens(other.tokens),
        logits(other.logits),
        stats(other.stats) {
    tokens.reserve(other.tokens.capacity());
  }

  // Checks what prefill/decode promise to reject before touching the cache.
  void check(std::span<const int32_t> new_tokens) const {
    const Config& cfg = model->config();
    if (new_tokens.empty()) throw gptoss::Error("engine: prefill: no tokens given");
    if (tokens.size() + new_tokens.size() > static_cast<size_t>(cache.capacity()))
      throw gptoss::Error("engine: context full (expected at most " + std::to_string(cache.capacity()) +
                          " tokens, found " + std::to_string(tokens.size() + new_tokens.size()) + ")");
    for (int32_t id : new_tokens)
      if (id < 0 || id >= cfg.vocab)
        throw gptoss::Error("engine: token id out of range (expected 0.." + std::to_string(cfg.vocab - 1) +
                            ", found " + std::to_string(id) + ")");
  }

  // Runs new_tokens in batches; logits of the last (all == nullptr) or of every token. A failed
  // read (streaming) drops the batches of this call and rethrows.
  void run(std::span<const int32_t> new_tokens, float* all) {
    const size_t size_before = tokens.size();
    try {
      run_batches(new_tokens, all);
    } catch (const gptoss::Error&) {
      tokens.resize(cache.truncate(static_cast<int>(std::min(size_before, tokens.size()))));
      throw;
    }
  }

  void add_counters(const ExpertCounters& c) {
    stats.expert_requests += c.requests;
    stats.expert_hits += c.hits;
    stats.prefetch_hits += c.prefetch_hits;
    stats.prefetch_guesses += c.guesses;
    stats.prefetch_right += c.guesses_right;
    stats.disk_bytes_read += c.disk_bytes;
  }

  void run_batches(std::span<const int32_t> new_tokens, float* all) {
    const Model::Impl& m = model->impl();
    const int V = model->config().vocab;
    size_t done = 0;
    while (done < new_tokens.size()) {
      const int n = static_cast<int>(std::min<size_t>(acts.max_batch, new_tokens.size() - done));
      const bool last_batch = done + n == new_tokens.size();
      // Plain prefill wants only the very last row's logits: earlier batches skip lm_head.
      const LogitRows rows = all ? LogitRows::kAll : last_batch ? LogitRows::kLast : LogitRows::kNone;
      float* out = all ? all + done * V : logits.data();
      acts.expert_counters = {};
      try {
        stats.expert_bytes_read += forward_f32(out, rows, m, cache, acts, new_tokens.data() + done, n, observer);
      } catch (...) {
        add_counters(acts.expert_counters);
        cache.abandon(n);
        throw;
      }
      add_counters(acts.expert_counters);
      tokens.insert(tokens.end(), new_tokens.begin() + done, new_tokens.begin() + done + n);
      done += n;
    }
    if (all) std::copy(all + (new_tokens.size() - 1) * V, all + new_tokens.size() * V, logits.begin());
  }

  // After a forward step: throws, with the step undone, if the weights it read were not the
  // file's (the file shrank while mapped) or its logits are not all finite (the file was
  // overwritten in place, or is damaged). Sampling from NaN logits would pick token 0 forever.
  void check_step(size_t tokens_before, std::span<const float> new_logits) {
    for (const auto& file : model->impl().checkpoint->files) {
      if (file->changed_while_mapped()) {
        undo(tokens_before);
        throw LoadError(file->path() +
                        ": the model file changed while in use (it is shorter than when it was opened); "
                        "restart with the complete file");
      }
    }
    const auto bad =
        std::find_if(new_logits.begin(), new_logits.end(), [](float x) { return !std::isfinite(x); });
    if (bad != new_logits.end()) {
      const size_t V = model->config().vocab;
      const size_t at = static_cast<size_t>(bad - new_logits.begin());
      undo(tokens_before);
      throw gptoss::Error(model->info().dir + ": the model computed a non-finite logit (" +
                          (std::isnan(*bad) ? "NaN" : "infinity") + " for token id " +
                          std::to_string(at % V) + "); the checkpoint is damaged or changed while in use");
    }
  }

  void undo(size_t tokens_before) { tokens.resize(cache.truncate(static_cast<int>(tokens_before))); }

  std::shared_ptr<const Model> model;
  KvCache cache;
  Activations acts;
  std::vector<int32_t> tokens;
  std::vector<float> logits;  // [V] of the last token
  ContextStats stats;
  Observer* observer = nullptr;  // not owned; not copied by clone()
};

Context::Context(std::shared_ptr<const Model> model, const ContextOptions& options) {
  const Config& cfg = model->config();
  if (options.max_tokens < 1 || (cfg.max_context > 0 && options.max_tokens > cfg.max_context))
    throw gptoss::Error("engine: max_tokens out of range (expected 1.." + std::to_string(cfg.max_context) +
                        ", found " + std::to_string(options.max_tokens) + ")");
  if (options.rewind_tokens < 0)
    throw gptoss::Error("engine: rewind_tokens must not be negative (found " +
                        std::to_string(options.rewind_tokens) + ")");
  impl_ = std::make_unique<Impl>(std::move(model), options);
}

Context::Context(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Context::~Context() = default;
Context::Context(Context&&) noexcept = default;
Context& Context::operator=(Context&&) noexcept = default;

std::span<const float> Context::prefill(std::span<const int32_t> tokens) {
  impl_->check(tokens);
  const size_t before = impl_->tokens.size();
  const auto start = std::chrono::steady_clock::now();
  impl_->run(tokens, nullptr);
  impl_->check_step(before, impl_->logits);
  impl_->stats.prefill_tokens += tokens.size();
  impl_->stats.prefill_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return impl_->logits;
}

void Context::prefill(std::span<const int32_t> tokens, std::span<float> all_logits) {
  impl_->check(tokens);
  const size_t V = impl_->model->config().vocab;
  if (all_logits.size() != tokens.size() * V)
    throw gptoss::Error("engine: prefill: logits buffer has the wrong size (expected " +
                        std::to_string(tokens.size() * V) + " floats, found " +
                        std::to_string(all_logits.size()) + ")");
  const size_t before = impl_->tokens.size();
  const auto start = std::chrono::steady_clock::now();
  impl_->run(tokens, all_logits.data());
  impl_->check_step(before, all_logits);
  impl_->stats.prefill_tokens += tokens.size();
  impl_->stats.prefill_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::span<const float> Context::decode(int32_t token) {
  const std::span<const int32_t> one(&token, 1);
  impl_->check(one);
  const size_t before = impl_->tokens.size();
  const auto start = std::chrono::steady_clock::now();
  impl_->run(one, nullptr);
  impl_->check_step(before, impl_->logits);
  impl_->stats.decode_tokens += 1;
  impl_->stats.decode_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return impl_->logits;
}

size_t Context::truncate(size_t n) {
  n = std::min(n, impl_->tokens.size());
  const size_t kept = impl_->cache.truncate(static_cast<int>(n));
  impl_->tokens.resize(kept);
  return kept;
}

void Context::fill_synthetic(size_t n) {
  Impl& c = *impl_;
  if (c.tokens.size() + n > static_cast<size_t>(c.cache.capacity()))
    throw gptoss::Error("engine: context full (expected at most " + std::to_string(c.cache.capacity()) +
                        " tokens, found " + std::to_string(c.tokens.size() + n) + ")");
  const Config& cfg = c.model->config();
  const size_t row = static_cast<size_t>(cfg.n_kv_heads) * cfg.head_dim;
  const int p0 = c.cache.size(), p1 = p0 + static_cast<int>(n);
  uint32_t state = 2463534242u;  // xorshift32: uniform in [-1, 1), the scale of real keys and values
  auto next = [&state] {
    state ^= state << 13, state ^= state >> 17, state ^= state << 5;
    return static_cast<float>(state) * (2.0f / 4294967296.0f) - 1.0f;
  };
  std::vector<float> k(row), v(row);
  for (int l = 0; l < cfg.n_layers; ++l)
    for (int p = std::max(p0, p1 - c.cache.ring(l)); p < p1; ++p) {  // a ring keeps only its last slots
      for (size_t i = 0; i < row; ++i) k[i] = next(), v[i] = next();
      c.cache.store(l, p, k.data(), v.data());
    }
  c.cache.append(static_cast<int>(n));
  c.tokens.insert(c.tokens.end(), n, 0);
}

const std::vector<int32_t>& Context::tokens() const { return impl_->tokens; }
size_t Context::capacity() const { return impl_->cache.capacity(); }
const ContextStats& Context::stats() const { return impl_->stats; }
void Context::reset_stats() { impl_->stats = ContextStats{}; }
const Model& Context::model() const { return *impl_->model; }
void Context::set_observer(Observer* observer) { impl_->observer = observer; }

std::string Context::save_kv(size_t n, KvDtype dtype) const {
  const Impl& c = *impl_;
  if (n < 1 || n > c.tokens.size())
    throw gptoss::Error("engine: save_kv: token count out of range (expected 1.." +
                        std::to_string(c.tokens.size()) + ", found " + std::to_string(n) + ")");
  if (!c.cache.holds_for(static_cast<int>(n)))
    throw gptoss::Error("engine: save_kv: the sliding layers no longer hold the window before position " +
                        std::to_string(n) + " (the sequence went on past it)");
  return write_kv_file(c.model->config(), c.cache, std::span(c.tokens).first(n), kv_fingerprint(*c.model),
                       dtype);
}

size_t Context::restore_kv(std::span<const uint8_t> bytes, std::span<const int32_t> sequence,
                           const std::string& source) {
  Impl& c = *impl_;
  KvExpectations expect;
  expect.cfg = &c.model->config();
  expect.fingerprint = kv_fingerprint(*c.model);
  expect.capacity = static_cast<size_t>(c.cache.capacity());
  expect.sequence = sequence;
  std::vector<int32_t> tokens = read_kv_file(c.cache, bytes, expect, source);
  c.tokens.assign(tokens.begin(), tokens.end());  // within the reserved capacity
  std::fill(c.logits.begin(), c.logits.end(), 0.0f);
  return c.tokens.size();
}

uint64_t Context::kv_file_bytes(size_t n, KvDtype dtype) const {
  return engine::kv_file_bytes(impl_->cache, n, dtype);
}

Context Context::clone() const { return Context(std::make_unique<Impl>(*impl_)); }

}  // namespace gptoss::engine
