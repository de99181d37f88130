// Grouped-query attention with a per-head sink logit and, on sliding layers, a window
// (model.md "for head h"): query head h reads KV head g = h / (NH/NKV). Called through Kernels
// (kernels.h), one copy per target.
#pragma once

#include "engine/kv_cache.h"

namespace gptoss::engine {

#if defined(GPTOSS_KERNEL_NS)
namespace GPTOSS_KERNEL_NS {
// For the n queries at positions p0 .. p0+n-1 of layer l (their keys and values already in the
// cache): out[t, h*D : (h+1)*D] = sum_j a_j v_{g,j}, with
//   s_j = (q_h . k_{g,j}) / sqrt(D)  for j <= p and, when W = cache.window(l) > 0, p - j < W;
//   a = softmax([s_j ..., sinks[h]]), the sink's share dropped.
// q, out: [n, NH*D] f32; sinks: [NH] f32. The query heads of one KV head are done together, in
// one pass over its keys and values with an online softmax. OpenMP over (token, KV head).
void attention_f32(float* out, const float* q, const KvCache& cache, int l, int p0, int n, const float* sinks,
                   int NH, int NKV, int D, int threads);
}  // namespace GPTOSS_KERNEL_NS
#endif

}  // namespace gptoss::engine
