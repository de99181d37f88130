// The random test-model writer: a gpt-oss checkpoint of any preset size with random weights, in
// BOTH on-disk layouts holding the very same numbers, written the way the real files are (HF
// tensor names, shard index, original/ names and fused qkv, configs as gen_ckpt.py writes them,
// the real 201088-entry vocabulary). Used by `gpt-oss-chat make-test-model`, by tests, and by
// the UI's demo mode.
//
// Scales keep activations realistic (no inf/NaN over hundreds of tokens): embeddings N(0, 1),
// projections N(0, fan_in^-1/2), norms 1 +- 0.1, biases 0.1, sinks 1, router bias 0.5, MXFP4
// blocks uniform random bytes, scales base + {-1, 0, 1} with base = 127 + round(log2(fan_in^-1/2
// / 2.5)) (a typical |FP4| value is ~2.5). Numbers come from a counter-based splitmix64 per tensor,
// seeded by (seed, tensor index): they do not match gen_ckpt.py's numpy streams.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace gptoss::engine {

struct TestModelPreset {
  std::string name;
  int n_layers = 0;                // L
  int hidden = 0;                  // H
  int intermediate = 0;            // I
  int n_experts = 0;               // E
  int experts_per_token = 0;       // K
  int n_heads = 0;                 // NH
  int n_kv_heads = 0;              // NKV
  int head_dim = 0;                // D
  int vocab = 0;                   // V
  int sliding_window = 0;          // W
  int initial_context_length = 0;  // C, YaRN's original context
};

// gen_ckpt.py's PRESETS: tiny, small, 20b, 120b. Returns nullptr for an unknown name.
const TestModelPreset* find_test_model_preset(const std::string& name);
std::vector<std::string> test_model_preset_names();

struct TestModelOptions {
  uint64_t seed = 0;
  uint64_t shard_bytes = 5ull << 30;  // HF shard size; one model.safetensors when everything fits
  bool write_hf = true;               // the HF layout at `dir`
  bool write_original = true;         // the original layout in `dir`/original
  // Called before each file is written, with its path.
  std::function<void(const std::string& path)> on_file;
};

// Writes `dir`/config.json, `dir`/model.safetensors (or shards + model.safetensors.index.json),
// `dir`/original/config.json and `dir`/original/model.safetensors (each layout unless its option
// says no: the 120b costs 61 GiB per layout). Creates the folders; removes earlier model files of
// both layouts there. Tensors stream to disk in chunks (a 20b model never sits in memory).
// Throws gptoss::Error naming the file on any I/O failure, or if the preset is inconsistent.
void write_test_model(const std::string& dir, const TestModelPreset& preset,
                      const TestModelOptions& options = {});

}  // namespace gptoss::engine
