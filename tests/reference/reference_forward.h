// The independent reference: a plain scalar double-precision gpt-oss forward pass written
// straight from spec/model.md, to check the engine against. It shares ONLY the safetensors
// reader (src/engine/safetensors.h) with the engine: its own config parsing, tensor names, MXFP4
// decoding, YaRN and layer arithmetic. Slow on purpose: no caching tricks beyond keeping every
// key and value, no SIMD, no threads.
//
//   gptoss::reference::ReferenceModel ref(dir);             // HF layout: config.json + safetensors
//   std::vector<std::vector<double>> z = ref.logits(tokens);  // [n][V], every position
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gptoss::reference {

// The spec's FP4 table: code c (0..15) -> value.
double fp4_value(int code);

// Column `col` (0..31) of one MXFP4 block: 16 bytes of codes (byte j: column 2j in the low
// nibble, 2j+1 in the high nibble) and its scale byte: FP4[code] * 2^(scale - 127).
double mxfp4_block_value(const uint8_t* block16, uint8_t scale, int col);

// bf16 bits -> value (exact).
double bf16_value(uint16_t bits);

// x rounded to the nearest bf16, ties to even, by way of the nearest f32 (as np_forward.py's
// round_bf16 and torch's .to(bfloat16) of an f32 tensor do).
double round_bf16(double x);

// The activations of a reference forward pass:
//   kF64:  every intermediate kept in double (the reference the engine is checked against);
//   kBf16: rounded to bf16 wherever OpenAI's torch reference (gpt_oss/torch/model.py) holds a bf16
//          tensor, at the points np_forward.py --acts bf16 rounds: each matmul's output (q, k, v,
//          attention scores, attention output, projections, router, expert in/out, logits), each
//          rmsnorm's output, RoPE's cos/sin and products, softmax weights, SwiGLU's parts, and the
//          residual after each add. Sums inside a dot product stay exact. Its distance from kF64 is
//          the band the `fast` profile must stay within (tests/engine/precision_band_test.cc).
enum class RefActivations { kF64, kBf16 };

struct ReferenceRun {
  RefActivations acts = RefActivations::kF64;
  // Positions whose logits are computed and passed to on_logits (empty: every position). The
  // unembedding is most of a small model's cost; a band over a few positions skips the rest.
  std::function<bool(int p)> logits_at;
};

struct RefConfig {
  int L = 0, H = 0, I = 0, E = 0, K = 0, NH = 0, NKV = 0, D = 0, V = 0, W = 0;
  std::vector<bool> sliding;  // [L]
  double eps = 0, limit = 0, theta = 0;
  double factor = 0, beta_fast = 0, beta_slow = 0, original_context = 0;
  bool truncate = false;
};

// Parses an HF config.json (text). Throws std::runtime_error on a missing key.
RefConfig parse_reference_config(const std::string& json_text);

// YaRN per model.md: inverse frequencies [D/2] and the cos/sin scale ("concentration").
struct Yarn {
  std::vector<double> inv_freq;
  double concentration = 1;
};
Yarn yarn(const RefConfig& c);

// out = rotate x [D] by position p, half-split pairs (i, i + D/2).
std::vector<double> rope(const std::vector<double>& x, const Yarn& y, int64_t p);

// softmax over `scores` plus one extra sink logit; returns the weights of the scores only
// (the sink's share goes nowhere).
std::vector<double> softmax_with_sink(const std::vector<double>& scores, double sink);

// The K largest of `r`, ties to the lower index, in descending order.
std::vector<int> top_k(const std::vector<double>& r, int K);

// The clamped SwiGLU of mlp1's output u [2I] (even gate, odd linear) -> [I].
std::vector<double> swiglu(const std::vector<double>& u, double limit);

// What the reference computes inside a step, to check the engine's Observer against. Each
// callback may be empty.
struct ReferenceTrace {
  // The K experts picked at layer l for position p (largest first) and their softmax weights.
  std::function<void(int p, int l, const std::vector<int>& experts, const std::vector<double>& weights)>
      on_routing;
  // The sink's share of each head's softmax mass [NH]: 1 - the sum of the scores' weights.
  std::function<void(int p, int l, const std::vector<double>& shares)> on_sink_shares;
  // The residual stream [H] after layer l.
  std::function<void(int p, int l, const std::vector<double>& x)> on_residual;
};

class ReferenceModel {
 public:
  // Reads `dir`/config.json and its model.safetensors (or the shards of
  // model.safetensors.index.json). Throws std::runtime_error or gptoss::Error on bad input.
  explicit ReferenceModel(const std::string& dir);
  ~ReferenceModel();

  const RefConfig& config() const;

  // Runs tokens at positions 0, 1, ... and calls on_logits(p, logits [V]) after each (each that
  // run.logits_at wants).
  void forward(const std::vector<int32_t>& tokens,
               const std::function<void(int p, const std::vector<double>& logits)>& on_logits,
               const ReferenceTrace& trace = {}, const ReferenceRun& run = {}) const;

  // Logits of every position, [n][V].
  std::vector<std::vector<double>> logits(const std::vector<int32_t>& tokens,
                                          RefActivations acts = RefActivations::kF64) const;

 private:
  struct Weights;
  std::unique_ptr<Weights> w_;
};

}  // namespace gptoss::reference
