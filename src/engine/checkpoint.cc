#include "engine/checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/input_limits.h"
#include "engine/config.h"
#include "engine/safetensors.h"

namespace gptoss::engine {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Tensor and shard names come from the files: escaped, so the message stays on one line.
[[noreturn]] void fail(const std::string& file, const std::string& where, const std::string& what) {
  throw LoadError(escape_control_chars(file + ": " + capped(where) + ": " + what));
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// Where the checkpoint lives and how it is laid out.
struct Layout {
  ConfigFormat format;
  fs::path folder;  // holds config.json and the safetensors files
  std::string config_text;
};

// HF layout at the root when config.json and weights are there; else original/; else `dir`
// itself when it is an original/ folder (its config.json has no HF-only keys).
Layout find_layout(const fs::path& dir) {
  const fs::path root_config = dir / "config.json";
  const bool root_weights =
      is_file(dir / "model.safetensors") || is_file(dir / "model.safetensors.index.json");
  if (is_file(root_config) && root_weights) {
    std::string text = read_text_file(root_config.string());
    if (detect_config_format(text, root_config.string()) == ConfigFormat::kHf)
      return {ConfigFormat::kHf, dir, std::move(text)};
    return {ConfigFormat::kOriginal, dir, std::move(text)};  // `dir` is an original/ folder
  }
  const fs::path original_config = dir / "original" / "config.json";
  if (is_file(original_config))
    return {ConfigFormat::kOriginal, dir / "original", read_text_file(original_config.string())};
  if (!fs::is_directory(dir)) fail(dir.string(), "folder", "not a directory");
  fail(dir.string(), "folder",
       "no checkpoint found (expected config.json with model.safetensors or model.safetensors.index.json, "
       "or original/config.json)");
}

FilePlan plan_files(const fs::path& folder) {
  const fs::path index = folder / "model.safetensors.index.json";
  if (!is_file(index)) return FilePlan{{"model.safetensors"}, {}};
  const std::string index_file = index.string();
  FilePlan plan = parse_shard_index(read_text_file(index_file), index_file);
  for (const std::string& shard : plan.files)
    if (!is_file(folder / shard)) fail(index_file, shard, "shard named in the index is missing");
  return plan;
}

// Every tensor of the mapped files by name, checked against the index; the expected tensors are
// taken out one by one so that leftovers can be reported as extra.
class TensorDirectory {
 public:
  TensorDirectory(const std::vector<std::unique_ptr<MappedFile>>& files, const FilePlan& plan,
                  const std::string& index_file) {
    for (const auto& f : files) {
      for (const TensorEntry& t : f->header().tensors()) {
        auto [it, inserted] = by_name_.emplace(t.name, Found{&t, f->path()});
        if (!inserted) fail(f->path(), t.name, "tensor also present in " + it->second.file);
        if (!plan.weight_map.empty()) {
          auto m = plan.weight_map.find(t.name);
          if (m == plan.weight_map.end()) fail(f->path(), t.name, "tensor not listed in " + index_file);
          if (fs::path(f->path()).filename() != m->second)
            fail(f->path(), t.name,
                 "index places the tensor in another shard (expected " + capped(m->second) + ")");
        }
      }
    }
    for (const auto& [name, shard] : plan.weight_map)
      if (!by_name_.count(name))
        fail(index_file, name, "tensor listed in the index is missing from " + capped(shard));
  }

  // The tensor `name`, with its dtype and shape checked, marked used.
  const TensorEntry& take(const std::string& name, Dtype dtype, const std::vector<int64_t>& shape,
                          const std::string& folder) {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) fail(folder, name, "tensor missing from the checkpoint");
    const TensorEntry& t = *it->second.entry;
    if (t.dtype != dtype)
      fail(
          it->second.file, name,
          std::string("wrong dtype (expected ") + dtype_name(dtype) + ", found " + dtype_name(t.dtype) + ")");
    if (t.shape != shape)
      fail(it->second.file, name,
           "wrong shape (expected " + shape_text(shape) + ", found " + shape_text(t.shape) + ")");
    if (!used_.insert(name).second) fail(it->second.file, name, "tensor used twice");  // a naming bug
    return t;
  }

  // Throws naming the first tensor nobody took.
  void check_all_used() const {
    for (const auto& [name, found] : by_name_)
      if (!used_.count(name)) fail(found.file, name, "unexpected tensor (not part of a gpt-oss checkpoint)");
  }

  // name, dtype and shape of every tensor, in name order.
  std::string listing() const {
    std::string s;
    for (const auto& [name, found] : by_name_)
      s += name + " " + dtype_name(found.entry->dtype) + " " + shape_text(found.entry->shape) + "\n";
    return s;
  }

 private:
  struct Found {
    const TensorEntry* entry;
    std::string file;
  };
  std::map<std::string, Found> by_name_;
  std::set<std::string> used_;
};

// Tensor names of one layout; the fused qkv of the original layout is handled by the caller.
struct Names {
  virtual ~Names() = default;
  virtual std::string embed() const = 0;
  virtual std::string final_norm() const = 0;
  virtual std::string unembed() const = 0;
  virtual std::string layer(int l, const char* hf, const char* original) const = 0;
};

struct HfNames : Names {
  std::string embed() const override { return "model.embed_tokens.weight"; }
  std::string final_norm() const override { return "model.norm.weight"; }
  std::string unembed() const override { return "lm_head.weight"; }
  std::string layer(int l, const char* hf, const char*) const override {
    return "model.layers." + std::to_string(l) + "." + hf;
  }
};

struct OriginalNames : Names {
  std::string embed() const override { return "embedding.weight"; }
  std::string final_norm() const override { return "norm.scale"; }
  std::string unembed() const override { return "unembedding.weight"; }
  std::string layer(int l, const char*, const char* original) const override {
    return "block." + std::to_string(l) + "." + original;
  }
};

const uint16_t* as_bf16(const TensorEntry& t) { return reinterpret_cast<const uint16_t*>(t.data); }

// Builds the typed views, validating each tensor's dtype and shape against the config.
Weights build_weights(const Config& c, ConfigFormat format, TensorDirectory& dir, const std::string& folder,
                      const std::function<void(double)>& progress) {
  const int64_t H = c.hidden, I = c.intermediate, E = c.n_experts, NH = c.n_heads, NKV = c.n_kv_heads,
                D = c.head_dim, V = c.vocab;
  HfNames hf;
  OriginalNames original;
  const Names& names = format == ConfigFormat::kHf ? static_cast<const Names&>(hf) : original;

  auto matrix = [&](const std::string& name, int64_t rows, int64_t cols) {
    const TensorEntry& t = dir.take(name, Dtype::kBF16, {rows, cols}, folder);
    return Bf16Matrix{as_bf16(t), static_cast<int>(rows), static_cast<int>(cols)};
  };
  auto vector = [&](const std::string& name, int64_t size) {
    const TensorEntry& t = dir.take(name, Dtype::kBF16, {size}, folder);
    return Bf16Vector{as_bf16(t), static_cast<int>(size)};
  };
  auto experts = [&](int l, const char* hf_prefix, const char* original_prefix, int64_t rows, int64_t cols) {
    auto name = [&](const char* hf_suffix, const char* original_suffix) {
      return names.layer(l, (std::string(hf_prefix) + hf_suffix).c_str(),
                         (std::string(original_prefix) + original_suffix).c_str());
    };
    Mxfp4Experts m;
    m.blocks = dir.take(name("_blocks", "_weight.blocks"), Dtype::kU8, {E, rows, cols / 32, 16}, folder).data;
    m.scales = dir.take(name("_scales", "_weight.scales"), Dtype::kU8, {E, rows, cols / 32}, folder).data;
    m.bias = as_bf16(dir.take(name("_bias", "_bias"), Dtype::kBF16, {E, rows}, folder));
    m.n_experts = static_cast<int>(E);
    m.rows = static_cast<int>(rows);
    m.cols = static_cast<int>(cols);
    return m;
  };

  Weights w;
  w.embed = matrix(names.embed(), V, H);
  for (int l = 0; l < c.n_layers; ++l) {
    LayerWeights lw;
    lw.attn_norm = vector(names.layer(l, "input_layernorm.weight", "attn.norm.scale"), H);
    if (format == ConfigFormat::kHf) {
      lw.wq = matrix(names.layer(l, "self_attn.q_proj.weight", ""), NH * D, H);
      lw.wk = matrix(names.layer(l, "self_attn.k_proj.weight", ""), NKV * D, H);
      lw.wv = matrix(names.layer(l, "self_attn.v_proj.weight", ""), NKV * D, H);
      lw.bq = vector(names.layer(l, "self_attn.q_proj.bias", ""), NH * D);
      lw.bk = vector(names.layer(l, "self_attn.k_proj.bias", ""), NKV * D);
      lw.bv = vector(names.layer(l, "self_attn.v_proj.bias", ""), NKV * D);
    } else {
      // qkv rows: q (NH*D), then k (NKV*D), then v (NKV*D); views are row ranges.
      const Bf16Matrix qkv = matrix(names.layer(l, "", "attn.qkv.weight"), (NH + 2 * NKV) * D, H);
      const Bf16Vector qkv_bias = vector(names.layer(l, "", "attn.qkv.bias"), (NH + 2 * NKV) * D);
      lw.wq = {qkv.row(0), static_cast<int>(NH * D), static_cast<int>(H)};
      lw.wk = {qkv.row(static_cast<int>(NH * D)), static_cast<int>(NKV * D), static_cast<int>(H)};
      lw.wv = {qkv.row(static_cast<int>((NH + NKV) * D)), static_cast<int>(NKV * D), static_cast<int>(H)};
      lw.bq = {qkv_bias.data, static_cast<int>(NH * D)};
      lw.bk = {qkv_bias.data + NH * D, static_cast<int>(NKV * D)};
      lw.bv = {qkv_bias.data + (NH + NKV) * D, static_cast<int>(NKV * D)};
    }
    lw.sinks = vector(names.layer(l, "self_attn.sinks", "attn.sinks"), NH);
    lw.wo = matrix(names.layer(l, "self_attn.o_proj.weight", "attn.out.weight"), H, NH * D);
    lw.bo = vector(names.layer(l, "self_attn.o_proj.bias", "attn.out.bias"), H);
    lw.mlp_norm = vector(names.layer(l, "post_attention_layernorm.weight", "mlp.norm.scale"), H);
    lw.router = matrix(names.layer(l, "mlp.router.weight", "mlp.gate.weight"), E, H);
    lw.router_bias = vector(names.layer(l, "mlp.router.bias", "mlp.gate.bias"), E);
    lw.mlp1 = experts(l, "mlp.experts.gate_up_proj", "mlp.mlp1", 2 * I, H);
    lw.mlp2 = experts(l, "mlp.experts.down_proj", "mlp.mlp2", H, I);
    w.layers.push_back(lw);
    if (progress) progress(static_cast<double>(l + 1) / c.n_layers);
  }
  w.final_norm = vector(names.final_norm(), H);
  w.unembed = matrix(names.unembed(), V, H);
  dir.check_all_used();
  return w;
}

// 64-bit FNV-1a, as 16 hex digits.
std::string fnv1a_hex(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

}  // namespace

FilePlan parse_shard_index(const std::string& text, const std::string& index_file) {
  if (auto problem = excess_json_nesting(text)) throw LoadError(index_file + ": " + *problem);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail(index_file, "index", "invalid JSON (" + capped(e.what(), kMaxParseErrorBytes) + ")");
  }
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    fail(index_file, "weight_map", "missing or not an object");
  FilePlan plan;
  std::set<std::string> seen;
  for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
    if (!it->is_string()) fail(index_file, it.key(), "weight_map value is not a file name");
    const std::string shard = it->get<std::string>();
    // Shards are plain names in the same folder; nothing may point elsewhere.
    if (shard.empty() || shard.find('/') != std::string::npos || shard == "." || shard == "..")
      fail(index_file, it.key(), "shard name is not a plain file name (found \"" + capped(shard) + "\")");
    plan.weight_map[it.key()] = shard;
    if (seen.insert(shard).second) plan.files.push_back(shard);
  }
  if (plan.files.empty()) fail(index_file, "weight_map", "names no tensors");
  std::sort(plan.files.begin(), plan.files.end());
  return plan;
}

