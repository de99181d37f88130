#include "engine/forward.h"

#include <algorithm>
#include <cstring>

#include "engine/bf16.h"
#include "engine/inspect.h"
#include "engine/kernels.h"
#include "engine/model_impl.h"
#include "engine/mxfp4_q8.h"
#include "engine/q8_weights.h"
#include "engine/rope.h"
#include "engine/streamed_weights.h"

namespace gptoss::engine {

Activations::Activations(const Config& cfg, int max_batch_, int threads)
    : max_batch(max_batch_),
      x(static_cast<size_t>(max_batch_) * cfg.hidden),
      t(static_cast<size_t>(max_batch_) * cfg.hidden),
      q(static_cast<size_t>(max_batch_) * cfg.n_heads * cfg.head_dim),
      k(static_cast<size_t>(max_batch_) * cfg.n_kv_heads * cfg.head_dim),
      v(static_cast<size_t>(max_batch_) * cfg.n_kv_heads * cfg.head_dim),
      attn(static_cast<size_t>(max_batch_) * cfg.n_heads * cfg.head_dim),
      proj(static_cast<size_t>(max_batch_) * cfg.hidden),
      router(static_cast<size_t>(max_batch_) * cfg.n_experts),
      expert_ids(static_cast<size_t>(max_batch_) * cfg.experts_per_token),
      expert_w(static_cast<size_t>(max_batch_) * cfg.experts_per_token),
      cos(static_cast<size_t>(max_batch_) * cfg.head_dim / 2),
      sin(static_cast<size_t>(max_batch_) * cfg.head_dim / 2),
      attn_scratch(attention_scratch_floats(cfg.n_heads, cfg.head_dim, threads)),
      tile(max_batch_ >= 3
               ? static_cast<size_t>(kMatmulTileRows) * std::max(cfg.hidden, cfg.n_heads * cfg.head_dim)
               : 0),
      in_q8(static_cast<size_t>(max_batch_) * cfg.hidden),
      in_q8_scales(in_q8.size() / kQ8Block + 1),
      in_q8_rounded(max_batch_ >= 3 ? in_q8.size() : 0),
      moe(max_batch_, cfg.hidden, cfg.intermediate, cfg.n_experts, cfg.experts_per_token),
      wanted(cfg.n_experts),
      guess_ids(cfg.experts_per_token),
      guess_weights(cfg.experts_per_token),
      guessed(cfg.n_experts) {}

uint64_t activations_bytes(const Config& cfg, int max_batch, int cache_capacity, int threads) {
  const uint64_t B = max_batch, H = cfg.hidden, I = cfg.intermediate, E = cfg.n_experts,
                 K = cfg.experts_per_token, QD = static_cast<uint64_t>(cfg.n_heads) * cfg.head_dim,
                 KVD = static_cast<uint64_t>(cfg.n_kv_heads) * cfg.head_dim;
  const uint64_t in_q8 = B * H;  // int8 values; their scales and widened copy in floats
  const uint64_t floats = B * (3 * H + 2 * QD + 2 * KVD + E + 2 * K + cfg.head_dim) + in_q8 / kQ8Block + 1 +
                          (B >= 3 ? in_q8 : 0) + static_cast<uint64_t>(cache_capacity) * threads +
                          (B >= 3 ? kMatmulTileRows * std::max(H, QD) : 0) + B * K * (H + 2 * I + I + H) +
                          I;  // moe: t_split, u, h_split, y; h
  const uint64_t moe_q8 = B * K *
                          (mxfp4_q8_input_bytes(cfg.hidden, kMoeW1InputLevels) +
                           mxfp4_q8_input_bytes(cfg.intermediate, kMoeW2InputLevels));
  return floats * sizeof(float) + B * K * 2 * sizeof(int) + in_q8 + moe_q8;
}

namespace {

// The sink's share of every head's softmax mass, for each of the n queries of layer l.
void observe_sink_shares(Observer& observer, const Activations& a, const KvCache& cache,
                         const Model::Impl& model, int l, int p0, int n) {
  const Config& cfg = model.cfg();
  const int NH = cfg.n_heads, NKV = cfg.n_kv_heads, D = cfg.head_dim;
  std::vector<float> shares(NH);  // allocated only while observed
  for (int i = 0; i < n; ++i) {
    sink_shares_f32(shares.data(), a.q.data() + static_cast<size_t>(i) * NH * D, cache, l, p0 + i,
                    model.sinks.data() + static_cast<size_t>(l) * NH, NH, NKV, D);
    observer.on_sink_shares(l, p0 + i, shares);
  }
}

}  // namespace

uint64_t forward_f32(float* logits, LogitRows rows, const Model::Impl& model, KvCache& cache, Activations& a,
                     const int32_t* tokens, int n, Observer* observer) {
  const Config& cfg = model.cfg();
  const Weights& w = model.weights();
  const int H = cfg.hidden, D = cfg.head_dim, NH = cfg.n_heads, NKV = cfg.n_kv_heads;
  const int E = cfg.n_experts, K = cfg.experts_per_token, V = cfg.vocab;
  const int threads = model.threads;
  const Kernels& kernels = *model.kernels;
  const int p0 = cache.size();
  const size_t q_row = static_cast<size_t>(NH) * D, kv_row = static_cast<size_t>(NKV) * D;
  uint64_t expert_bytes = 0;

  // x = embed[token]
  for (int i = 0; i < n; ++i) {
    if (model.stream)  // read from disk, one row per token
      model.stream->embedding_row_f32(a.x.data() + static_cast<size_t>(i) * H, tokens[i], a.expert_counters);
    else
      widen_bf16_f32(a.x.data() + static_cast<size_t>(i) * H, w.embed.row(tokens[i]), H);
  }
  // cos/sin of each position, shared by every layer and head
  for (int i = 0; i < n; ++i)
    rope_cos_sin_f32(a.cos.data() + i * (D / 2), a.sin.data() + i * (D / 2), model.rope, p0 + i);

  for (int l = 0; l < cfg.n_layers; ++l) {
    const LayerWeights& lw = w.layers[l];
    // t = rmsnorm(x, input_layernorm)
    kernels.rmsnorm_bf16w_f32(a.t.data(), a.x.data(), lw.attn_norm.data, n, H, cfg.rms_norm_eps);
    // q = Wq t + bq ; k = Wk t + bk ; v = Wv t + bv
    if (n == 1) {  // decode: the three share one parallel loop
      const Bf16Matvec qkv[3] = {
          {a.q.data(), lw.wq, lw.bq.data}, {a.k.data(), lw.wk, lw.bk.data}, {a.v.data(), lw.wv, lw.bv.data}};
      kernels.matvecs_bf16w_f32(qkv, 3, a.t.data(), threads);
    } else {
      kernels.matmul_bf16w_f32(a.q.data(), NH * D, lw.wq, a.t.data(), n, lw.bq.data, a.tile.data(), threads);
      kernels.matmul_bf16w_f32(a.k.data(), NKV * D, lw.wk, a.t.data(), n, lw.bk.data, a.tile.data(), threads);
      kernels.matmul_bf16w_f32(a.v.data(), NKV * D, lw.wv, a.t.data(), n, lw.bv.data, a.tile.data(), threads);
    }
    // rotate q, k by position p (YaRN RoPE), per head; keep k, v at p in the cache
    for (int i = 0; i < n; ++i) {
      const float* cos = a.cos.data() + i * (D / 2);
      const float* sin = a.sin.data() + i * (D / 2);
      rope_rotate_f32(a.q.data() + i * q_row, cos, sin, NH, D);
      rope_rotate_f32(a.k.data() + i * kv_row, cos, sin, NKV, D);
      cache.store(l, p0 + i, a.k.data() + i * kv_row, a.v.data() + i * kv_row);
    }
    // out_h = softmax([s_j ..., sink_h]) . v  over visible j (window on sliding layers)
    kernels.attention_f32(a.attn.data(), a.q.data(), cache, l, p0, n,
                          model.sinks.data() + static_cast<size_t>(l) * NH, NH, NKV, D, a.attn_scratch.data(),
                          threads);
    if (observer && observer->wants_sink_shares()) observe_sink_shares(*observer, a, cache, model, l, p0, n);
    // x = x + Wo concat(out_h) + bo
    kernels.matmul_bf16w_f32(a.proj.data(), H, lw.wo, a.attn.data(), n, lw.bo.data, a.tile.data(), threads);
    for (size_t i = 0; i < static_cast<size_t>(n) * H; ++i) a.x[i] += a.proj[i];
    // t = rmsnorm(x, post_attention_layernorm)
    kernels.rmsnorm_bf16w_f32(a.t.data(), a.x.data(), lw.mlp_norm.data, n, H, cfg.rms_norm_eps);
    // r = Wr t + br ; top-k experts, weights = softmax over those k
    for (int i = 0; i < n; ++i) {
      float* r = a.router.data() + static_cast<size_t>(i) * E;
      kernels.matvec_bf16w_f32(r, lw.router, a.t.data() + static_cast<size_t>(i) * H, lw.router_bias.data,
                               threads);
      route_topk_f32(a.expert_ids.data() + i * K, a.expert_w.data() + i * K, r, E, K);
      if (observer)
        observer->on_routing(
            l, p0 + i, {a.expert_ids.data() + i * K, static_cast<size_t>(K)},
            {a.expert_w.data() + i * K, static_cast<size_t>(K)},
            observer->wants_router_logits() ? std::span<const float>(r, E) : std::span<const float>());
    }
    // x = x + sum_e weight_e * W2_e swiglu(W1_e t + b1_e) + b2_e
    LayerExperts experts(model, l, a, n);  // mapped, or streamed with layer l+1's guess prefetched
    a.moe.q8_inputs = model.precision == Precision::kFast;
    expert_bytes += moe_experts_f32(a.x.data(), experts, a.t.data(), a.expert_ids.data(), a.expert_w.data(),
                                    n, K, cfg.swiglu_limit, a.moe, kernels, threads);
    if (observer && observer->wants_residual())
      for (int i = 0; i < n; ++i)
        observer->on_residual(l, p0 + i, {a.x.data() + static_cast<size_t>(i) * H, static_cast<size_t>(H)});
  }
  cache.append(n);

  // logits = lm_head rmsnorm(x, norm)
  if (rows == LogitRows::kLast) {
    kernels.rmsnorm_bf16w_f32(a.t.data(), a.x.data() + static_cast<size_t>(n - 1) * H, w.final_norm.data, 1,
                              H, cfg.rms_norm_eps);
    if (model.q8) {  // fast: the 8-bit block copy
      kernels.quantize_q8_f32(a.in_q8.data(), a.in_q8_scales.data(), a.t.data(), H);
      kernels.matvec_q8w_q8(logits, model.q8->unembed(), a.in_q8.data(), a.in_q8_scales.data(), nullptr,
                            threads);
    } else {
      kernels.matvec_bf16w_f32(logits, w.unembed, a.t.data(), nullptr, threads);
    }
  } else if (rows == LogitRows::kAll) {
    kernels.rmsnorm_bf16w_f32(a.t.data(), a.x.data(), w.final_norm.data, n, H, cfg.rms_norm_eps);
    if (model.q8)
      kernels.matmul_q8w_f32(logits, V, model.q8->unembed(), a.t.data(), n, nullptr,
                             {a.in_q8.data(), a.in_q8_scales.data(), a.in_q8_rounded.data()}, a.tile.data(),
                             threads);
    else
      kernels.matmul_bf16w_f32(logits, V, w.unembed, a.t.data(), n, nullptr, a.tile.data(), threads);
  }
  return expert_bytes;
}

}  // namespace gptoss::engine
