#include "engine/moe.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/mxfp4.h"
#include "engine/mxfp4_q8.h"

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

MoeScratch::MoeScratch(int max_tokens, int H_, int I_, int E, int K)
    : H(H_),
      I(I_),
      expert_count(E),
      expert_start(E + 1),
      used(E),
      ready(E),
      views(E),
      picks(static_cast<size_t>(max_tokens) * K),
      pick_of_slot(static_cast<size_t>(max_tokens) * K),
      t_split(static_cast<size_t>(max_tokens) * K * mxfp4_split_size(H_)),
      u(static_cast<size_t>(max_tokens) * K * 2 * I_),
      h(I_),
      h_split(static_cast<size_t>(max_tokens) * K * mxfp4_split_size(I_)),
      y(static_cast<size_t>(max_tokens) * K * H_),
      t_q8(static_cast<size_t>(max_tokens) * K * mxfp4_q8_input_bytes(H_, kMoeW1InputLevels)),
      h_q8(static_cast<size_t>(max_tokens) * K * mxfp4_q8_input_bytes(I_, kMoeW2InputLevels)) {}

namespace {

// The inputs of one expert matmul: split f32 rows, or 8-bit rows when s.q8_inputs.
struct ExpertInputs {
  const float* split;
  size_t split_stride;  // floats
  const uint8_t* q8;
  int q8_levels;
  size_t q8_stride;  // bytes
};

// rows x (cols) of the experts ids [n_ready] in one parallel loop over (expert, row chunk):
// out + q0(e) * rows gets expert e applied to its picks' inputs (row q0(e) on).
void experts_matmul(float* out, Mxfp4Experts ExpertView::*which, ExpertInputs x, const MoeScratch& s,
                    int n_ready) {
  const Mxfp4Experts& shape = s.views[0].*which;
  const int rows = shape.rows, cols = shape.cols;
  const int chunks = (rows + kMxfp4RowChunk - 1) / kMxfp4RowChunk;
  const int items = n_ready * chunks;
  const bool parallel = static_cast<long>(rows) * cols * n_ready >= (1 << 16);
#pragma omp parallel for num_threads(s.threads) schedule(dynamic, 1) if (parallel)
  for (int item = 0; item < items; ++item) {
    const int i = item / chunks, e = s.ready[i];
    const Mxfp4Experts& w = s.views[i].*which;
    const int q0 = s.expert_start[e], ne = s.expert_count[e];
    const int r0 = (item % chunks) * kMxfp4RowChunk;
    const int r1 = r0 + kMxfp4RowChunk < rows ? r0 + kMxfp4RowChunk : rows;
    float* out_e = out + static_cast<size_t>(q0) * rows;
    if (s.q8_inputs)
      s.kernels->matmul_mxfp4w_q8_rows(out_e, w.expert_blocks(0), w.expert_scales(0), w.expert_bias(0), rows,
                                       cols, x.q8 + q0 * x.q8_stride, x.q8_levels, ne, r0, r1);
    else
      s.kernels->matmul_mxfp4w_f32_rows(out_e, w.expert_blocks(0), w.expert_scales(0), w.expert_bias(0), rows,
                                        cols, x.split + q0 * x.split_stride, ne, r0, r1);
  }
}

}  // namespace

ExpertView expert_view(const LayerWeights& lw, int e) {
  auto one = [e](const Mxfp4Experts& m) {
    return Mxfp4Experts{m.expert_blocks(e), m.expert_scales(e), m.expert_bias(e), 1, m.rows, m.cols};
  };
  return {one(lw.mlp1), one(lw.mlp2)};
}

int MappedExperts::take(int* ids, ExpertView* views) {
  for (int i = 0; i < n_; ++i) {
    ids[i] = used_[i];
    views[i] = expert_view(lw_, used_[i]);
  }
  return n_;
}

