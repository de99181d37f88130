// The engine's public face: the only engine header other rooms include. Standard headers only.
//
//   auto model = Model::open("/path/to/gpt-oss-20b", {.threads = 2});
//   Context ctx(model, {.max_tokens = 8192});
//   std::span<const float> logits = ctx.prefill(prompt_ids);   // [V], last position
//   logits = ctx.decode(next_id);                               // [V]
//
// A Model is immutable once open and may be shared by several Contexts (one per conversation).
// A Context owns the KV cache and all scratch memory; a decode step allocates nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/error.h"

namespace gptoss::engine {

// Thrown by Model::open on a bad checkpoint; what() names the file and tensor or key at fault.
class LoadError : public gptoss::Error {
 public:
  using gptoss::Error::Error;
};

enum class AttentionKind { kFull, kSliding };

// Hyper-parameters, from config.json (HF layout) or original/config.json. The spec's letter for
// each field is in its comment; kernels bind `const int H = cfg.hidden;` and read like model.md.
struct Config {
  int n_layers = 0;           // L
  int hidden = 0;             // H
  int intermediate = 0;       // I
  int n_experts = 0;          // E
  int experts_per_token = 0;  // K
  int n_heads = 0;            // NH
  int n_kv_heads = 0;         // NKV
  int head_dim = 0;           // D
  int vocab = 0;              // V
  int sliding_window = 0;     // W
  std::vector<AttentionKind> layer_types;  // [L]
  float rms_norm_eps = 1e-5f;
  float swiglu_limit = 7.0f;
  double rope_theta = 150000.0;
  double rope_factor = 32.0;          // YaRN scaling factor
  double rope_beta_fast = 32.0;
  double rope_beta_slow = 1.0;
  int rope_original_context = 4096;   // C: YaRN's original context
  bool rope_truncate = false;         // round YaRN's low/high to integers (HF "truncate")
  int max_context = 0;                // rope_original_context * rope_factor
};

struct LoadProgress {
  std::string stage;  // "mapping", "validating", "warming"
  double fraction;    // 0..1 within the stage
};

struct LoadOptions {
  int threads = 0;                // 0: one per core
  uint64_t ram_budget_bytes = 0;  // 0: no budget; experts stay mapped and the kernel pages them
  std::function<void(const LoadProgress&)> on_progress;  // called from the loading thread
};

struct ModelInfo {
  std::string dir;                 // the folder the weights were read from
  std::string layout;              // "hf" or "original"
  std::vector<std::string> files;  // safetensors files, in load order
  uint64_t file_bytes = 0;         // their total size
  std::string fingerprint;         // hex digest of the config and tensor directory
  std::string kernels;             // kernel set in use: "avx512", "avx2" or "baseline"
  uint64_t dense_bytes_per_token = 0;  // bf16 weights every token reads (all but experts, embedding)
  double load_seconds = 0;
};

class Model {
 public:
  // Opens the checkpoint in `dir`: a download folder (HF layout at its root, else `original/`),
  // or an `original/` folder itself. Maps the files and validates every header, shape and offset
  // before any tensor is used. Throws LoadError naming the file and tensor or key at fault.
  static std::shared_ptr<const Model> open(const std::string& dir, const LoadOptions& options = {});

  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const Config& config() const;
  const ModelInfo& info() const;
  int threads() const;

  struct Impl;  // engine-internal: weights, mappings, precomputed tables
  const Impl& impl() const { return *impl_; }

 private:
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct ContextOptions {
  int max_tokens = 8192;      // sequence capacity; at most Config::max_context
  int rewind_tokens = 4096;   // how far truncate() can rewind for free on sliding layers (see truncate)
};

// Counters since the Context was made (or since reset_stats()).
struct ContextStats {
  uint64_t prefill_tokens = 0;
  double prefill_seconds = 0;
  uint64_t decode_tokens = 0;
  double decode_seconds = 0;
  uint64_t expert_bytes_read = 0;  // MXFP4 bytes of the experts the router picked
};

class Context {
 public:
  // Throws gptoss::Error if options.max_tokens exceeds the model's context.
  Context(std::shared_ptr<const Model> model, const ContextOptions& options = {});
  ~Context();
  Context(Context&&) noexcept;
  Context& operator=(Context&&) noexcept;

  // Appends `tokens` (batched prefill) and returns the logits [V] of the last one. The span is
  // valid until the next call. Throws gptoss::Error if the sequence would exceed max_tokens or an
  // id is outside [0, V); the cache is then unchanged.
  std::span<const float> prefill(std::span<const int32_t> tokens);

  // As prefill, but writes the logits of every new token into all_logits ([n, V], row-major).
  void prefill(std::span<const int32_t> tokens, std::span<float> all_logits);

  // Appends one token and returns its logits [V]. Same errors as prefill.
  std::span<const float> decode(int32_t token);

  // Forgets all tokens after the first n (n <= size()). Returns how many are kept: n, or fewer
  // when sliding layers no longer hold the window that position n needs (their ring keeps
  // window + rewind_tokens positions); the caller prefills the rest again.
  size_t truncate(size_t n);

  const std::vector<int32_t>& tokens() const;
  size_t size() const { return tokens().size(); }
  size_t capacity() const;
  const ContextStats& stats() const;
  void reset_stats();
  const Model& model() const;

  // For benchmarks of long contexts without a long prefill: appends n positions whose keys and
  // values are pseudo-random numbers, not computed from any token (their ids read as 0). Logits
  // after this are meaningless. Throws gptoss::Error if the sequence would exceed max_tokens.
  void fill_synthetic(size_t n);

  // A full copy of the cache and sequence; named because it is expensive.
  Context clone() const;

  struct Impl;

 private:
  explicit Context(std::unique_ptr<Impl> impl);  // clone()
  std::unique_ptr<Impl> impl_;
};

// Bytes per second this machine reads from memory with `threads` threads (0: one per core): the
// median of `repeats` plain vector sums over `bytes` (2 GiB: far beyond any cache), with the
// kernel set Model::open would choose. For benchmarks; allocates and touches the buffer first.
double measure_read_bandwidth(int threads, size_t bytes = size_t{2} << 30, int repeats = 3);

}  // namespace gptoss::engine
