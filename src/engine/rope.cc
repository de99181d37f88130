#include "engine/rope.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace gptoss::engine {

YarnRope make_yarn_rope(const Config& cfg) {
  const int D = cfg.head_dim;
  const double base = cfg.rope_theta, factor = cfg.rope_factor, C = cfg.rope_original_context;
  YarnRope rope;
  rope.head_dim = D;
  rope.inv_freq.resize(D / 2);
  // low/high: the dimensions whose wavelength spans beta_fast resp. beta_slow turns over C.
  auto correction = [&](double beta) {
    return (D / 2.0) * std::log(C / (beta * 2 * std::numbers::pi)) / std::log(base);
  };
  double low = correction(cfg.rope_beta_fast), high = correction(cfg.rope_beta_slow);
  if (cfg.rope_truncate) low = std::floor(low), high = std::ceil(high);
  if (high == low) high += 1e-3;  // a degenerate ramp would divide by zero
  for (int i = 0; i < D / 2; ++i) {
    const double freq = std::pow(base, 2.0 * i / D);
    const double ramp = std::clamp((i - low) / (high - low), 0.0, 1.0);
    rope.inv_freq[i] = (1.0 / (factor * freq)) * ramp + (1.0 / freq) * (1.0 - ramp);
  }
  rope.concentration = 0.1 * std::log(factor) + 1.0;
  return rope;
}

void rope_cos_sin_f32(float* cos, float* sin, const YarnRope& rope, int p) {
  for (int i = 0; i < rope.head_dim / 2; ++i) {
    const double angle = p * rope.inv_freq[i];
    cos[i] = static_cast<float>(rope.concentration * std::cos(angle));
    sin[i] = static_cast<float>(rope.concentration * std::sin(angle));
  }
}

void rope_rotate_f32(float* x, const float* cos, const float* sin, int heads, int D) {
  const int half = D / 2;
  for (int h = 0; h < heads; ++h) {
    float* a = x + h * D;
    float* b = a + half;
    for (int i = 0; i < half; ++i) {
      const float ai = a[i], bi = b[i];
      a[i] = ai * cos[i] - bi * sin[i];
      b[i] = bi * cos[i] + ai * sin[i];
    }
  }
}

}  // namespace gptoss::engine
