// Grouped-query attention with a per-head sink logit and, on sliding layers, a window
// (model.md "for head h"): query head h reads KV head g = h / (NH/NKV).
#pragma once

#include "engine/kv_cache.h"

namespace gptoss::engine {

// For the n queries at positions p0 .. p0+n-1 of layer l (their keys and values already in the
// cache): out[t, h*D : (h+1)*D] = sum_j a_j v_{g,j}, with
//   s_j = (q_h . k_{g,j}) / sqrt(D)  for j <= p and, when W = cache.window(l) > 0, p - j < W;
//   a = softmax([s_j ..., sinks[h]]), the sink's share dropped.
// q, out: [n, NH*D] f32; sinks: [NH] f32. scores: scratch of threads * cache.ring-or-capacity
// floats (attention_scores_size). OpenMP over (token, head).
void attention_f32(float* out, const float* q, const KvCache& cache, int l, int p0, int n, const float* sinks,
                   int NH, int NKV, int D, float* scores, int threads);

// Floats of `scores` scratch attention_f32 needs.
inline size_t attention_scores_size(const KvCache& cache, int threads) {
  return static_cast<size_t>(cache.capacity()) * threads;
}

// One head of one query: the spec's three lines, scalar-clear. scores has room for p + 1 floats.
void attend_head_f32(float* out, const float* q_h, const KvCache& cache, int l, int g, int p, float sink,
                     int D, float* scores);

}  // namespace gptoss::engine
