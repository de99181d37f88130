// Model::Impl: what a Model holds once open (engine-internal).
#pragma once

#include <memory>
#include <vector>

#include "engine/checkpoint.h"
#include "engine/engine.h"
#include "engine/kernels.h"
#include "engine/rope.h"

namespace gptoss::engine {

struct Model::Impl {
  std::unique_ptr<Checkpoint> checkpoint;  // config, weight views, the mappings behind them
  YarnRope rope;                           // inv_freq and concentration, fixed at load
  std::vector<float> sinks;                // [L, NH] widened once
  int threads = 1;
  const Kernels* kernels = nullptr;  // the copy for this CPU, chosen at open

  const Config& cfg() const { return checkpoint->config; }
  const Weights& weights() const { return checkpoint->weights; }
};

}  // namespace gptoss::engine
