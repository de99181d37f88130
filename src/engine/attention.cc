#include "engine/attention.h"

#include <omp.h>

#include <algorithm>
#include <cmath>

namespace gptoss::engine {

void attend_head_f32(float* out, const float* q_h, const KvCache& cache, int l, int g, int p, float sink,
                     int D, float* scores) {
  const int W = cache.window(l);
  const int j_first = W > 0 ? std::max(0, p - W + 1) : 0;  // sliding: visible iff p - j < W
  const int visible = p - j_first + 1;
  const float inv_sqrt_d = 1.0f / std::sqrt(static_cast<float>(D));
  // s_j = (q_h . k_{g,j}) / sqrt(D)
  float max_logit = sink;
  for (int j = 0; j < visible; ++j) {
    const float* k = cache.key(l, j_first + j) + g * D;
    float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
    for (int d = 0; d < D; ++d) dot += q_h[d] * k[d];
    scores[j] = dot * inv_sqrt_d;
    max_logit = std::max(max_logit, scores[j]);
  }
  // a = softmax([s_j ..., sink]); the sink only enlarges the denominator.
  float denom = std::exp(sink - max_logit);
  for (int j = 0; j < visible; ++j) {
    scores[j] = std::exp(scores[j] - max_logit);
    denom += scores[j];
  }
  const float inv_denom = 1.0f / denom;
  // out_h = sum_j a_j v_{g,j}
  for (int d = 0; d < D; ++d) out[d] = 0.0f;
  for (int j = 0; j < visible; ++j) {
    const float a = scores[j] * inv_denom;
    const float* v = cache.value(l, j_first + j) + g * D;
#pragma omp simd
    for (int d = 0; d < D; ++d) out[d] += a * v[d];
  }
}

void attention_f32(float* out, const float* q, const KvCache& cache, int l, int p0, int n, const float* sinks,
                   int NH, int NKV, int D, float* scores, int threads) {
  const int group = NH / NKV;
  const int items = n * NH;
  const size_t row = static_cast<size_t>(NH) * D;
  // Work ~ queries x heads x visible keys x D; a few thousand multiply-adds are not worth a team.
  const bool parallel = static_cast<long>(items) * (p0 + n) * D >= (1 << 15);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 4) if (parallel)
  for (int item = 0; item < items; ++item) {
    const int t = item / NH, h = item % NH;
    float* my_scores = scores + static_cast<size_t>(omp_get_thread_num()) * cache.capacity();
    attend_head_f32(out + t * row + h * D, q + t * row + h * D, cache, l, h / group, p0 + t, sinks[h], D,
                    my_scores);
  }
}

}  // namespace gptoss::engine
