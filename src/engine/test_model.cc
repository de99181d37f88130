#include "engine/test_model.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "engine/bf16.h"

namespace gptoss::engine {
namespace {

namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;

// gen_ckpt.py's PRESETS. initial_context_length 256 is the smallest power of two that satisfies
// OpenAI's YaRN assertion 0 < low < high < D/2 - 1 for head_dim 16 and 32.
const TestModelPreset kPresets[] = {
    {"tiny", 3, 64, 64, 8, 4, 8, 2, 16, 201088, 4, 256},
    {"small", 4, 256, 256, 16, 4, 16, 4, 32, 201088, 16, 256},
    {"20b", 24, 2880, 2880, 32, 4, 64, 8, 64, 201088, 128, 4096},
    {"120b", 36, 2880, 2880, 128, 4, 64, 8, 64, 201088, 128, 4096},
};

// ---- random numbers: counter-based splitmix64, so any chunk of a tensor can be made alone ----

constexpr uint64_t kGamma = 0x9e3779b97f4a7c15ull;

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The i-th 64-bit draw of stream `key`.
uint64_t draw(uint64_t key, uint64_t i) { return mix64(key + (i + 1) * kGamma); }

// One standard normal per draw (Box-Muller, cosine branch).
float standard_normal(uint64_t z) {
  const double u1 = (static_cast<double>(z >> 40) + 1.0) * 0x1p-24;  // (0, 1]
  const double u2 = static_cast<double>(z & 0xffffff) * 0x1p-24;     // [0, 1)
  return static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
}

// ---- the tensor list, in gen_ckpt.py's order ----

enum class Fill { kNormal, kBytes, kScales };

// A random tensor: its numbers depend only on (seed, stream) and the element index.
struct Source {
  Fill fill;
  uint64_t key;    // the stream's key
  uint64_t count;  // elements
  float std = 0, mean = 0;
  int scale_base = 0;  // kScales: base - 1 .. base + 1
  size_t element_bytes() const { return fill == Fill::kNormal ? 2 : 1; }
};

// A tensor as stored: one source, or several concatenated along rows (the fused qkv).
struct StoredTensor {
  std::string name;
  bool bf16 = true;
  std::vector<int64_t> shape;
  std::vector<Source> parts;
  uint64_t bytes() const {
    uint64_t n = 0;
    for (const Source& s : parts) n += s.count * s.element_bytes();
    return n;
  }
};

struct ModelTensor {
  std::string hf_name;        // empty: original layout only
  std::string original_name;  // empty: HF layout only
  StoredTensor tensor;        // name left empty
};

std::vector<ModelTensor> model_tensors(const TestModelPreset& p, uint64_t seed) {
  const int64_t L = p.n_layers, H = p.hidden, I = p.intermediate, E = p.n_experts, NH = p.n_heads,
                NKV = p.n_kv_heads, D = p.head_dim, V = p.vocab;
  uint64_t stream = 0;
  auto key = [&] { return mix64(seed * kGamma + mix64(++stream)); };
  auto count = [](const std::vector<int64_t>& shape) {
    uint64_t n = 1;
    for (int64_t d : shape) n *= static_cast<uint64_t>(d);
    return n;
  };
  auto normal = [&](std::vector<int64_t> shape, double std, double mean = 0.0) {
    Source s{Fill::kNormal, key(), count(shape), static_cast<float>(std), static_cast<float>(mean)};
    return StoredTensor{"", true, std::move(shape), {s}};
  };
  auto mx_blocks = [&](std::vector<int64_t> shape) {
    Source s{Fill::kBytes, key(), count(shape)};
    return StoredTensor{"", false, std::move(shape), {s}};
  };
  auto mx_scales = [&](std::vector<int64_t> shape, int64_t fan_in) {
    Source s{Fill::kScales, key(), count(shape)};
    s.scale_base =
        127 + static_cast<int>(std::lround(std::log2(1.0 / std::sqrt(static_cast<double>(fan_in)) / 2.5)));
    return StoredTensor{"", false, std::move(shape), {s}};
  };
  auto fused = [](std::vector<int64_t> shape, std::initializer_list<const StoredTensor*> parts) {
    StoredTensor t{"", true, std::move(shape), {}};
    for (const StoredTensor* part : parts) t.parts.push_back(part->parts[0]);
    return t;
  };

  std::vector<ModelTensor> out;
  out.push_back({"model.embed_tokens.weight", "embedding.weight", normal({V, H}, 1.0)});
  for (int64_t l = 0; l < L; ++l) {
    const std::string hf = "model.layers." + std::to_string(l) + ".", og = "block." + std::to_string(l) + ".";
    const double h_scale = 1.0 / std::sqrt(static_cast<double>(H));
    out.push_back({hf + "input_layernorm.weight", og + "attn.norm.scale", normal({H}, 0.1, 1.0)});
    const StoredTensor q = normal({NH * D, H}, h_scale), k = normal({NKV * D, H}, h_scale),
                       v = normal({NKV * D, H}, h_scale);
    const StoredTensor qb = normal({NH * D}, 0.1), kb = normal({NKV * D}, 0.1), vb = normal({NKV * D}, 0.1);
    out.push_back({hf + "self_attn.q_proj.weight", "", q});
    out.push_back({hf + "self_attn.k_proj.weight", "", k});
    out.push_back({hf + "self_attn.v_proj.weight", "", v});
    out.push_back({hf + "self_attn.q_proj.bias", "", qb});
    out.push_back({hf + "self_attn.k_proj.bias", "", kb});
    out.push_back({hf + "self_attn.v_proj.bias", "", vb});
    // the original layout fuses q, k, v along the output rows
    out.push_back({"", og + "attn.qkv.weight", fused({(NH + 2 * NKV) * D, H}, {&q, &k, &v})});
    out.push_back({"", og + "attn.qkv.bias", fused({(NH + 2 * NKV) * D}, {&qb, &kb, &vb})});
    out.push_back({hf + "self_attn.sinks", og + "attn.sinks", normal({NH}, 1.0)});
    out.push_back({hf + "self_attn.o_proj.weight", og + "attn.out.weight",
                   normal({H, NH * D}, 1.0 / std::sqrt(static_cast<double>(NH * D)))});
    out.push_back({hf + "self_attn.o_proj.bias", og + "attn.out.bias", normal({H}, 0.1)});
    out.push_back({hf + "post_attention_layernorm.weight", og + "mlp.norm.scale", normal({H}, 0.1, 1.0)});
    out.push_back({hf + "mlp.router.weight", og + "mlp.gate.weight", normal({E, H}, h_scale)});
    out.push_back({hf + "mlp.router.bias", og + "mlp.gate.bias", normal({E}, 0.5)});
    // experts: gate_up rows interleave gate (even) and linear (odd); 32 input columns per block
    out.push_back({hf + "mlp.experts.gate_up_proj_blocks", og + "mlp.mlp1_weight.blocks",
                   mx_blocks({E, 2 * I, H / 32, 16})});
    out.push_back({hf + "mlp.experts.gate_up_proj_scales", og + "mlp.mlp1_weight.scales",
                   mx_scales({E, 2 * I, H / 32}, H)});
    out.push_back({hf + "mlp.experts.gate_up_proj_bias", og + "mlp.mlp1_bias", normal({E, 2 * I}, 0.1)});
    out.push_back(
        {hf + "mlp.experts.down_proj_blocks", og + "mlp.mlp2_weight.blocks", mx_blocks({E, H, I / 32, 16})});
    out.push_back(
        {hf + "mlp.experts.down_proj_scales", og + "mlp.mlp2_weight.scales", mx_scales({E, H, I / 32}, I)});
    out.push_back({hf + "mlp.experts.down_proj_bias", og + "mlp.mlp2_bias", normal({E, H}, 0.1)});
  }
  out.push_back({"model.norm.weight", "norm.scale", normal({H}, 0.1, 1.0)});
  out.push_back(
      {"lm_head.weight", "unembedding.weight", normal({V, H}, 1.0 / std::sqrt(static_cast<double>(H)))});
  return out;
}

// Writes elements [first, first + n) of `s` into `out` (n * element_bytes bytes).
void generate(const Source& s, uint64_t first, uint64_t n, uint8_t* out) {
  switch (s.fill) {
    case Fill::kNormal: {
      uint16_t* dst = reinterpret_cast<uint16_t*>(out);
      for (uint64_t i = 0; i < n; ++i)
        dst[i] = f32_to_bf16(standard_normal(draw(s.key, first + i)) * s.std + s.mean);
      break;
    }
    case Fill::kBytes:  // byte k is byte k % 8 of draw k / 8
      for (uint64_t i = 0; i < n; ++i) {
        const uint64_t k = first + i;
        out[i] = static_cast<uint8_t>(draw(s.key, k / 8) >> (8 * (k % 8)));
      }
      break;
    case Fill::kScales:
      for (uint64_t i = 0; i < n; ++i)
        out[i] = static_cast<uint8_t>(s.scale_base - 1 + static_cast<int>(draw(s.key, first + i) % 3));
      break;
  }
}

// ---- safetensors files ----

std::string shape_json(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

class OutFile {
 public:
  explicit OutFile(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "wb")) {
    if (!f_) fail("open");
  }
  ~OutFile() {
    if (f_) std::fclose(f_);
  }
  void write(const void* data, size_t n) {
    if (n && std::fwrite(data, 1, n, f_) != n) fail("write");
  }
  void close() {
    const int rc = std::fclose(f_);
    f_ = nullptr;
    if (rc != 0) fail("close");
  }

 private:
  [[noreturn]] void fail(const char* what) {
    throw gptoss::Error(path_ + ": file: " + what + " failed (" + std::strerror(errno) + ")");
  }
  std::string path_;
  std::FILE* f_;
};

// The order the safetensors serializer uses: BF16 before U8 (so 2-byte data stay aligned), then
// by name; "__metadata__" first in the header, which is padded with spaces to 8 bytes.
void write_safetensors(const std::string& path, std::vector<StoredTensor> tensors) {
  std::stable_sort(tensors.begin(), tensors.end(), [](const StoredTensor& a, const StoredTensor& b) {
    return a.bf16 != b.bf16 ? a.bf16 : a.name < b.name;
  });
  std::string header = "{\"__metadata__\":{\"format\":\"pt\"}";
  uint64_t offset = 0;
  for (const StoredTensor& t : tensors) {
    header += ",\"" + t.name + "\":{\"dtype\":\"" + (t.bf16 ? "BF16" : "U8") +
              "\",\"shape\":" + shape_json(t.shape) + ",\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + t.bytes()) + "]}";
    offset += t.bytes();
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');

