// Model::Impl: what a Model holds once open (engine-internal).
#pragma once

#include <memory>
#include <vector>

#include "engine/checkpoint.h"
#include "engine/engine.h"
#include "engine/kernels.h"
#include "engine/rope.h"

namespace gptoss::engine {

class PageWarmer;
class Q8Weights;
class StreamedWeights;

struct Model::Impl {
  std::unique_ptr<Checkpoint> checkpoint;  // config, weight views, the mappings behind them
  std::unique_ptr<StreamedWeights> stream;  // under a RAM budget: dense copy, expert cache; else null
  YarnRope rope;                           // inv_freq and concentration, fixed at load
  std::vector<float> sinks;                // [L, NH] widened once
  std::unique_ptr<Q8Weights> q8;           // fast: the unembedding in 8-bit blocks; else null
  int threads = 1;
  Precision precision = Precision::kExact;
  const Kernels* kernels = nullptr;  // the copy for this CPU, chosen at open
  // Mapped mode: reads the weights in the background; last, so it stops before the unmapping.
  std::unique_ptr<PageWarmer> warmer;
  ~Impl();

  const Config& cfg() const { return checkpoint->config; }
  const Weights& weights() const;
};

}  // namespace gptoss::engine
