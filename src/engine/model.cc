// Model: opens the checkpoint and fixes everything token-independent at load.
#include <cblas.h>
#include <omp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>

#include "engine/bf16.h"
#include "engine/checkpoint.h"
#include "engine/cpu_cores.h"
#include "engine/engine.h"
#include "engine/kernels.h"
#include "engine/model_impl.h"
#include "engine/page_warmer.h"
#include "engine/q8_weights.h"
#include "engine/ram_budget.h"
#include "engine/rope.h"
#include "engine/streamed_weights.h"

namespace gptoss::engine {
namespace {

// Asks the kernel to read these bytes ahead, asynchronously. Advice only: under memory pressure
// it reads less, and a refusal changes nothing but the first token's speed.
void read_ahead(const void* data, size_t bytes) {
  static const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = reinterpret_cast<uintptr_t>(data) & ~(page - 1);
  const uintptr_t end = reinterpret_cast<uintptr_t>(data) + bytes;
  madvise(reinterpret_cast<void*>(begin), end - begin, MADV_WILLNEED);
}

size_t matrix_bytes(const Bf16Matrix& m) { return static_cast<size_t>(m.rows) * m.cols * sizeof(uint16_t); }

// Warming: the weights every token reads (attention, router, unembedding) are read ahead, so the
// first prefill does not wait on page faults one 4 KiB page at a time. Experts are left to the
// router's picks (resident memory follows use), the embedding to the rows looked up.
void warm_dense_weights(const Weights& w, const std::function<void(const LoadProgress&)>& progress) {
  const size_t n_layers = w.layers.size();
  for (size_t l = 0; l < n_layers; ++l) {
    const LayerWeights& lw = w.layers[l];
    for (const Bf16Matrix* m : {&lw.wq, &lw.wk, &lw.wv, &lw.wo, &lw.router}) read_ahead(m->data, matrix_bytes(*m));
    if (progress) progress({"warming", static_cast<double>(l + 1) / (n_layers + 1)});
  }
  read_ahead(w.unembed.data, matrix_bytes(w.unembed));
  if (progress) progress({"warming", 1.0});
}

// Bytes of the bf16 weights every token reads: attention, router, norms, sinks, unembedding (the
// embedding row and the experts the router picks come on top).
uint64_t dense_bytes_per_token(const Weights& w) {
  uint64_t bytes = matrix_bytes(w.unembed) + w.final_norm.size * sizeof(uint16_t);
  for (const LayerWeights& lw : w.layers) {
    for (const Bf16Matrix* m : {&lw.wq, &lw.wk, &lw.wv, &lw.wo, &lw.router}) bytes += matrix_bytes(*m);
    for (const Bf16Vector* v :
         {&lw.attn_norm, &lw.mlp_norm, &lw.sinks, &lw.router_bias, &lw.bq, &lw.bk, &lw.bv, &lw.bo})
      bytes += v->size * sizeof(uint16_t);
  }
  return bytes;
}

}  // namespace

const char* precision_name(Precision precision) { return precision == Precision::kFast ? "fast" : "exact"; }

Precision parse_precision(const std::string& text, const std::string& what) {
  if (text == "exact") return Precision::kExact;
  if (text == "fast") return Precision::kFast;
  throw gptoss::Error(what + ": unknown precision '" + text + "' (expected exact or fast)");
}

std::shared_ptr<const Model> Model::open(const std::string& dir, const LoadOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto impl = std::make_unique<Impl>();
  // Before the (slow) mapping: a bad GPTOSS_KERNELS fails at once.
  const char* forced = std::getenv("GPTOSS_KERNELS");
  impl->kernels = &kernels_for(choose_kernel_target(forced ? forced : ""));
  const char* policy_name = std::getenv("GPTOSS_CACHE_POLICY");  // a benchmarking knob
  const EvictionPolicy policy = choose_eviction_policy(policy_name ? policy_name : "");
  impl->checkpoint = open_checkpoint(dir, options.on_progress);
  impl->checkpoint->info.kernels = impl->kernels->name;
  const Config& cfg = impl->cfg();
  impl->threads = options.threads > 0 ? options.threads : physical_cores();
  impl->precision = impl->checkpoint->info.precision = options.precision;
  // Mapped when everything fits the budget; else the dense part is copied and experts stream.
  // Decided from the headers alone: a budget too small fails before any weight is read.
  ModelInfo& info = impl->checkpoint->info;
  const MemoryNeeds needs =
      memory_needs(*impl->checkpoint, options.context_tokens, impl->threads, options.precision);
  const MemoryPlan plan = plan_memory(needs, options.ram_budget_bytes, info.dir);
  info.ram_budget_bytes = options.ram_budget_bytes;
  // fast: the unembedding in 8-bit blocks, read from the mapping once (streaming then leaves its
  // bf16 out of the dense copy).
  if (uses_q8_unembed(impl->checkpoint->weights, impl->precision))
    impl->q8 = std::make_unique<Q8Weights>(impl->checkpoint->weights, *impl->kernels, impl->threads);
  if (plan.streaming) {
    impl->stream =
        std::make_unique<StreamedWeights>(*impl->checkpoint, plan.slots, policy, options.on_progress,
                                          /*with_unembed=*/!impl->q8);
    info.streaming = true;
    info.resident_bytes = impl->stream->resident_bytes() + (impl->q8 ? impl->q8->bytes() : 0);
    info.expert_slot_bytes = impl->stream->experts().slot_bytes();
    info.expert_slots = plan.slots;
    info.expert_cache_policy = eviction_policy_name(policy);
  }
  // OpenBLAS (its OpenMP build) sizes its own team; it is only called outside our regions.
  openblas_set_num_threads(impl->threads);
  impl->rope = make_yarn_rope(cfg);
  impl->sinks.resize(static_cast<size_t>(cfg.n_layers) * cfg.n_heads);
  for (int l = 0; l < cfg.n_layers; ++l)
    widen_bf16_f32(impl->sinks.data() + static_cast<size_t>(l) * cfg.n_heads,
                   impl->weights().layers[l].sinks.data, cfg.n_heads);
  // The background reader takes the dense weights in its stride (their advice alone would read them
  // out of order, ahead of the first layer's experts the prefill waits for).
  if (!impl->stream && options.warm_in_background) {
    impl->warmer = std::make_unique<PageWarmer>(forward_read_order(impl->weights()));
    if (options.on_progress) options.on_progress({"warming", 1.0});  // the rest goes on in the background
  } else if (!impl->stream) {
    warm_dense_weights(impl->weights(), options.on_progress);
  }
  impl->checkpoint->info.dense_bytes_per_token = dense_bytes_per_token(impl->weights());
  if (impl->q8)  // decode reads the 8-bit copy instead of those bf16 matrices
    impl->checkpoint->info.dense_bytes_per_token +=
        impl->q8->bytes() - Q8Weights::replaced_bf16_bytes(impl->weights());
  impl->checkpoint->info.load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return std::shared_ptr<const Model>(new Model(std::move(impl)));
}

Model::Impl::~Impl() = default;
const Weights& Model::Impl::weights() const { return stream ? stream->weights() : checkpoint->weights; }

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

const Config& Model::config() const { return impl_->cfg(); }
const ModelInfo& Model::info() const { return impl_->checkpoint->info; }
int Model::threads() const { return impl_->threads; }

WarmupProgress Model::warmup_progress() const {
  return impl_->warmer ? impl_->warmer->progress() : WarmupProgress{};
}
void Model::stop_warmup() const {
  if (impl_->warmer) impl_->warmer->stop();
}

}  // namespace gptoss::engine
