// What the Observer sees that the forward pass does not compute anyway: the attention sink's
// share of each head's softmax mass (attention.cc folds the sink into the denominator only).
#pragma once

#include "engine/kv_cache.h"

namespace gptoss::engine {

// shares[h] = e^(sink_h - m) / (e^(sink_h - m) + sum_j e^(s_j - m)) for the query q [NH*D] at
// position p of layer l, with s_j and the visible j as in attend_head_f32 and m their maximum.
// The keys of positions up to p must be in the cache.
void sink_shares_f32(float* shares, const float* q, const KvCache& cache, int l, int p, const float* sinks,
                     int NH, int NKV, int D);

}  // namespace gptoss::engine
