// Mixture of experts (model.md, from "r = Wr t + br" to "x = x + sum_e weight_e * y_e"):
// router top-k, softmax over the chosen k, clamped SwiGLU, MXFP4 experts grouped by token.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/kernels.h"
#include "engine/weights.h"

namespace gptoss::engine {

// The K largest of router_logits [E] into expert_ids [K], largest first, ties to the lower index;
// expert_weights [K] = softmax over those K logits only.
void route_topk_f32(int* expert_ids, float* expert_weights, const float* router_logits, int E, int K);

// h[i] = g sigmoid(1.702 g) (l + 1) with g = min(u[2i], limit), l = clamp(u[2i+1], -limit, limit),
// for i < I: u [2I] interleaves gate (even) and linear (odd) entries.
void swiglu_clamped_f32(float* h, const float* u, int I, float limit);

// Scratch for moe_experts_f32, sized once for batches of up to max_tokens. Rows indexed by "pick"
// q are the (token, slot) pairs grouped by expert: expert e owns q in [expert_start[e], ..[e+1]).
struct MoeScratch {
  MoeScratch(int max_tokens, int H, int I, int E, int K);
  std::vector<int> expert_count;  // [E] tokens that picked expert e
  std::vector<int> expert_start;  // [E + 1] offsets into `picks`
  std::vector<int> used;          // [E] experts picked by at least one token, ascending
  std::vector<int> picks;         // [max_tokens * K] q -> t * K + k
  std::vector<int> pick_of_slot;  // [max_tokens * K] t * K + k -> q
  std::vector<float> t_split;     // [max_tokens * K, mxfp4_split_size(H)] expert inputs, split
  std::vector<float> u;           // [max_tokens * K, 2I]
  std::vector<float> h;           // [I] one SwiGLU output before splitting
  std::vector<float> h_split;     // [max_tokens * K, mxfp4_split_size(I)]
  std::vector<float> y;           // [max_tokens * K, H] expert outputs
};

// x[t] += sum_k weight[t, k] * y_{e(t,k)}(t[t]) for t < n, with
//   y_e(t) = W2_e swiglu(W1_e t + b1_e) + b2_e.
// Each picked expert's packed blocks are decoded once per batch for all its tokens; all experts'
// W1 rows share one parallel loop, then all W2 rows another. The K outputs of a token are summed
// in k order, so a token's result does not depend on the batch.
// Returns the MXFP4 bytes (blocks + scales) of the experts it read.
uint64_t moe_experts_f32(float* x, const LayerWeights& lw, const float* t, const int* expert_ids,
                         const float* expert_weights, int n, int K, float swiglu_limit, MoeScratch& scratch,
                         const Kernels& kernels, int threads);

}  // namespace gptoss::engine
