#include "engine/forward.h"

#include <algorithm>
#include <cstring>

#include "engine/bf16.h"
#include "engine/kernels.h"
#include "engine/model_impl.h"
#include "engine/rope.h"

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
      moe(max_batch_, cfg.hidden, cfg.intermediate, cfg.n_experts, cfg.experts_per_token) {}

uint64_t forward_f32(float* logits, LogitRows rows, const Model::Impl& model, KvCache& cache, Activations& a,
                     const int32_t* tokens, int n) {
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
  for (int i = 0; i < n; ++i)
    widen_bf16_f32(a.x.data() + static_cast<size_t>(i) * H, w.embed.row(tokens[i]), H);
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
      std::memcpy(cache.key(l, p0 + i), a.k.data() + i * kv_row, kv_row * sizeof(float));
      std::memcpy(cache.value(l, p0 + i), a.v.data() + i * kv_row, kv_row * sizeof(float));
    }
    // out_h = softmax([s_j ..., sink_h]) . v  over visible j (window on sliding layers)
    kernels.attention_f32(a.attn.data(), a.q.data(), cache, l, p0, n,
                          model.sinks.data() + static_cast<size_t>(l) * NH, NH, NKV, D, a.attn_scratch.data(),
                          threads);
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
    }
    // x = x + sum_e weight_e * W2_e swiglu(W1_e t + b1_e) + b2_e
    expert_bytes += moe_experts_f32(a.x.data(), lw, a.t.data(), a.expert_ids.data(), a.expert_w.data(), n, K,
                                    cfg.swiglu_limit, a.moe, kernels, threads);
  }
  cache.append(n);

  // logits = lm_head rmsnorm(x, norm)
  if (rows == LogitRows::kLast) {
    kernels.rmsnorm_bf16w_f32(a.t.data(), a.x.data() + static_cast<size_t>(n - 1) * H, w.final_norm.data, 1,
                              H, cfg.rms_norm_eps);
    kernels.matvec_bf16w_f32(logits, w.unembed, a.t.data(), nullptr, threads);
  } else if (rows == LogitRows::kAll) {
    kernels.rmsnorm_bf16w_f32(a.t.data(), a.x.data(), w.final_norm.data, n, H, cfg.rms_norm_eps);
    kernels.matmul_bf16w_f32(logits, V, w.unembed, a.t.data(), n, nullptr, a.tile.data(), threads);
  }
  return expert_bytes;
}

}  // namespace gptoss::engine
