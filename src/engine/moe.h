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

// One expert's weights: mlp1 and mlp2 views with n_experts = 1 (expert_blocks(0)...).
struct ExpertView {
  Mxfp4Experts mlp1;  // rows 2I, cols H
  Mxfp4Experts mlp2;  // rows H, cols I
};

// Expert e of a layer's weights, as a view.
ExpertView expert_view(const LayerWeights& lw, int e);

// Where moe_experts_f32 gets the experts its tokens picked: all at once from the mapping, or
// as they arrive from disk (expert_cache.h).
class ExpertSupply {
 public:
  virtual ~ExpertSupply() = default;
  // The experts `used` [n] (ascending, each once) will be taken; called once, before take().
  virtual void request(const int* used, int n) = 0;
  // Waits until at least one requested expert not yet taken is available and hands out every
  // available one: ids into `ids`, views into `views` (room for n of request()); returns how
  // many (>= 1). The views stay valid until give_back(). Throws gptoss::Error if a read failed.
  virtual int take(int* ids, ExpertView* views) = 0;
  // The experts of the last take() are no longer needed.
  virtual void give_back() = 0;
};

// Every expert of one layer's mapped weights, in one take().
class MappedExperts : public ExpertSupply {
 public:
  explicit MappedExperts(const LayerWeights& lw) : lw_(lw) {}
  void request(const int* used, int n) override {
    used_ = used;
    n_ = n;
  }
  int take(int* ids, ExpertView* views) override;
  void give_back() override {}

 private:
  const LayerWeights& lw_;
  const int* used_ = nullptr;
  int n_ = 0;
};

// Levels of the `fast` experts' 8-bit inputs (mxfp4_q8.h). One level for W2's input (the SwiGLU
// output) took the tiny model out of the precision band (max error 0.71 against 0.47 allowed,
// mean KL 5.4e-4 against 2.5e-4); one level for W1's input (a normalised vector) stays inside it.
inline constexpr int kMoeW1InputLevels = 1, kMoeW2InputLevels = 2;

// Scratch for moe_experts_f32, sized once for batches of up to max_tokens. Rows indexed by "pick"
// q are the (token, slot) pairs grouped by expert: expert e owns q in [expert_start[e], ..[e+1]).
struct MoeScratch {
  MoeScratch(int max_tokens, int H, int I, int E, int K);
  int H = 0, I = 0;
  int threads = 1;                // of the current call
  bool q8_inputs = false;         // of the current call: `fast`, experts take 8-bit inputs (mxfp4_q8.h)
  const Kernels* kernels = nullptr;  // of the current call
  std::vector<int> expert_count;  // [E] tokens that picked expert e
  std::vector<int> expert_start;  // [E + 1] offsets into `picks`
  std::vector<int> used;          // [E] experts picked by at least one token, ascending
  std::vector<int> ready;         // [E] the experts of one take(), in arrival order
  std::vector<ExpertView> views;  // [E] their weights
  std::vector<int> picks;         // [max_tokens * K] q -> t * K + k
  std::vector<int> pick_of_slot;  // [max_tokens * K] t * K + k -> q
  std::vector<float> t_split;     // [max_tokens * K, mxfp4_split_size(H)] expert inputs, split
  std::vector<float> u;           // [max_tokens * K, 2I]
  std::vector<float> h;           // [I] one SwiGLU output before splitting
  std::vector<float> h_split;     // [max_tokens * K, mxfp4_split_size(I)]
  std::vector<float> y;           // [max_tokens * K, H] expert outputs
  // The same inputs in 8 bits (`fast`), in mxfp4_q8_input_bytes(H or I, kMoeW1/W2InputLevels) rows:
  std::vector<uint8_t> t_q8;  // [max_tokens * K, ...(H, kMoeW1InputLevels)] expert inputs
  std::vector<uint8_t> h_q8;  // [max_tokens * K, ...(I, kMoeW2InputLevels)] SwiGLU outputs
};

// x[t] += sum_k weight[t, k] * y_{e(t,k)}(t[t]) for t < n, with
//   y_e(t) = W2_e swiglu(W1_e t + b1_e) + b2_e.
// With scratch.q8_inputs the experts' inputs are quantised to 8-bit blocks first (`fast`): W1's
// in one level, W2's (the SwiGLU output, with outliers) in two (mxfp4_q8.h).
// Each picked expert's packed blocks are decoded once per batch for all its tokens; all experts'
// W1 rows share one parallel loop, then all W2 rows another. The K outputs of a token are summed
// in k order, so a token's result does not depend on the batch.
// Experts are computed in the order `experts` hands them out (each pick's output row is its own,
// so the order changes no bit). Returns the MXFP4 bytes (blocks + scales) of the experts used.
// Throws what experts.take() throws; x is then partly updated (the caller drops the batch).
uint64_t moe_experts_f32(float* x, ExpertSupply& experts, const float* t, const int* expert_ids,
                         const float* expert_weights, int n, int K, float swiglu_limit, MoeScratch& scratch,
                         const Kernels& kernels, int threads);

// The experts of one layer's mapped weights.
inline uint64_t moe_experts_f32(float* x, const LayerWeights& lw, const float* t, const int* expert_ids,
                                const float* expert_weights, int n, int K, float swiglu_limit,
                                MoeScratch& scratch, const Kernels& kernels, int threads) {
  MappedExperts experts(lw);
  return moe_experts_f32(x, experts, t, expert_ids, expert_weights, n, K, swiglu_limit, scratch, kernels, threads);
}

}  // namespace gptoss::engine
