// The random test-model writer: files laid out as the real ones, deterministic per seed, both
// layouts consistent, and weights at the scales the header of test_model.h promises.
#include "engine/test_model.h"

#include "engine/engine.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "engine/config.h"
#include "engine/micro_preset.h"
#include "engine/safetensors.h"
#include "reference/file_bytes.h"
#include "reference/reference_forward.h"
#include "reference/temp_dir.h"

namespace gptoss::engine {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

using gptoss::testing::slurp;

struct Stats {
  double mean = 0, std = 0, min = INFINITY, max = -INFINITY;
};

Stats bf16_stats(const TensorEntry& t) {
  const uint16_t* p = reinterpret_cast<const uint16_t*>(t.data);
  const size_t n = t.data_bytes / 2;
  Stats s;
  double sum = 0, sum2 = 0;
  for (size_t i = 0; i < n; ++i) {
    const double v = reference::bf16_value(p[i]);
    sum += v;
    sum2 += v * v;
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
  }
  s.mean = sum / n;
  s.std = std::sqrt(std::max(0.0, sum2 / n - s.mean * s.mean));
  return s;
}

TEST(TestModel, PresetsMatchGenCkpt) {
  EXPECT_EQ(test_model_preset_names(), (std::vector<std::string>{"tiny", "small", "20b", "120b"}));
  const TestModelPreset& b20 = *find_test_model_preset("20b");
  EXPECT_EQ(b20.n_layers, 24);
  EXPECT_EQ(b20.hidden, 2880);
  EXPECT_EQ(b20.n_experts, 32);
  EXPECT_EQ(b20.vocab, 201088);
  EXPECT_EQ(b20.sliding_window, 128);
  EXPECT_EQ(b20.initial_context_length, 4096);
  EXPECT_EQ(find_test_model_preset("120b")->n_experts, 128);
  EXPECT_EQ(find_test_model_preset("tiny")->initial_context_length, 256);
  EXPECT_EQ(find_test_model_preset("huge"), nullptr);
}

TEST(TestModel, FilesAndConfigs) {
  testing::TempDir dir;
  write_test_model(dir.str(), micro_preset(), {.seed = 1});
  const json hf = json::parse(slurp(dir / "config.json"));
  EXPECT_EQ(hf["architectures"], json::array({"GptOssForCausalLM"}));
  EXPECT_EQ(hf["quantization_config"]["quant_method"], "mxfp4");
  EXPECT_EQ(hf["layer_types"], json::array({"sliding_attention", "full_attention"}));
  EXPECT_EQ(hf["rope_scaling"]["truncate"], false);
  EXPECT_EQ(hf["max_position_embeddings"], 256 * 32);
  const Config a = parse_hf_config(slurp(dir / "config.json"), "config.json");
  const Config b = parse_original_config(slurp(dir / "original/config.json"), "original/config.json");
  EXPECT_EQ(describe_config(a), describe_config(b));
  EXPECT_EQ(a.vocab, 512);
  EXPECT_EQ(a.n_layers, 2);
}

TEST(TestModel, SafetensorsLayoutIsTheSerializers) {
  testing::TempDir dir;
  write_test_model(dir.str(), micro_preset(), {.seed = 1});
  for (const std::string& file : {dir / "model.safetensors", dir / "original/model.safetensors"}) {
    SCOPED_TRACE(file);
    MappedFile f(file);
    EXPECT_EQ(f.header().header_bytes() % 8, 0u);
    EXPECT_EQ(f.header().metadata().at("format"), "pt");
    // BF16 tensors first, then U8; by name within each; data packed from the start, no holes.
    uint64_t expected_offset = 8 + f.header().header_bytes();
    const TensorEntry* previous = nullptr;
    for (const TensorEntry& t : f.header().tensors()) {
      EXPECT_EQ(t.data_offset, expected_offset) << t.name;
      expected_offset += t.data_bytes;
      if (previous && previous->dtype == t.dtype) {
        EXPECT_LT(previous->name, t.name);
      }
      if (previous) {
        EXPECT_FALSE(previous->dtype == Dtype::kU8 && t.dtype == Dtype::kBF16);
      }
      previous = &t;
    }
    EXPECT_EQ(expected_offset, f.size_bytes());
  }
  // The original layout's qkv is q, k, v of the HF layout, stacked.
  MappedFile hf(dir / "model.safetensors"), og(dir / "original/model.safetensors");
  const TensorEntry& qkv = *og.header().find("block.1.attn.qkv.weight");
  const TensorEntry& q = *hf.header().find("model.layers.1.self_attn.q_proj.weight");
  const TensorEntry& k = *hf.header().find("model.layers.1.self_attn.k_proj.weight");
  const TensorEntry& v = *hf.header().find("model.layers.1.self_attn.v_proj.weight");
  EXPECT_EQ(qkv.shape, (std::vector<int64_t>{192, 64}));
  ASSERT_EQ(qkv.data_bytes, q.data_bytes + k.data_bytes + v.data_bytes);
  EXPECT_EQ(std::memcmp(qkv.data, q.data, q.data_bytes), 0);
  EXPECT_EQ(std::memcmp(qkv.data + q.data_bytes, k.data, k.data_bytes), 0);
  EXPECT_EQ(std::memcmp(qkv.data + q.data_bytes + k.data_bytes, v.data, v.data_bytes), 0);
}

TEST(TestModel, ShardIndex) {
  testing::TempDir dir;
  write_test_model(dir.str(), micro_preset(), {.seed = 1, .shard_bytes = 100 << 10});
  EXPECT_FALSE(fs::exists(dir / "model.safetensors"));
  const json index = json::parse(slurp(dir / "model.safetensors.index.json"));
  std::set<std::string> shards;
  uint64_t total = 0;
  size_t tensors = 0;
  for (const auto& [name, file] : index["weight_map"].items()) shards.insert(file.get<std::string>());
  const std::regex pattern("model-000(\\d\\d)-of-000(\\d\\d)\\.safetensors");
  for (const std::string& shard : shards) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(shard, m, pattern)) << shard;
    EXPECT_EQ(std::stoul(m[2]), shards.size() - 1);  // "-of-" names the last index, as the real files do
    MappedFile f(dir / shard);
    for (const TensorEntry& t : f.header().tensors()) {
      EXPECT_EQ(index["weight_map"][t.name], shard) << t.name;
      total += t.data_bytes;
      ++tensors;
    }
  }
  EXPECT_GE(shards.size(), 2u);
  EXPECT_EQ(tensors, index["weight_map"].size());
  EXPECT_EQ(index["metadata"]["total_size"].get<uint64_t>(), total);
  // Writing again unsharded removes the index and the shards.
  write_test_model(dir.str(), micro_preset(), {.seed = 1});
  EXPECT_FALSE(fs::exists(dir / "model.safetensors.index.json"));
  EXPECT_FALSE(fs::exists(dir / *shards.begin()));
  EXPECT_TRUE(fs::exists(dir / "model.safetensors"));
}