uint64_t moe_experts_f32(float* x, ExpertSupply& experts, const float* t, const int* expert_ids,
                         const float* expert_weights, int n, int K, float swiglu_limit, MoeScratch& s,
                         const Kernels& kernels, int threads) {
  const int E = static_cast<int>(s.expert_count.size()), H = s.H, I = s.I;
  const size_t Hs = mxfp4_split_size(H), Is = mxfp4_split_size(I);
  // Group the (token, slot) picks by expert: a counting sort, stable in (t, k).
  std::fill(s.expert_count.begin(), s.expert_count.end(), 0);
  for (int i = 0; i < n * K; ++i) s.expert_count[expert_ids[i]]++;
  s.expert_start[0] = 0;
  int n_used = 0;
  uint64_t bytes_read = 0;
  for (int e = 0; e < E; ++e) {
    s.expert_start[e + 1] = s.expert_start[e] + s.expert_count[e];
    if (s.expert_count[e] == 0) continue;
    s.used[n_used++] = e;
  }
  std::fill(s.expert_count.begin(), s.expert_count.end(), 0);
  for (int i = 0; i < n * K; ++i) {
    const int e = expert_ids[i];
    const int q = s.expert_start[e] + s.expert_count[e]++;
    s.picks[q] = i;
    s.pick_of_slot[i] = q;
  }
  const size_t Hq = mxfp4_q8_input_bytes(H, kMoeW1InputLevels),
               Iq = mxfp4_q8_input_bytes(I, kMoeW2InputLevels);
  for (int q = 0; q < n * K; ++q) {
    const float* tq = t + static_cast<size_t>(s.picks[q] / K) * H;
    if (s.q8_inputs)
      quantize_mxfp4_input_q8(s.t_q8.data() + q * Hq, tq, H, kMoeW1InputLevels);
    else
      split_mxfp4_columns_f32(s.t_split.data() + q * Hs, tq, H);
  }

  s.threads = threads;
  s.kernels = &kernels;
  experts.request(s.used.data(), n_used);
  for (int done = 0; done < n_used;) {
    const int n_ready = experts.take(s.ready.data(), s.views.data());
    const ExpertView& v = s.views[0];
    bytes_read +=
        static_cast<uint64_t>(n_ready) * (v.mlp1.expert_block_bytes() + v.mlp1.expert_scale_bytes() +
                                          v.mlp2.expert_block_bytes() + v.mlp2.expert_scale_bytes());
    // u = W1_e t + b1_e
    experts_matmul(s.u.data(), &ExpertView::mlp1,
                   {s.t_split.data(), Hs, s.t_q8.data(), kMoeW1InputLevels, Hq}, s, n_ready);
    // g * sigmoid(1.702 g) * (l + 1), clamped
    for (int i = 0; i < n_ready; ++i) {
      const int e = s.ready[i];
      for (int q = s.expert_start[e]; q < s.expert_start[e + 1]; ++q) {
        swiglu_clamped_f32(s.h.data(), s.u.data() + static_cast<size_t>(q) * 2 * I, I, swiglu_limit);
        if (s.q8_inputs)
          quantize_mxfp4_input_q8(s.h_q8.data() + q * Iq, s.h.data(), I, kMoeW2InputLevels);
        else
          split_mxfp4_columns_f32(s.h_split.data() + q * Is, s.h.data(), I);
      }
    }
    // y_e = W2_e h + b2_e
    experts_matmul(s.y.data(), &ExpertView::mlp2,
                   {s.h_split.data(), Is, s.h_q8.data(), kMoeW2InputLevels, Iq}, s, n_ready);
    experts.give_back();
    done += n_ready;
  }

  // x = x + sum_e weight_e * y_e, summed in k order
  for (int tok = 0; tok < n; ++tok) {
    float* xt = x + static_cast<size_t>(tok) * H;
    for (int c = 0; c < H; ++c) {
      float sum = 0.0f;
      for (int k = 0; k < K; ++k)
        sum += expert_weights[tok * K + k] * s.y[static_cast<size_t>(s.pick_of_slot[tok * K + k]) * H + c];
      xt[c] += sum;
    }
  }
  return bytes_read;
}

}  // namespace gptoss::engine