  OutFile out(path);
  uint8_t length[8];
  for (int i = 0; i < 8; ++i)
    length[i] = static_cast<uint8_t>(static_cast<uint64_t>(header.size()) >> (8 * i));
  out.write(length, 8);
  out.write(header.data(), header.size());

  constexpr uint64_t kChunkElements = 1 << 21;
  std::vector<uint8_t> buffer(kChunkElements * 2);
  for (const StoredTensor& t : tensors) {
    for (const Source& s : t.parts) {
      for (uint64_t first = 0; first < s.count; first += kChunkElements) {
        const uint64_t n = std::min<uint64_t>(kChunkElements, s.count - first);
        constexpr uint64_t kSlice = 1 << 14;  // elements per parallel task
        const int64_t slices = static_cast<int64_t>((n + kSlice - 1) / kSlice);
#pragma omp parallel for schedule(static)
        for (int64_t i = 0; i < slices; ++i) {
          const uint64_t begin = static_cast<uint64_t>(i) * kSlice,
                         len = std::min<uint64_t>(kSlice, n - begin);
          generate(s, first + begin, len, buffer.data() + begin * s.element_bytes());
        }
        out.write(buffer.data(), n * s.element_bytes());
      }
    }
  }
  out.close();
}

// ---- configs, as gen_ckpt.py writes them ----

ordered_json hf_config(const TestModelPreset& p) {
  ordered_json layer_types = ordered_json::array();
  for (int l = 0; l < p.n_layers; ++l)
    layer_types.push_back(l % 2 == 0 ? "sliding_attention" : "full_attention");
  ordered_json c;
  c["architectures"] = {"GptOssForCausalLM"};
  c["model_type"] = "gpt_oss";
  c["attention_bias"] = true;
  c["attention_dropout"] = 0.0;
  c["eos_token_id"] = 200002;
  c["pad_token_id"] = 199999;
  c["experts_per_token"] = p.experts_per_token;
  c["num_experts_per_tok"] = p.experts_per_token;
  c["head_dim"] = p.head_dim;
  c["hidden_act"] = "silu";
  c["hidden_size"] = p.hidden;
  c["initial_context_length"] = p.initial_context_length;
  c["initializer_range"] = 0.02;
  c["intermediate_size"] = p.intermediate;
  c["layer_types"] = layer_types;
  c["max_position_embeddings"] = p.initial_context_length * 32;
  c["num_attention_heads"] = p.n_heads;
  c["num_hidden_layers"] = p.n_layers;
  c["num_key_value_heads"] = p.n_kv_heads;
  c["num_local_experts"] = p.n_experts;
  c["output_router_logits"] = false;
  c["quantization_config"] = {
      {"modules_to_not_convert",
       {"model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"}},
      {"quant_method", "mxfp4"}};
  c["rms_norm_eps"] = 1e-05;
  c["rope_scaling"] = {{"beta_fast", 32.0},   {"beta_slow", 1.0},
                       {"factor", 32.0},      {"original_max_position_embeddings", p.initial_context_length},
                       {"rope_type", "yarn"}, {"truncate", false}};
  c["rope_theta"] = 150000;
  c["router_aux_loss_coef"] = 0.9;
  c["sliding_window"] = p.sliding_window;
  c["swiglu_limit"] = 7.0;
  c["tie_word_embeddings"] = false;
  c["torch_dtype"] = "bfloat16";
  c["transformers_version"] = "4.55.0";
  c["use_cache"] = true;
  c["vocab_size"] = p.vocab;
  return c;
}

ordered_json original_config(const TestModelPreset& p) {
  ordered_json c;
  c["num_hidden_layers"] = p.n_layers;
  c["num_experts"] = p.n_experts;
  c["experts_per_token"] = p.experts_per_token;
  c["vocab_size"] = p.vocab;
  c["hidden_size"] = p.hidden;
  c["intermediate_size"] = p.intermediate;
  c["swiglu_limit"] = 7.0;
  c["head_dim"] = p.head_dim;
  c["num_attention_heads"] = p.n_heads;
  c["num_key_value_heads"] = p.n_kv_heads;
  c["sliding_window"] = p.sliding_window;
  c["initial_context_length"] = p.initial_context_length;
  c["rope_theta"] = 150000;
  c["rope_scaling_factor"] = 32.0;
  c["rope_ntk_alpha"] = 1;
  c["rope_ntk_beta"] = 32;
  return c;
}

void write_text(const std::string& path, const std::string& text) {
  OutFile out(path);
  out.write(text.data(), text.size());
  out.close();
}

void check_preset(const TestModelPreset& p) {
  const bool ok = p.n_layers > 0 && p.hidden > 0 && p.hidden % 32 == 0 && p.intermediate > 0 &&
                  p.intermediate % 32 == 0 && p.n_experts > 0 && p.experts_per_token > 0 &&
                  p.experts_per_token <= p.n_experts && p.n_heads > 0 && p.n_kv_heads > 0 &&
                  p.n_heads % p.n_kv_heads == 0 && p.head_dim > 0 && p.head_dim % 2 == 0 && p.vocab > 0 &&
                  p.sliding_window > 0 && p.initial_context_length > 0;
  if (!ok) throw gptoss::Error("make-test-model: preset " + p.name + ": inconsistent sizes");
}

// Removes model files an earlier run left (a stale index would shadow a new single file).
void remove_old_model_files(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name == "model.safetensors.index.json" ||
        (name.starts_with("model") && name.ends_with(".safetensors")))
      fs::remove(entry.path(), ec);
  }
}

}  // namespace