TEST(TestModel, DeterministicPerSeed) {
  testing::TempDir a, b, c;
  write_test_model(a.str(), micro_preset(), {.seed = 5});
  write_test_model(b.str(), micro_preset(), {.seed = 5});
  write_test_model(c.str(), micro_preset(), {.seed = 6});
  EXPECT_EQ(slurp(a / "model.safetensors"), slurp(b / "model.safetensors"));
  EXPECT_EQ(slurp(a / "original/model.safetensors"), slurp(b / "original/model.safetensors"));
  EXPECT_NE(slurp(a / "model.safetensors"), slurp(c / "model.safetensors"));
}

TEST(TestModel, WeightScales) {
  testing::TempDir dir;
  TestModelPreset p = micro_preset();
  p.vocab = 4096;  // enough samples for the embedding's statistics
  write_test_model(dir.str(), p, {.seed = 2});
  MappedFile f(dir / "model.safetensors");
  auto stats = [&](const std::string& name) { return bf16_stats(*f.header().find(name)); };

  const Stats embed = stats("model.embed_tokens.weight");  // N(0, 1), 262144 samples
  EXPECT_NEAR(embed.mean, 0.0, 0.01);
  EXPECT_NEAR(embed.std, 1.0, 0.01);
  EXPECT_GT(embed.max, 3.5);                      // Gaussian tails, not a uniform
  const Stats lm_head = stats("lm_head.weight");  // N(0, 1/sqrt(64))
  EXPECT_NEAR(lm_head.std, 0.125, 0.002);
  const Stats q = stats("model.layers.0.self_attn.q_proj.weight");  // fan_in 64
  EXPECT_NEAR(q.std, 0.125, 0.005);
  const Stats o = stats("model.layers.0.self_attn.o_proj.weight");  // fan_in NH*D = 128
  EXPECT_NEAR(o.std, 1 / std::sqrt(128.0), 0.004);
  const Stats norm = stats("model.layers.1.post_attention_layernorm.weight");  // 1 +- 0.1
  EXPECT_NEAR(norm.mean, 1.0, 0.05);
  EXPECT_NEAR(norm.std, 0.1, 0.04);
  EXPECT_NEAR(stats("model.layers.0.self_attn.sinks").std, 1.0, 0.6);  // only 8 samples
  const Stats router_bias = stats("model.layers.0.mlp.router.bias");
  EXPECT_LT(std::fabs(router_bias.mean), 0.6);
  EXPECT_NEAR(stats("model.layers.0.mlp.experts.gate_up_proj_bias").std, 0.1, 0.01);

  // Scales: base = 127 + round(log2(64^-1/2 / 2.5)) = 127 + round(-4.32) = 123, +- 1, all three used.
  const TensorEntry& scales = *f.header().find("model.layers.0.mlp.experts.gate_up_proj_scales");
  std::set<int> seen;
  for (uint64_t i = 0; i < scales.data_bytes; ++i) seen.insert(scales.data[i]);
  EXPECT_EQ(seen, (std::set<int>{122, 123, 124}));
  // Blocks: uniform random bytes: every nibble value appears in both halves, mean byte ~127.5.
  const TensorEntry& blocks = *f.header().find("model.layers.1.mlp.experts.down_proj_blocks");
  std::set<int> low, high;
  double sum = 0;
  for (uint64_t i = 0; i < blocks.data_bytes; ++i) {
    low.insert(blocks.data[i] & 15);
    high.insert(blocks.data[i] >> 4);
    sum += blocks.data[i];
  }
  EXPECT_EQ(low.size(), 16u);
  EXPECT_EQ(high.size(), 16u);
  EXPECT_NEAR(sum / blocks.data_bytes, 127.5, 2.0);  // 16384 bytes: std of the mean ~0.6
}

