// open_checkpoint on models written by write_test_model: both layouts and a sharded HF copy give
// the same numbers; each damaged copy (one named case per damage) is refused with a one-line
// error naming the file and the tensor or key at fault.
#include "engine/checkpoint.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "engine/config.h"
#include "engine/micro_preset.h"
#include "engine/safetensors.h"
#include "engine/test_model.h"
#include "reference/temp_dir.h"

namespace gptoss::engine {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

// A micro model in its own temp dir (HF at the root, original/ below).
struct MicroModel {
  testing::TempDir dir;
  explicit MicroModel(uint64_t shard_bytes = 5ull << 30) {
    TestModelOptions options;
    options.seed = 7;
    options.shard_bytes = shard_bytes;
    write_test_model(dir.str(), micro_preset(), options);
  }
  std::string path(const std::string& name) const { return dir / name; }
};

json read_json(const std::string& path) { return json::parse(read_text_file(path)); }

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// A safetensors file as editable entries; written back in the serializer's layout.
struct EditableTensor {
  std::string name, dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

void rewrite_safetensors(const std::string& path,
                         const std::function<void(std::vector<EditableTensor>&)>& edit) {
  std::vector<EditableTensor> tensors;
  {
    MappedFile file(path);
    for (const TensorEntry& t : file.header().tensors())
      tensors.push_back({t.name, dtype_name(t.dtype), t.shape,
                         std::string(reinterpret_cast<const char*>(t.data), t.data_bytes)});
  }
  edit(tensors);
  ordered_json header;
  header["__metadata__"] = {{"format", "pt"}};
  uint64_t offset = 0;
  for (const EditableTensor& t : tensors) {
    header[t.name] = {
        {"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(static_cast<uint64_t>(text.size()) >> (8 * i));
  out += text;
  for (const EditableTensor& t : tensors) out += t.bytes;
  write_file(path, out);
}

EditableTensor& find(std::vector<EditableTensor>& tensors, const std::string& name) {
  for (EditableTensor& t : tensors)
    if (t.name == name) return t;
  throw std::runtime_error("test setup: no tensor " + name);
}

// open_checkpoint(dir) must fail with one line starting "<file>: <where>: ".
void expect_load_error(const std::string& dir, const std::string& file, const std::string& where,
                       const std::string& problem = "") {
  try {
    open_checkpoint(dir);
    FAIL() << "loaded a damaged checkpoint; expected an error at " << file << ": " << where;
  } catch (const LoadError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(file + ": " + where + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(problem), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// ---- good checkpoints ----

bool same_bytes(const void* a, const void* b, size_t n) { return std::memcmp(a, b, n) == 0; }

// Every view of `a` and `b` holds the same numbers.
void expect_same_weights(const Checkpoint& a, const Checkpoint& b) {
  const Config& c = a.config;
  const size_t H = c.hidden, V = c.vocab;
  auto matrix = [](const Bf16Matrix& x, const Bf16Matrix& y) {
    return x.rows == y.rows && x.cols == y.cols && same_bytes(x.data, y.data, 2ull * x.rows * x.cols);
  };
  auto vector = [](const Bf16Vector& x, const Bf16Vector& y) {
    return x.size == y.size && same_bytes(x.data, y.data, 2ull * x.size);
  };
  auto experts = [](const Mxfp4Experts& x, const Mxfp4Experts& y) {
    return x.n_experts == y.n_experts && x.rows == y.rows && x.cols == y.cols &&
           same_bytes(x.blocks, y.blocks, x.expert_block_bytes() * x.n_experts) &&
           same_bytes(x.scales, y.scales, x.expert_scale_bytes() * x.n_experts) &&
           same_bytes(x.bias, y.bias, 2ull * x.rows * x.n_experts);
  };
  EXPECT_TRUE(same_bytes(a.weights.embed.data, b.weights.embed.data, 2 * V * H));
  EXPECT_TRUE(matrix(a.weights.unembed, b.weights.unembed));
  EXPECT_TRUE(vector(a.weights.final_norm, b.weights.final_norm));
  ASSERT_EQ(a.weights.layers.size(), b.weights.layers.size());
  for (size_t l = 0; l < a.weights.layers.size(); ++l) {
    SCOPED_TRACE("layer " + std::to_string(l));
    const LayerWeights &x = a.weights.layers[l], &y = b.weights.layers[l];
    EXPECT_TRUE(vector(x.attn_norm, y.attn_norm));
    EXPECT_TRUE(matrix(x.wq, y.wq));
    EXPECT_TRUE(matrix(x.wk, y.wk));
    EXPECT_TRUE(matrix(x.wv, y.wv));
    EXPECT_TRUE(vector(x.bq, y.bq));
    EXPECT_TRUE(vector(x.bk, y.bk));
    EXPECT_TRUE(vector(x.bv, y.bv));
    EXPECT_TRUE(vector(x.sinks, y.sinks));
    EXPECT_TRUE(matrix(x.wo, y.wo));
    EXPECT_TRUE(vector(x.bo, y.bo));
    EXPECT_TRUE(vector(x.mlp_norm, y.mlp_norm));
    EXPECT_TRUE(matrix(x.router, y.router));
    EXPECT_TRUE(vector(x.router_bias, y.router_bias));
    EXPECT_TRUE(experts(x.mlp1, y.mlp1));
    EXPECT_TRUE(experts(x.mlp2, y.mlp2));
  }
}

TEST(Checkpoint, BothLayoutsGiveTheSameWeights) {
  testing::TempDir dir;
  write_test_model(dir.str(), *find_test_model_preset("tiny"), {.seed = 3});
  const auto hf = open_checkpoint(dir.str());
  const auto original = open_checkpoint(dir / "original");
  EXPECT_EQ(hf->info.layout, "hf");
  EXPECT_EQ(original->info.layout, "original");
  EXPECT_EQ(describe_config(hf->config), describe_config(original->config));
  EXPECT_EQ(hf->config.vocab, 201088);
  expect_same_weights(*hf, *original);
  // The views really are row ranges of the fused qkv: k starts right after q's NH*D rows.
  const Config& c = original->config;
  EXPECT_EQ(original->weights.layers[0].wk.data,
            original->weights.layers[0].wq.data + size_t(c.n_heads) * c.head_dim * c.hidden);
  // Tensor names differ between the layouts, so do the fingerprints (see open_checkpoint).
  EXPECT_NE(hf->info.fingerprint, original->info.fingerprint);
  EXPECT_EQ(hf->info.fingerprint.size(), 16u);
}

TEST(Checkpoint, ShardedHfLoads) {
  // The micro model (a few hundred KB) cut into 64 KiB shards: the same index and shard logic as
  // the tiny model in 20 MiB shards, at a fraction of the writing time.
  MicroModel single, sharded(64 << 10);
  ASSERT_TRUE(fs::exists(sharded.path("model.safetensors.index.json")));
  ASSERT_FALSE(fs::exists(sharded.path("model.safetensors")));
  const auto a = open_checkpoint(single.dir.str());
  const auto b = open_checkpoint(sharded.dir.str());
  EXPECT_EQ(a->info.files.size(), 1u);
  EXPECT_GE(b->info.files.size(), 3u);
  expect_same_weights(*a, *b);
  EXPECT_EQ(a->info.fingerprint, b->info.fingerprint);  // the directory, not the file split
}

TEST(Checkpoint, DownloadFolderPrefersHfAndOriginalFolderLoads) {
  MicroModel m;
  EXPECT_EQ(open_checkpoint(m.dir.str())->info.layout, "hf");
  EXPECT_EQ(open_checkpoint(m.path("original"))->info.layout, "original");
  // Without the HF files the download folder falls back to original/.
  fs::remove(m.path("model.safetensors"));
  const auto c = open_checkpoint(m.dir.str());
  EXPECT_EQ(c->info.layout, "original");
  EXPECT_EQ(c->info.dir, m.path("original"));
}

TEST(Checkpoint, ProgressStages) {
  MicroModel m;
  std::vector<std::string> stages;
  double last_validating = 0;
  open_checkpoint(m.dir.str(), [&](const LoadProgress& p) {
    if (stages.empty() || stages.back() != p.stage) stages.push_back(p.stage);
    if (p.stage == "validating") last_validating = p.fraction;
  });
  EXPECT_EQ(stages, (std::vector<std::string>{"mapping", "validating"}));
  EXPECT_EQ(last_validating, 1.0);
}

TEST(Checkpoint, InfoAndFingerprint) {
  MicroModel a, b;
  const auto x = open_checkpoint(a.dir.str());
  const auto y = open_checkpoint(b.dir.str());
  EXPECT_EQ(x->info.file_bytes, fs::file_size(a.path("model.safetensors")));
  EXPECT_EQ(x->info.files, std::vector<std::string>{a.path("model.safetensors")});
  EXPECT_EQ(x->info.fingerprint, y->info.fingerprint);  // same config and directory
  json cfg = read_json(b.path("config.json"));
  cfg["sliding_window"] = 8;
  write_file(b.path("config.json"), cfg.dump());
  EXPECT_NE(open_checkpoint(b.dir.str())->info.fingerprint, x->info.fingerprint);
}

// ---- damaged checkpoints ----

TEST(Checkpoint, kNoCheckpoint) {
  testing::TempDir dir;
  expect_load_error(dir.str(), dir.str(), "folder", "no checkpoint found");
  expect_load_error(dir / "absent", dir / "absent", "folder", "not a directory");
}

TEST(Checkpoint, kTruncatedFile) {
  MicroModel m;
  const std::string file = m.path("model.safetensors");
  fs::resize_file(file, fs::file_size(file) - 1);
  try {
    open_checkpoint(m.dir.str());
    FAIL() << "loaded a truncated file";
  } catch (const SafetensorsError& e) {
    EXPECT_EQ(e.problem(), SafetensorsProblem::kOffsetPastEnd) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind(file + ": model.layers.", 0), 0u) << e.what();
  }
}

TEST(Checkpoint, kMissingTensor) {
  MicroModel m;
  rewrite_safetensors(m.path("model.safetensors"), [](std::vector<EditableTensor>& t) {
    std::erase_if(t, [](const EditableTensor& x) { return x.name == "model.layers.1.self_attn.sinks"; });
  });
  expect_load_error(m.dir.str(), m.dir.str(), "model.layers.1.self_attn.sinks", "missing");
}

TEST(Checkpoint, kMissingTensorOriginal) {
  MicroModel m;
  rewrite_safetensors(m.path("original/model.safetensors"), [](std::vector<EditableTensor>& t) {
    std::erase_if(t, [](const EditableTensor& x) { return x.name == "block.0.attn.qkv.bias"; });
  });
  expect_load_error(m.path("original"), m.path("original"), "block.0.attn.qkv.bias", "missing");
}

TEST(Checkpoint, kExtraTensor) {
  MicroModel m;
  rewrite_safetensors(m.path("model.safetensors"), [](std::vector<EditableTensor>& t) {
    t.push_back({"model.layers.0.self_attn.extra", "BF16", {4}, std::string(8, '\0')});
  });
  expect_load_error(m.dir.str(), m.path("model.safetensors"), "model.layers.0.self_attn.extra",
                    "unexpected tensor");
}

TEST(Checkpoint, kWrongShape) {
  MicroModel m;
  rewrite_safetensors(m.path("model.safetensors"), [](std::vector<EditableTensor>& t) {
    find(t, "model.norm.weight").shape = {1, 64};  // same bytes, wrong rank
  });
  expect_load_error(m.dir.str(), m.path("model.safetensors"), "model.norm.weight",
                    "wrong shape (expected [64], found [1, 64])");
}

TEST(Checkpoint, kWrongShapeExperts) {
  MicroModel m;
  rewrite_safetensors(m.path("original/model.safetensors"), [](std::vector<EditableTensor>& t) {
    find(t, "block.1.mlp.mlp2_weight.scales").shape = {8, 2, 64};  // rows and blocks swapped
  });
  expect_load_error(m.path("original"), m.path("original/model.safetensors"),
                    "block.1.mlp.mlp2_weight.scales", "wrong shape");
}

TEST(Checkpoint, kWrongDtype) {
  MicroModel m;
  rewrite_safetensors(m.path("model.safetensors"), [](std::vector<EditableTensor>& t) {
    EditableTensor& x = find(t, "model.layers.0.mlp.router.bias");
    x.dtype = "F16";  // same size, wrong type
  });
  expect_load_error(m.dir.str(), m.path("model.safetensors"), "model.layers.0.mlp.router.bias",
                    "wrong dtype (expected BF16, found F16)");
}

TEST(Checkpoint, kShardMissing) {
  MicroModel m(64 << 10);
  const json index = read_json(m.path("model.safetensors.index.json"));
  const std::string shard = index["weight_map"]["model.layers.1.mlp.router.weight"];
  fs::remove(m.path(shard));
  expect_load_error(m.dir.str(), m.path("model.safetensors.index.json"), shard, "missing");
}

TEST(Checkpoint, kTensorMissingFromShard) {
  MicroModel m(64 << 10);
  const json index = read_json(m.path("model.safetensors.index.json"));
  const std::string shard = index["weight_map"]["model.layers.0.self_attn.o_proj.bias"];
  rewrite_safetensors(m.path(shard), [](std::vector<EditableTensor>& t) {
    std::erase_if(t,
                  [](const EditableTensor& x) { return x.name == "model.layers.0.self_attn.o_proj.bias"; });
  });
  expect_load_error(m.dir.str(), m.path("model.safetensors.index.json"),
                    "model.layers.0.self_attn.o_proj.bias", "missing from " + shard);
}

TEST(Checkpoint, kTensorNotInIndex) {
  MicroModel m(64 << 10);
  json index = read_json(m.path("model.safetensors.index.json"));
  const std::string shard = index["weight_map"]["model.norm.weight"];
  index["weight_map"].erase("model.norm.weight");
  write_file(m.path("model.safetensors.index.json"), index.dump());
  expect_load_error(m.dir.str(), m.path(shard), "model.norm.weight", "not listed");
}

TEST(Checkpoint, kShardOutsideFolder) {
  MicroModel m(64 << 10);
  json index = read_json(m.path("model.safetensors.index.json"));
  index["weight_map"]["model.norm.weight"] = "../model.safetensors";
  write_file(m.path("model.safetensors.index.json"), index.dump());
  expect_load_error(m.dir.str(), m.path("model.safetensors.index.json"), "model.norm.weight",
                    "plain file name");
}

TEST(Checkpoint, kConfigMissingKey) {
  MicroModel m;
  json cfg = read_json(m.path("config.json"));
  cfg.erase("num_key_value_heads");
  write_file(m.path("config.json"), cfg.dump());
  expect_load_error(m.dir.str(), m.path("config.json"), "num_key_value_heads", "missing key");

  json og = read_json(m.path("original/config.json"));
  og.erase("rope_ntk_beta");
  write_file(m.path("original/config.json"), og.dump());
  expect_load_error(m.path("original"), m.path("original/config.json"), "rope_ntk_beta", "missing key");
}

// A value nested 100,000 levels deep used to overflow the stack (nlohmann parses and dumps
// recursively) and kill every command that loads the model; now it is refused with its place.
TEST(Checkpoint, kConfigNestedTooDeeply) {
  MicroModel m;
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  std::string text = read_json(m.path("config.json")).dump();
  text.insert(1, "\"notes\": " + deep + ", ");  // level 1 is the object itself
  write_file(m.path("config.json"), text);
  expect_load_error(m.dir.str(), m.path("config.json"), "1:" + std::to_string(10 + 256),
                    "nested too deeply (expected at most 256 levels)");
}

// A huge bad value is quoted cut short, never whole.
TEST(Checkpoint, kConfigHugeValueIsQuotedShort) {
  MicroModel m;
  json cfg = read_json(m.path("config.json"));
  cfg["hidden_size"] = std::string(1 << 20, 'x');
  write_file(m.path("config.json"), cfg.dump());
  try {
    open_checkpoint(m.dir.str());
    FAIL() << "loaded a config with a string hidden_size";
  } catch (const LoadError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message, m.path("config.json") + ": hidden_size: not an integer (found \"" +
                           std::string(79, 'x') + "...)");
  }
}

TEST(Checkpoint, kIndexNestedTooDeeply) {
  MicroModel m(64 << 10);
  std::string text = read_json(m.path("model.safetensors.index.json")).dump();
  text.insert(1, "\"notes\": " + std::string(100000, '{') + ", ");
  write_file(m.path("model.safetensors.index.json"), text);
  expect_load_error(m.dir.str(), m.path("model.safetensors.index.json"), "1:" + std::to_string(10 + 256),
                    "nested too deeply");
}

TEST(Checkpoint, kIndexHugeShardNameIsQuotedShort) {
  MicroModel m(64 << 10);
  json index = read_json(m.path("model.safetensors.index.json"));
  index["weight_map"]["model.norm.weight"] = "../" + std::string(1 << 20, 'y');
  write_file(m.path("model.safetensors.index.json"), index.dump());
  try {
    open_checkpoint(m.dir.str());
    FAIL() << "loaded an index naming a shard outside the folder";
  } catch (const LoadError& e) {
    EXPECT_LT(std::string(e.what()).size(), 300u) << std::string(e.what()).substr(0, 300);
    EXPECT_NE(std::string(e.what()).find("(found \"../yyy"), std::string::npos);
  }
}

TEST(Checkpoint, kConfigInconsistent) {
  MicroModel m;
  json cfg = read_json(m.path("config.json"));
  cfg["num_key_value_heads"] = 3;  // 8 heads are not divisible by 3
  write_file(m.path("config.json"), cfg.dump());
  expect_load_error(m.dir.str(), m.path("config.json"), "num_key_value_heads", "not divisible");

  cfg = read_json(m.path("config.json"));
  cfg["num_key_value_heads"] = 2;
  cfg["layer_types"].erase(0);  // one entry short
  write_file(m.path("config.json"), cfg.dump());
  expect_load_error(m.dir.str(), m.path("config.json"), "layer_types", "one entry per layer");
}

TEST(Checkpoint, kConfigDisagreesWithTensors) {
  MicroModel m;
  json cfg = read_json(m.path("config.json"));
  cfg["intermediate_size"] = 96;  // consistent on its own, but not the tensors' size
  write_file(m.path("config.json"), cfg.dump());
  expect_load_error(m.dir.str(), m.path("model.safetensors"),
                    "model.layers.0.mlp.experts.gate_up_proj_blocks",
                    "wrong shape (expected [8, 192, 2, 16], found [8, 128, 2, 16])");
}

}  // namespace
}  // namespace gptoss::engine
