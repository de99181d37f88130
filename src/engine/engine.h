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

// How closely the forward pass follows the f32 reference.
//   exact: f32 activations and KV cache, bf16 weights widened; logits within 1e-3 of the f32
//          reference.
//   fast:  approximations that keep the logits as close to the f64 reference as a forward pass with
//          bf16 activations (OpenAI's torch reference) is, within a factor of 2 on each measure
//          (tests/engine/precision_band_test.cc): the KV cache in bf16, and the unembedding
//          in 8-bit blocks (32 int8 and one scale; int8 dot products with the input quantised
//          the same way). The attention matrices stay bf16: in 8-bit blocks they leave the band.
enum class Precision { kExact, kFast };

// "exact" or "fast".
const char* precision_name(Precision precision);
// The profile `text` names ("exact" or "fast"). Throws gptoss::Error
// "<what>: unknown precision '<text>' (expected exact or fast)".
Precision parse_precision(const std::string& text, const std::string& what);

struct LoadOptions {
  int threads = 0;  // 0: one per physical core
  Precision precision = Precision::kExact;
  // 0: no budget (everything mapped). Otherwise all the memory the process may use; when the
  // whole checkpoint does not fit beside the KV cache and scratch, the dense weights are copied
  // into memory of our own and the experts stream from disk through a cache of slots.
  uint64_t ram_budget_bytes = 0;
  int context_tokens = 8192;  // the KV cache (one Context of this many tokens) the budget sets aside
  std::function<void(const LoadProgress&)> on_progress;  // called from the loading thread
  // Mapped mode only: once open, one background thread reads the weights from disk in the order
  // the first prefill reads them (see Model::warmup_progress), so a cold start (page cache empty,
  // as after a boot) is not paced by page faults. Under a budget the expert cache's reads do this.
  bool warm_in_background = true;
};

// The background read of the weights that Model::open starts (LoadOptions::warm_in_background).
struct WarmupProgress {
  uint64_t bytes_done = 0;   // read, or found already in memory
  uint64_t bytes_total = 0;  // 0: there is no background read (streaming mode, or turned off)
  bool running = false;      // false once it finished, was stopped, or met a read error
};

// --- RAM budget ---

// Bytes of a size written as a number with an optional unit: "6G", "6GiB", "6000M", "512MiB",
// "1.5G", "8589934592". K, M, G, T and KiB, MiB, GiB, TiB are powers of 1024; KB, MB, GB, TB
// powers of 1000; case does not matter. Throws gptoss::Error "<what>: ... (expected ..., found ...)".
uint64_t parse_ram_size(const std::string& text, const std::string& what);

// The memory limits of this process; 0 where there is none. Read from root + "/proc/self/cgroup",
// "/proc/self/mountinfo", "/proc/meminfo" and the cgroup files under the mount points they name
// (root = "" on a real system; tests pass a fake tree).
struct MemoryLimits {
  uint64_t cgroup_v2 = 0;      // memory.max of the process's cgroup and its ancestors, smallest
  uint64_t cgroup_v1 = 0;      // memory.limit_in_bytes, likewise
  uint64_t mem_available = 0;  // MemAvailable
  uint64_t physical = 0;       // MemTotal
};
MemoryLimits read_memory_limits(const std::string& root = "");

struct RamBudget {
  uint64_t bytes = 0;
  std::string source;  // "--ram", "GPT_OSS_RAM" or "detected (...)"
};
// The budget: `flag` (the --ram text) if not empty, else `env` (GPT_OSS_RAM) if set and not
// empty, else the smallest of `limits` minus a headroom of max(256 MiB, 5%) for the rest of the
// machine. Throws gptoss::Error naming --ram or GPT_OSS_RAM on a bad size.
RamBudget choose_ram_budget(const std::string& flag, const char* env, const MemoryLimits& limits);