Checkpoint::~Checkpoint() = default;

std::unique_ptr<Checkpoint> open_checkpoint(const std::string& dir,
                                            const std::function<void(const LoadProgress&)>& progress) {
  auto report = [&](const char* stage, double fraction) {
    if (progress) progress(LoadProgress{stage, fraction});
  };
  const Layout layout = find_layout(fs::path(dir));
  const std::string config_file = (layout.folder / "config.json").string();
  auto ckpt = std::make_unique<Checkpoint>();
  ckpt->config = layout.format == ConfigFormat::kHf ? parse_hf_config(layout.config_text, config_file)
                                                    : parse_original_config(layout.config_text, config_file);

  report("mapping", 0);
  const FilePlan plan = plan_files(layout.folder);
  for (size_t i = 0; i < plan.files.size(); ++i) {
    const fs::path path = layout.folder / plan.files[i];
    if (!is_file(path)) fail(path.string(), "file", "safetensors file missing");
    ckpt->files.push_back(std::make_unique<MappedFile>(path.string()));
    ckpt->info.files.push_back(path.string());
    ckpt->info.file_bytes += ckpt->files.back()->size_bytes();
    report("mapping", static_cast<double>(i + 1) / plan.files.size());
  }

  report("validating", 0);
  TensorDirectory tensors(ckpt->files, plan, (layout.folder / "model.safetensors.index.json").string());
  ckpt->weights = build_weights(ckpt->config, layout.format, tensors, layout.folder.string(),
                                [&](double f) { report("validating", f); });

  ckpt->info.dir = layout.folder.string();
  ckpt->info.layout = layout.format == ConfigFormat::kHf ? "hf" : "original";
  // Over the parsed config and the tensor directory (names, dtypes, shapes). The two layouts of
  // one model name their tensors differently, so they get different fingerprints; a re-download
  // or re-shard of the same layout gets the same one.
  ckpt->info.fingerprint = fnv1a_hex(describe_config(ckpt->config) + "\n" + tensors.listing());
  return ckpt;
}

}  // namespace gptoss::engine
