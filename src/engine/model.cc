// Model: opens the checkpoint and fixes everything token-independent at load.
#include <cblas.h>
#include <omp.h>

#include <chrono>

#include "engine/bf16.h"
#include "engine/checkpoint.h"
#include "engine/engine.h"
#include "engine/model_impl.h"
#include "engine/rope.h"

namespace gptoss::engine {

std::shared_ptr<const Model> Model::open(const std::string& dir, const LoadOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto impl = std::make_unique<Impl>();
  impl->checkpoint = open_checkpoint(dir, options.on_progress);
  const Config& cfg = impl->cfg();
  impl->threads = options.threads > 0 ? options.threads : omp_get_num_procs();
  // OpenBLAS (its OpenMP build) sizes its own team; it is only called outside our regions.
  openblas_set_num_threads(impl->threads);
  impl->rope = make_yarn_rope(cfg);
  impl->sinks.resize(static_cast<size_t>(cfg.n_layers) * cfg.n_heads);
  for (int l = 0; l < cfg.n_layers; ++l)
    widen_bf16_f32(impl->sinks.data() + static_cast<size_t>(l) * cfg.n_heads,
                   impl->weights().layers[l].sinks.data, cfg.n_heads);
  impl->checkpoint->info.load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return std::shared_ptr<const Model>(new Model(std::move(impl)));
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

const Config& Model::config() const { return impl_->cfg(); }
const ModelInfo& Model::info() const { return impl_->checkpoint->info; }
int Model::threads() const { return impl_->threads; }

}  // namespace gptoss::engine
