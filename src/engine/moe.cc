#include "engine/moe.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/mxfp4.h"

namespace gptoss::engine {

void route_topk_f32(int* expert_ids, float* expert_weights, const float* router_logits, int E, int K) {
  // Selection by repeated scans: E is small (32 or 128) and K = 4. A strictly greater logit
  // wins, so among equals the lower index is taken first.
  for (int k = 0; k < K; ++k) {
    int best = -1;
    for (int e = 0; e < E; ++e) {
      bool taken = false;
      for (int i = 0; i < k; ++i) taken |= expert_ids[i] == e;
      if (!taken && (best < 0 || router_logits[e] > router_logits[best])) best = e;
    }
    expert_ids[k] = best;
  }
  // weights = softmax over the K chosen logits; the first is the largest.
  const float top = router_logits[expert_ids[0]];
  float sum = 0.0f;
  for (int k = 0; k < K; ++k) {
    expert_weights[k] = std::exp(router_logits[expert_ids[k]] - top);
    sum += expert_weights[k];
  }
  for (int k = 0; k < K; ++k) expert_weights[k] /= sum;
}

void swiglu_clamped_f32(float* h, const float* u, int I, float limit) {
  constexpr float kAlpha = 1.702f;
  for (int i = 0; i < I; ++i) {
    const float g = std::min(u[2 * i], limit);
    const float l = std::clamp(u[2 * i + 1], -limit, limit);
    h[i] = g / (1.0f + std::exp(-kAlpha * g)) * (l + 1.0f);
  }
}

MoeScratch::MoeScratch(int max_tokens, int H, int I, int E, int K)
    : expert_count(E),
      expert_start(E + 1),
      picks(static_cast<size_t>(max_tokens) * K),
      t_split(static_cast<size_t>(max_tokens) * mxfp4_split_size(H)),
      u(static_cast<size_t>(max_tokens) * 2 * I),
      h(static_cast<size_t>(max_tokens) * I),
      h_split(static_cast<size_t>(max_tokens) * mxfp4_split_size(I)),
      y(static_cast<size_t>(max_tokens) * H),
      y_slots(static_cast<size_t>(max_tokens) * K * H) {}

uint64_t moe_experts_f32(float* x, const LayerWeights& lw, const float* t, const int* expert_ids,
                         const float* expert_weights, int n, int K, float swiglu_limit, MoeScratch& s,
                         int threads) {
  const Mxfp4Experts& w1 = lw.mlp1;  // rows 2I, cols H
  const Mxfp4Experts& w2 = lw.mlp2;  // rows H, cols I
  const int E = w1.n_experts, H = w1.cols, I = w2.cols;
  // Group the (token, slot) picks by expert: a counting sort, stable in (t, k).
  std::fill(s.expert_count.begin(), s.expert_count.end(), 0);
  for (int i = 0; i < n * K; ++i) s.expert_count[expert_ids[i]]++;
  s.expert_start[0] = 0;
  for (int e = 0; e < E; ++e) s.expert_start[e + 1] = s.expert_start[e] + s.expert_count[e];
  std::fill(s.expert_count.begin(), s.expert_count.end(), 0);
  for (int i = 0; i < n * K; ++i) {
    const int e = expert_ids[i];
    s.picks[s.expert_start[e] + s.expert_count[e]++] = i;
  }

  uint64_t bytes_read = 0;
  for (int e = 0; e < E; ++e) {
    const int ne = s.expert_count[e];
    if (ne == 0) continue;
    const int* picks = s.picks.data() + s.expert_start[e];
    bytes_read += w1.expert_block_bytes() + w1.expert_scale_bytes() + w2.expert_block_bytes() +
                  w2.expert_scale_bytes();
    for (int i = 0; i < ne; ++i)
      split_mxfp4_columns_f32(s.t_split.data() + static_cast<size_t>(i) * mxfp4_split_size(H), t + static_cast<size_t>(picks[i] / K) * H, H);
    // u = W1_e t + b1_e
    matmul_mxfp4w_f32(s.u.data(), w1.expert_blocks(e), w1.expert_scales(e), w1.expert_bias(e), w1.rows, H,
                      s.t_split.data(), ne, threads);
    // g * sigmoid(1.702 g) * (l + 1), clamped
    for (int i = 0; i < ne; ++i) {
      float* h = s.h.data() + static_cast<size_t>(i) * I;
      swiglu_clamped_f32(h, s.u.data() + static_cast<size_t>(i) * 2 * I, I, swiglu_limit);
      split_mxfp4_columns_f32(s.h_split.data() + static_cast<size_t>(i) * mxfp4_split_size(I), h, I);
    }
    // y_e = W2_e h + b2_e
    matmul_mxfp4w_f32(s.y.data(), w2.expert_blocks(e), w2.expert_scales(e), w2.expert_bias(e), H, I,
                      s.h_split.data(), ne, threads);
    for (int i = 0; i < ne; ++i) {
      const float weight = expert_weights[picks[i]];
      const float* y = s.y.data() + static_cast<size_t>(i) * H;
      float* slot = s.y_slots.data() + static_cast<size_t>(picks[i]) * H;
      for (int c = 0; c < H; ++c) slot[c] = weight * y[c];
    }
  }
  // x = x + sum_e weight_e * y_e, summed in k order
  for (int tok = 0; tok < n; ++tok) {
    float* xt = x + static_cast<size_t>(tok) * H;
    const float* slots = s.y_slots.data() + static_cast<size_t>(tok) * K * H;
    for (int c = 0; c < H; ++c) {
      float sum = 0.0f;
      for (int k = 0; k < K; ++k) sum += slots[static_cast<size_t>(k) * H + c];
      xt[c] += sum;
    }
  }
  return bytes_read;
}

}  // namespace gptoss::engine
