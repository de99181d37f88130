// The forward pass: model.md's "one forward step", for a batch of tokens at consecutive positions.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/engine.h"
#include "engine/kernels.h"
#include "engine/expert_cache.h"
#include "engine/kv_cache.h"
#include "engine/moe.h"

namespace gptoss::engine {

// All per-step scratch (llama2.c RunState, gemma Activations), sized once for batches of up to
// max_batch tokens; a step allocates nothing.
struct Activations {
  Activations(const Config& cfg, int max_batch, int threads);

  int max_batch;
  std::vector<float> x;         // [B, H] residual stream
  std::vector<float> t;         // [B, H] normed residual
  std::vector<float> q;         // [B, NH*D]
  std::vector<float> k, v;      // [B, NKV*D]
  std::vector<float> attn;      // [B, NH*D] concatenated head outputs
  std::vector<float> proj;      // [B, H] attention output projection
  std::vector<float> router;    // [B, E]
  std::vector<int> expert_ids;  // [B, K]
  std::vector<float> expert_w;  // [B, K]
  std::vector<float> cos, sin;  // [B, D/2] YaRN, per token position
  std::vector<float> attn_scratch;  // attention_scratch_floats
  std::vector<float> tile;      // kMatmulTileRows * max(H, NH*D): widened bf16 weights for sgemm
  // fast: the unembedding's input in 8-bit blocks (matvec_q8.h)
  std::vector<int8_t> in_q8;         // [B, H]
  std::vector<float> in_q8_scales;   // [B, H/32]
  std::vector<float> in_q8_rounded;  // [B, H] for B >= 3: widened back for sgemm
  MoeScratch moe;
  // Streaming (streamed_weights.h): the experts still wanted, the next layer's guess, counters.
  std::vector<int> wanted;           // [E]
  std::vector<int> guess_ids;        // [K] one token's guess
  std::vector<float> guess_weights;  // [K]
  std::vector<int> guessed;          // [E] the batch's guessed experts
  ExpertCounters expert_counters;    // of the current forward_f32 call
};

// Bytes an Activations(cfg, max_batch, cache_capacity, threads) holds.
uint64_t activations_bytes(const Config& cfg, int max_batch, int cache_capacity, int threads);

enum class LogitRows { kNone, kLast, kAll };

// Appends tokens [n] (n <= a.max_batch and cache.max_batch(); ids already checked) at positions
// cache.size() ... and writes logits: none, [V] of the last token (kLast) or [n, V] (kAll).
// Returns the MXFP4 bytes of the experts read. `observer` (may be null) sees routing, sink shares
// and residuals as they are computed.
uint64_t forward_f32(float* logits, LogitRows rows, const Model::Impl& model, KvCache& cache, Activations& a,
                     const int32_t* tokens, int n, Observer* observer = nullptr);

}  // namespace gptoss::engine