// The most memory ever charged to this process's cgroup (v2 memory.peak, else v1
// memory.max_usage_in_bytes), or 0 when neither is readable.
uint64_t cgroup_peak_bytes(const std::string& root = "");

struct ModelInfo {
  std::string dir;                 // the folder the weights were read from
  std::string layout;              // "hf" or "original"
  std::vector<std::string> files;  // safetensors files, in load order
  uint64_t file_bytes = 0;         // their total size
  std::string fingerprint;         // hex digest of the config and tensor directory
  std::string kernels;             // kernel set in use: "avx512", "avx2" or "baseline"
  Precision precision = Precision::kExact;  // LoadOptions::precision
  uint64_t dense_bytes_per_token = 0;       // dense weights every token reads (all but experts, embedding;
                                            // fast: the unembedding in 8-bit blocks)
  double load_seconds = 0;
  // Memory (see LoadOptions::ram_budget_bytes).
  bool streaming = false;          // false: mapped (the fast path); true: experts stream from disk
  uint64_t ram_budget_bytes = 0;   // the budget given, 0 for none
  uint64_t resident_bytes = 0;     // streaming: dense weights copied into memory
  uint64_t expert_slot_bytes = 0;  // streaming: one expert's slot
  int expert_slots = 0;            // streaming: slots in the cache
  std::string expert_cache_policy;  // streaming: "lfu" or "lru" (GPTOSS_CACHE_POLICY)
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

  // How far the background read of the weights has got. Thread-safe.
  WarmupProgress warmup_progress() const;
  // Stops the background read after the chunk in progress (32 MiB) and waits for its thread; what
  // was read stays in memory. Idempotent and thread-safe; ~Model calls it before unmapping.
  void stop_warmup() const;

  struct Impl;  // engine-internal: weights, mappings, precomputed tables
  const Impl& impl() const { return *impl_; }

 private:
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Looks inside the forward pass (off unless set with Context::set_observer). Called on the
// thread that runs prefill/decode, once per token and layer, in position order within a layer;
// spans are valid only during the call. The wants_* answers are read once per forward call, and
// what is not wanted is not computed.
class Observer {
 public:
  virtual ~Observer() = default;
  virtual bool wants_router_logits() const { return false; }
  virtual bool wants_sink_shares() const { return false; }
  virtual bool wants_residual() const { return false; }

  // Layer `layer` routed the token at `position` to `experts` [K] (largest first) with `weights`
  // [K] (softmax over those K); `router_logits` [E] when wanted, else empty.
  virtual void on_routing(int layer, int position, std::span<const int> experts,
                          std::span<const float> weights, std::span<const float> router_logits) {
    (void)layer, (void)position, (void)experts, (void)weights, (void)router_logits;
  }
  // The attention sink's share of each head's softmax mass at that token [NH], each in [0, 1].
  virtual void on_sink_shares(int layer, int position, std::span<const float> shares) {
    (void)layer, (void)position, (void)shares;
  }
  // The residual stream x [H] after layer `layer` (attention and experts added).
  virtual void on_residual(int layer, int position, std::span<const float> x) {
    (void)layer, (void)position, (void)x;
  }
};

// The logit lens: logits [n, V] = unembed rmsnorm(residual [n, H], final norm), the model's own
// last step applied to any residual (after layer L-1 it gives the model's logits). Throws
// gptoss::Error if the spans' sizes are not n * H and n * V.
void lens_logits(const Model& model, std::span<const float> residuals, std::span<float> logits);

struct ContextOptions {
  int max_tokens = 8192;      // sequence capacity; at most Config::max_context
  int rewind_tokens = 4096;   // how far truncate() can rewind for free on sliding layers (see truncate)
};

// How a saved KV cache stores keys and values: f32 exactly, or bf16 (half the bytes; each value
// rounded to the nearest bf16, a relative error of at most 2^-9).
enum class KvDtype : uint32_t { kF32 = 0, kBf16 = 1 };

// Thrown by Context::restore_kv for a KV cache file that cannot be used: damaged, truncated, from
// another program version or model, or holding tokens that are not a prefix of the conversation.
// what() is one line: "<source>: <field>: <problem> (expected X, found Y)".
class KvFileError : public gptoss::Error {
 public:
  using gptoss::Error::Error;
};

// Counters since the Context was made (or since reset_stats()).
struct ContextStats {
  uint64_t prefill_tokens = 0;
  double prefill_seconds = 0;
  uint64_t decode_tokens = 0;
  double decode_seconds = 0;
  uint64_t expert_bytes_read = 0;  // MXFP4 bytes of the experts the router picked
  // Streaming only (all 0 when mapped):
  uint64_t expert_requests = 0;   // (layer, expert) pairs the router picked, once per batch
  uint64_t expert_hits = 0;       // of those, already in a slot (or being read by a prefetch)
  uint64_t prefetch_hits = 0;     // of the hits, brought in by a speculative prefetch
  uint64_t prefetch_guesses = 0;  // experts guessed for the next layer
  uint64_t prefetch_right = 0;    // of those, picked by the router there
  uint64_t disk_bytes_read = 0;   // bytes read from disk: expert slots and embedding rows
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
  // id is outside [0, V), LoadError if a model file shrank while in use ("the model file changed
  // while in use"), gptoss::Error if a logit is not finite; the cache is then unchanged. When
  // streaming, a failed read of the checkpoint (the file was truncated after loading) throws
  // gptoss::Error naming the file and tensor; the Context is then truncated back to its size before
  // the call (or fewer tokens, as truncate() says) and stays usable.
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

