// Typed views into the mapped checkpoint: no copies. Shapes use model.md's letters.
// Both layouts produce the same views: in the original layout wq/wk/wv are row ranges of the
// fused qkv tensor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gptoss::engine {

// Row-major bf16 matrix [rows, cols].
struct Bf16Matrix {
  const uint16_t* data = nullptr;
  int rows = 0;
  int cols = 0;
  const uint16_t* row(int r) const { return data + static_cast<size_t>(r) * cols; }
};

struct Bf16Vector {
  const uint16_t* data = nullptr;
  int size = 0;
};

// One MXFP4 weight of all experts: blocks [E, rows, cols/32, 16] u8, scales [E, rows, cols/32] u8,
// bias [E, rows] bf16. Byte j of a block holds column 2j (low nibble) and 2j+1 (high nibble).
struct Mxfp4Experts {
  const uint8_t* blocks = nullptr;
  const uint8_t* scales = nullptr;
  const uint16_t* bias = nullptr;
  int n_experts = 0;
  int rows = 0;
  int cols = 0;
  size_t row_block_bytes() const { return static_cast<size_t>(cols) / 2; }         // 16 B per 32 cols
  size_t expert_block_bytes() const { return row_block_bytes() * rows; }
  size_t expert_scale_bytes() const { return static_cast<size_t>(rows) * (cols / 32); }
  const uint8_t* expert_blocks(int e) const { return blocks + e * expert_block_bytes(); }
  const uint8_t* expert_scales(int e) const { return scales + e * expert_scale_bytes(); }
  const uint16_t* expert_bias(int e) const { return bias + static_cast<size_t>(e) * rows; }
};

struct LayerWeights {
  Bf16Vector attn_norm;      // [H]
  Bf16Matrix wq, wk, wv;     // [NH*D, H], [NKV*D, H], [NKV*D, H]
  Bf16Vector bq, bk, bv;     // [NH*D], [NKV*D], [NKV*D]
  Bf16Vector sinks;          // [NH]
  Bf16Matrix wo;             // [H, NH*D]
  Bf16Vector bo;             // [H]
  Bf16Vector mlp_norm;       // [H]
  Bf16Matrix router;         // [E, H]
  Bf16Vector router_bias;    // [E]
  Mxfp4Experts mlp1;         // gate_up: rows 2I (even gate, odd linear), cols H
  Mxfp4Experts mlp2;         // down: rows H, cols I
};

struct Weights {
  Bf16Matrix embed;          // [V, H]
  std::vector<LayerWeights> layers;  // [L]
  Bf16Vector final_norm;     // [H]
  Bf16Matrix unembed;        // [V, H] (lm_head; not tied to embed)
};

}  // namespace gptoss::engine
