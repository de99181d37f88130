// YaRN rotary embedding (model.md "YaRN rotary embedding"): frequencies fixed at load, cos/sin per
// position, half-split rotation (pairs (i, i + D/2), not interleaved).
#pragma once

#include <vector>

#include "engine/engine.h"

namespace gptoss::engine {

struct YarnRope {
  int head_dim = 0;              // D
  std::vector<double> inv_freq;  // [D/2]
  double concentration = 1.0;    // 0.1 ln(factor) + 1, multiplies cos and sin
};

// The spec's inv_freq_i and concentration, in double. low/high are rounded outward only when
// cfg.rope_truncate (HF's "truncate"); otherwise used as computed.
YarnRope make_yarn_rope(const Config& cfg);

// cos[i] = concentration cos(p inv_freq_i), sin[i] likewise, i < D/2 (computed in double).
void rope_cos_sin_f32(float* cos, float* sin, const YarnRope& rope, int p);

// In place for each of `heads` vectors of size D in x:
// [a, b] -> [a cos - b sin, b cos + a sin] with a = x[0:D/2], b = x[D/2:D].
void rope_rotate_f32(float* x, const float* cos, const float* sin, int heads, int D);

}  // namespace gptoss::engine