const TestModelPreset* find_test_model_preset(const std::string& name) {
  for (const TestModelPreset& p : kPresets)
    if (p.name == name) return &p;
  return nullptr;
}

std::vector<std::string> test_model_preset_names() {
  std::vector<std::string> names;
  for (const TestModelPreset& p : kPresets) names.push_back(p.name);
  return names;
}

namespace {

void write_hf_layout(const fs::path& root, const std::vector<ModelTensor>& all, const TestModelPreset& preset,
                     const TestModelOptions& options) {
  auto announce = [&](const fs::path& path) {
    if (options.on_file) options.on_file(path.string());
  };
  // HF layout: one file, or shards cut greedily in tensor order, as gen_ckpt.py does.
  write_text((root / "config.json").string(), hf_config(preset).dump(2));
  std::vector<StoredTensor> hf;
  uint64_t total = 0;
  for (const ModelTensor& t : all) {
    if (t.hf_name.empty()) continue;
    hf.push_back(t.tensor);
    hf.back().name = t.hf_name;
    total += hf.back().bytes();
  }
  if (total <= options.shard_bytes) {
    announce(root / "model.safetensors");
    write_safetensors((root / "model.safetensors").string(), hf);
  } else {
    std::vector<std::vector<StoredTensor>> shards(1);
    uint64_t size = 0;
    for (StoredTensor& t : hf) {
      if (!shards.back().empty() && size + t.bytes() > options.shard_bytes) {
        shards.emplace_back();
        size = 0;
      }
      size += t.bytes();
      shards.back().push_back(std::move(t));
    }
    ordered_json weight_map = ordered_json::object();
    for (size_t i = 0; i < shards.size(); ++i) {
      char name[64];
      // Numbered from 0 and "of" the last number, as openai/gpt-oss-20b names its three shards
      // (model-00000-of-00002 ... model-00002-of-00002); the loader only follows the index.
      std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", i, shards.size() - 1);
      announce(root / name);
      for (const StoredTensor& t : shards[i]) weight_map[t.name] = name;
      write_safetensors((root / name).string(), std::move(shards[i]));
    }
    ordered_json index;
    index["metadata"] = {{"total_size", total}};
    index["weight_map"] = weight_map;
    write_text((root / "model.safetensors.index.json").string(), index.dump(2));
  }
}

void write_original_layout(const fs::path& original, const std::vector<ModelTensor>& all,
                           const TestModelPreset& preset, const TestModelOptions& options) {
  auto announce = [&](const fs::path& path) {
    if (options.on_file) options.on_file(path.string());
  };
  // original/ layout: one file.
  write_text((original / "config.json").string(), original_config(preset).dump(2));
  std::vector<StoredTensor> og;
  for (const ModelTensor& t : all) {
    if (t.original_name.empty()) continue;
    og.push_back(t.tensor);
    og.back().name = t.original_name;
  }
  announce(original / "model.safetensors");
  write_safetensors((original / "model.safetensors").string(), std::move(og));
}

}  // namespace

void write_test_model(const std::string& dir, const TestModelPreset& preset,
                      const TestModelOptions& options) {
  check_preset(preset);
  const fs::path root(dir), original = fs::path(dir) / "original";
  if (!options.write_hf && !options.write_original)
    throw gptoss::Error(dir + ": folder: no layout to write (expected HF, original or both)");
  std::error_code ec;
  const fs::path folder = options.write_original ? original : root;
  fs::create_directories(folder, ec);
  if (ec) throw gptoss::Error(folder.string() + ": folder: cannot create (" + ec.message() + ")");
  remove_old_model_files(root);
  if (fs::is_directory(original, ec)) remove_old_model_files(original);
  const std::vector<ModelTensor> all = model_tensors(preset, options.seed);

  if (options.write_hf) write_hf_layout(root, all, preset, options);
  if (options.write_original) write_original_layout(original, all, preset, options);
}

}  // namespace gptoss::engine