  // Calls `observer` from every later prefill/decode (nullptr: none, the default). Not owned; it
  // must outlive its use. Observing changes no logit.
  void set_observer(Observer* observer);
  const Model& model() const;

  // For benchmarks of long contexts without a long prefill: appends n positions whose keys and
  // values are pseudo-random numbers, not computed from any token (their ids read as 0). Logits
  // after this are meaningless. Throws gptoss::Error if the sequence would exceed max_tokens.
  void fill_synthetic(size_t n);

  // The KV cache file (docs/kv-cache-format.md) of the first n tokens (n <= size()): a header
  // keyed by the model's fingerprint, the token ids, keys and values of the positions a
  // continuation needs (all on full layers, the last W on sliding ones) in `dtype`, a checksum.
  // Throws gptoss::Error if the sliding layers no longer hold position n's window (the sequence
  // went on more than rewind_tokens past n).
  std::string save_kv(size_t n, KvDtype dtype) const;

  // Replaces the sequence and cache with those of a save_kv file, if it was made by this model
  // (fingerprint and shapes), fits capacity() and its tokens are a prefix of `sequence`. Every
  // size is checked against bytes.size() and the checksum before anything is read or changed;
  // throws KvFileError naming `source` and leaves the Context as it was. Returns the tokens
  // restored. Logits are not restored: prefill at least one token before sampling.
  size_t restore_kv(std::span<const uint8_t> bytes, std::span<const int32_t> sequence,
                    const std::string& source);

  // Bytes of a save_kv file of n tokens in `dtype` (n <= capacity(): the most restore_kv reads).
  uint64_t kv_file_bytes(size_t n, KvDtype dtype) const;

  // A full copy of the cache and sequence; named because it is expensive.
  Context clone() const;

  struct Impl;

 private:
  explicit Context(std::unique_ptr<Impl> impl);  // clone()
  std::unique_ptr<Impl> impl_;
};

// Bytes per second this machine reads from memory with `threads` threads (0: one per physical core): the
// median of `repeats` plain vector sums over `bytes` (2 GiB: far beyond any cache), with the
// kernel set Model::open would choose. For benchmarks; allocates and touches the buffer first.
double measure_read_bandwidth(int threads, size_t bytes = size_t{2} << 30, int repeats = 3);

}  // namespace gptoss::engine
