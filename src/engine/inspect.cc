// Observer support: sink shares and the logit lens. Only runs when someone is looking.
#include "engine/inspect.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/kernels.h"
#include "engine/model_impl.h"
#include "engine/q8_weights.h"

namespace gptoss::engine {

void sink_shares_f32(float* shares, const float* q, const KvCache& cache, int l, int p, const float* sinks,
                     int NH, int NKV, int D) {
  const int group = NH / NKV;
  const int W = cache.window(l);
  const int j_first = W > 0 ? std::max(0, p - W + 1) : 0;  // sliding: visible iff p - j < W
  const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(D));
  std::vector<double> s(p - j_first + 1);
  for (int h = 0; h < NH; ++h) {
    const float* q_h = q + static_cast<size_t>(h) * D;
    const int g = h / group;
    // s_j = (q_h . k_{g,j}) / sqrt(D); in double, as this is a measurement, not the hot path
    double m = sinks[h];
    for (int j = j_first; j <= p; ++j) {
      double dot = 0;
      for (int d = 0; d < D; ++d)
        dot += static_cast<double>(q_h[d]) * cache.key_at(l, j, static_cast<size_t>(g) * D + d);
      s[j - j_first] = dot * inv_sqrt_d;
      m = std::max(m, s[j - j_first]);
    }
    const double sink = std::exp(sinks[h] - m);
    double denom = sink;
    for (double sj : s) denom += std::exp(sj - m);
    shares[h] = static_cast<float>(sink / denom);
  }
}

void lens_logits(const Model& model, std::span<const float> residuals, std::span<float> logits) {
  const Config& cfg = model.config();
  const size_t H = cfg.hidden, V = cfg.vocab;
  const size_t n = residuals.size() / H;
  if (residuals.empty() || residuals.size() != n * H || logits.size() != n * V)
    throw gptoss::Error("engine: lens_logits: expected residuals [n, " + std::to_string(H) +
                        "] and logits [n, " + std::to_string(V) + "] (found " +
                        std::to_string(residuals.size()) + " and " + std::to_string(logits.size()) +
                        " floats)");
  const Model::Impl& m = model.impl();
  const Weights& w = m.weights();
  // t = rmsnorm(x, norm); logits = lm_head t, in row batches that bound the scratch
  constexpr size_t kRows = 64;
  std::vector<float> t(std::min(n, kRows) * H);
  std::vector<float> tile(static_cast<size_t>(kMatmulTileRows) * H);
  // fast: the unembedding's 8-bit copy (streaming keeps no other), as the forward pass reads it
  std::vector<int8_t> in_q8(m.q8 ? t.size() : 0);
  std::vector<float> in_q8_scales(in_q8.size() / kQ8Block), in_q8_rounded(in_q8.size());
  for (size_t r0 = 0; r0 < n; r0 += kRows) {
    const int rows = static_cast<int>(std::min(kRows, n - r0));
    m.kernels->rmsnorm_bf16w_f32(t.data(), residuals.data() + r0 * H, w.final_norm.data, rows, static_cast<int>(H),
                      cfg.rms_norm_eps);
    if (m.q8)
      m.kernels->matmul_q8w_f32(logits.data() + r0 * V, static_cast<int>(V), m.q8->unembed(), t.data(), rows,
                                nullptr, {in_q8.data(), in_q8_scales.data(), in_q8_rounded.data()},
                                tile.data(), m.threads);
    else
      m.kernels->matmul_bf16w_f32(logits.data() + r0 * V, static_cast<int>(V), w.unembed, t.data(), rows,
                                  nullptr, tile.data(), m.threads);
  }
}

}  // namespace gptoss::engine
