// Grouped-query attention with a per-head sink logit and, on sliding layers, a window
// (model.md "for head h"): query head h reads KV head g = h / (NH/NKV). Called through Kernels
// (kernels.h), one copy per target.
#pragma once

#include <cstddef>

#include "engine/kv_cache.h"

namespace gptoss::engine {

// Decode cuts the keys into up to this many ranges per thread (balance across a busy machine).
inline constexpr int kRangesPerThread = 2;

// Floats of one slot of attention scratch: an [NH, D] partial output, its running maxima [NH]
// and denominators [NH].
inline size_t attention_scratch_slot_floats(int NH, int D) { return static_cast<size_t>(NH) * (D + 2); }

// Floats of the `scratch` attention_f32 needs with `threads` threads.
inline size_t attention_scratch_floats(int NH, int D, int threads) {
  return attention_scratch_slot_floats(NH, D) * kRangesPerThread * threads;
}

#if defined(GPTOSS_KERNEL_NS)
namespace GPTOSS_KERNEL_NS {
// For the n queries at positions p0 .. p0+n-1 of layer l (their keys and values already in the
// cache): out[t, h*D : (h+1)*D] = sum_j a_j v_{g,j}, with
//   s_j = (q_h . k_{g,j}) / sqrt(D)  for j <= p and, when W = cache.window(l) > 0, p - j < W;
//   a = softmax([s_j ..., sinks[h]]), the sink's share dropped.
// q, out: [n, NH*D] f32; sinks: [NH] f32; scratch: attention_scratch_floats(NH, D, threads).
// One pass over the keys and values with an online softmax, all heads of a position together
// (sequential reads). Keys and values are read as the cache stores them (f32, or bf16 widened).
// A batch runs its queries in parallel; a single query (decode) splits its
// keys into contiguous ranges in parallel and merges their partial softmaxes.
void attention_f32(float* out, const float* q, const KvCache& cache, int l, int p0, int n, const float* sinks,
                   int NH, int NKV, int D, float* scratch, int threads);
}  // namespace GPTOSS_KERNEL_NS
#endif

}  // namespace gptoss::engine