TEST(TestModel, BadPresetThrows) {
  testing::TempDir dir;
  TestModelPreset p = micro_preset();
  p.hidden = 48;  // not a multiple of 32
  EXPECT_THROW(write_test_model(dir.str(), p), gptoss::Error);
}

TEST(TestModel, CommandLine) {
  testing::TempDir dir;
  const std::string bin = GPTOSS_BINARY;
  EXPECT_EQ(std::system((bin + " make-test-model --help > /dev/null").c_str()), 0);
  EXPECT_NE(std::system((bin + " make-test-model " + dir.str() + " 2> /dev/null").c_str()),
            0);  // no --preset
  EXPECT_EQ(WEXITSTATUS(
                std::system((bin + " make-test-model " + dir.str() + " --preset huge 2> /dev/null").c_str())),
            2);
  EXPECT_EQ(WEXITSTATUS(std::system(
                (bin + " make-test-model " + dir.str() + " --preset tiny --seed x 2> /dev/null").c_str())),
            2);
  EXPECT_EQ(WEXITSTATUS(std::system((bin + " make-test-model --preset tiny 2> /dev/null").c_str())), 2);
  ASSERT_EQ(
      std::system((bin + " make-test-model " + dir.str() + " --preset tiny --seed 4 2> /dev/null").c_str()),
      0);
  EXPECT_TRUE(fs::exists(dir / "model.safetensors"));
  EXPECT_TRUE(fs::exists(dir / "original/model.safetensors"));
  const Config c = parse_hf_config(slurp(dir / "config.json"), "config.json");
  EXPECT_EQ(c.vocab, 201088);
  EXPECT_EQ(WEXITSTATUS(std::system(
                (bin + " make-test-model " + dir.str() + " --preset tiny --layout gguf 2> /dev/null").c_str())),
            2);
}

// One layout only (the 120b costs 61 GiB per layout): the other is not written, and an earlier
// copy of it is removed so the folder never mixes two models.
TEST(TestModel, OneLayout) {
  testing::TempDir dir;
  write_test_model(dir.str(), micro_preset(), {.seed = 2});
  write_test_model(dir.str(), micro_preset(), {.seed = 3, .write_original = false});
  EXPECT_TRUE(fs::exists(dir / "model.safetensors"));
  EXPECT_FALSE(fs::exists(dir / "original/model.safetensors"));
  EXPECT_EQ(Model::open(dir.str())->info().layout, "hf");
  testing::TempDir other;
  write_test_model(other.str(), micro_preset(), {.seed = 3, .write_hf = false});
  EXPECT_FALSE(fs::exists(other / "model.safetensors"));
  EXPECT_FALSE(fs::exists(other / "config.json"));
  EXPECT_EQ(Model::open(other.str())->info().layout, "original");
  EXPECT_THROW(write_test_model(other.str(), micro_preset(), {.write_hf = false, .write_original = false}),
               gptoss::Error);
}

}  // namespace
}  // namespace gptoss::engine
