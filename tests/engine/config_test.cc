// Config parsing: the HF and original configs of one model give the same Config; every missing
// key and inconsistent value is refused with a one-line error naming the file and the key.
#include "engine/config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace gptoss::engine {
namespace {

using nlohmann::json;

// gen_ckpt.py's tiny preset, as it writes config.json.
json hf_tiny() {
  return json::parse(R"({
    "architectures": ["GptOssForCausalLM"], "model_type": "gpt_oss", "attention_bias": true,
    "eos_token_id": 200002, "pad_token_id": 199999, "experts_per_token": 4, "num_experts_per_tok": 4,
    "head_dim": 16, "hidden_act": "silu", "hidden_size": 64, "initial_context_length": 256,
    "intermediate_size": 64, "layer_types": ["sliding_attention", "full_attention", "sliding_attention"],
    "max_position_embeddings": 8192, "num_attention_heads": 8, "num_hidden_layers": 3,
    "num_key_value_heads": 2, "num_local_experts": 8,
    "quantization_config": {"quant_method": "mxfp4"}, "rms_norm_eps": 1e-05,
    "rope_scaling": {"beta_fast": 32.0, "beta_slow": 1.0, "factor": 32.0,
                     "original_max_position_embeddings": 256, "rope_type": "yarn", "truncate": false},
    "rope_theta": 150000, "sliding_window": 4, "swiglu_limit": 7.0, "vocab_size": 201088})");
}

json original_tiny() {
  return json::parse(R"({
    "num_hidden_layers": 3, "num_experts": 8, "experts_per_token": 4, "vocab_size": 201088,
    "hidden_size": 64, "intermediate_size": 64, "swiglu_limit": 7.0, "head_dim": 16,
    "num_attention_heads": 8, "num_key_value_heads": 2, "sliding_window": 4,
    "initial_context_length": 256, "rope_theta": 150000, "rope_scaling_factor": 32.0,
    "rope_ntk_alpha": 1, "rope_ntk_beta": 32})");
}

// Parses `j` as an HF config expecting an error that names the file and `key`.
void expect_hf_error(const json& j, const std::string& key) {
  try {
    parse_hf_config(j.dump(), "cfg.json");
    FAIL() << "accepted a bad config; expected an error at " << key;
  } catch (const LoadError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("cfg.json: " + key + ": ", 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

void expect_original_error(const json& j, const std::string& key) {
  try {
    parse_original_config(j.dump(), "original/config.json");
    FAIL() << "accepted a bad config; expected an error at " << key;
  } catch (const LoadError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("original/config.json: " + key + ": ", 0), 0u) << e.what();
  }
}

TEST(Config, HfTiny) {
  const Config c = parse_hf_config(hf_tiny().dump(), "cfg.json");
  EXPECT_EQ(c.n_layers, 3);
  EXPECT_EQ(c.hidden, 64);
  EXPECT_EQ(c.intermediate, 64);
  EXPECT_EQ(c.n_experts, 8);
  EXPECT_EQ(c.experts_per_token, 4);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 2);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.vocab, 201088);
  EXPECT_EQ(c.sliding_window, 4);
  EXPECT_EQ(c.layer_types, (std::vector<AttentionKind>{AttentionKind::kSliding, AttentionKind::kFull,
                                                       AttentionKind::kSliding}));
  EXPECT_FLOAT_EQ(c.rms_norm_eps, 1e-5f);
  EXPECT_FLOAT_EQ(c.swiglu_limit, 7.0f);
  EXPECT_EQ(c.rope_theta, 150000.0);
  EXPECT_EQ(c.rope_factor, 32.0);
  EXPECT_EQ(c.rope_beta_fast, 32.0);
  EXPECT_EQ(c.rope_beta_slow, 1.0);
  EXPECT_EQ(c.rope_original_context, 256);
  EXPECT_FALSE(c.rope_truncate);
  EXPECT_EQ(c.max_context, 256 * 32);
}

TEST(Config, OriginalMatchesHf) {
  const Config hf = parse_hf_config(hf_tiny().dump(), "cfg.json");
  const Config og = parse_original_config(original_tiny().dump(), "original/config.json");
  EXPECT_EQ(describe_config(hf), describe_config(og));
}

TEST(Config, SizesComeFromTheFile) {
  // The real 20b's shape: nothing in the parser is tied to one size.
  json j = hf_tiny();
  j["num_hidden_layers"] = 24;
  j["hidden_size"] = 2880;
  j["intermediate_size"] = 2880;
  j["num_local_experts"] = 32;
  j["num_attention_heads"] = 64;
  j["num_key_value_heads"] = 8;
  j["head_dim"] = 64;
  j["sliding_window"] = 128;
  j["rope_scaling"]["original_max_position_embeddings"] = 4096;
  j["layer_types"] = json::array();
  for (int l = 0; l < 24; ++l) j["layer_types"].push_back(l % 2 ? "full_attention" : "sliding_attention");
  const Config c = parse_hf_config(j.dump(), "cfg.json");
  EXPECT_EQ(c.n_layers, 24);
  EXPECT_EQ(c.hidden, 2880);
  EXPECT_EQ(c.n_experts, 32);
  EXPECT_EQ(c.max_context, 131072);
  EXPECT_EQ(c.layer_types[23], AttentionKind::kFull);
}

TEST(Config, ExpertsPerTokenFallback) {
  json j = hf_tiny();
  j.erase("num_experts_per_tok");
  j["experts_per_token"] = 2;
  EXPECT_EQ(parse_hf_config(j.dump(), "cfg.json").experts_per_token, 2);
}

TEST(Config, TruncateIsRead) {
  json j = hf_tiny();
  j["rope_scaling"]["truncate"] = true;
  EXPECT_TRUE(parse_hf_config(j.dump(), "cfg.json").rope_truncate);
  j["rope_scaling"].erase("truncate");  // absent: OpenAI's reference does not truncate
  EXPECT_FALSE(parse_hf_config(j.dump(), "cfg.json").rope_truncate);
}

TEST(Config, kMissingKey) {
  for (const char* key :
       {"num_hidden_layers", "hidden_size", "intermediate_size", "num_local_experts", "num_attention_heads",
        "num_key_value_heads", "head_dim", "vocab_size", "sliding_window", "layer_types", "rms_norm_eps",
        "rope_theta", "rope_scaling", "swiglu_limit"}) {
    json j = hf_tiny();
    j.erase(key);
    SCOPED_TRACE(key);
    expect_hf_error(j, key);
  }
  json j = hf_tiny();
  j.erase("num_experts_per_tok");
  j.erase("experts_per_token");
  expect_hf_error(j, "experts_per_token");
  for (const char* key :
       {"factor", "beta_fast", "beta_slow", "original_max_position_embeddings", "rope_type"}) {
    json r = hf_tiny();
    r["rope_scaling"].erase(key);
    SCOPED_TRACE(key);
    expect_hf_error(r, std::string("rope_scaling.") + key);
  }
  for (const char* key : {"num_experts", "experts_per_token", "initial_context_length", "rope_scaling_factor",
                          "rope_ntk_alpha", "rope_ntk_beta", "swiglu_limit"}) {
    json o = original_tiny();
    o.erase(key);
    SCOPED_TRACE(key);
    expect_original_error(o, key);
  }
}

TEST(Config, kInconsistentValues) {
  auto with = [](const char* key, json value) {
    json j = hf_tiny();
    j[key] = std::move(value);
    return j;
  };
  expect_hf_error(with("num_key_value_heads", 3), "num_key_value_heads");  // 8 heads / 3
  expect_hf_error(with("sliding_window", 0), "sliding_window");
  expect_hf_error(with("sliding_window", -4), "sliding_window");
  expect_hf_error(with("hidden_size", 48), "hidden_size");  // not a multiple of 32
  expect_hf_error(with("intermediate_size", 40), "intermediate_size");
  expect_hf_error(with("head_dim", 15), "head_dim");                       // odd: no half split
  expect_hf_error(with("num_experts_per_tok", 9), "num_experts_per_tok");  // more than the 8 experts
  expect_hf_error(with("hidden_size", "64"), "hidden_size");               // a string
  expect_hf_error(with("hidden_size", 64.5), "hidden_size");
  expect_hf_error(with("rms_norm_eps", 0), "rms_norm_eps");
  // Above 2^63: reported as written, not wrapped to a negative number.
  const json huge = json::parse("18446744073709551615");
  try {
    parse_hf_config(with("hidden_size", huge).dump(), "cfg.json");
    FAIL() << "accepted hidden_size 2^64 - 1";
  } catch (const LoadError& e) {
    EXPECT_NE(std::string(e.what()).find("found 18446744073709551615)"), std::string::npos) << e.what();
  }
  expect_hf_error(with("rope_theta", -1), "rope_theta");
  expect_hf_error(with("layer_types", json::array({"sliding_attention", "full_attention"})), "layer_types");
  expect_hf_error(with("layer_types", json::array({"sliding_attention", "full_attention", "local"})),
                  "layer_types[2]");
  auto rope = [](const char* key, json value) {
    json j = hf_tiny();
    j["rope_scaling"][key] = std::move(value);
    return j;
  };
  expect_hf_error(rope("factor", 0.0), "rope_scaling.factor");
  expect_hf_error(rope("factor", 0.5), "rope_scaling.factor");
  expect_hf_error(rope("beta_fast", 0.5), "rope_scaling.beta_fast");  // below beta_slow
  expect_hf_error(rope("original_max_position_embeddings", 0),
                  "rope_scaling.original_max_position_embeddings");
  expect_hf_error(rope("rope_type", "linear"), "rope_scaling.rope_type");
  expect_hf_error(rope("truncate", "no"), "rope_scaling.truncate");

  json o = original_tiny();
  o["num_key_value_heads"] = 3;
  expect_original_error(o, "num_key_value_heads");
}

TEST(Config, kBadJson) {
  try {
    parse_hf_config("{\"hidden_size\": ", "cfg.json");
    FAIL();
  } catch (const LoadError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cfg.json: config: ", 0), 0u) << e.what();
  }
  EXPECT_THROW(parse_original_config("[]", "cfg.json"), LoadError);
}

TEST(Config, kNestedTooDeeply) {
  const std::string deep = "{\"a\": " + std::string(100000, '[');
  for (auto parse : {parse_hf_config, parse_original_config}) {
    try {
      parse(deep, "cfg.json");
      FAIL();
    } catch (const LoadError& e) {
      EXPECT_EQ(std::string(e.what()), "cfg.json: 1:" + std::to_string(6 + 256) +
                                           ": nested too deeply (expected at most 256 levels)");
    }
  }
  EXPECT_THROW(detect_config_format(deep, "cfg.json"), LoadError);
}

TEST(Config, DetectFormat) {
  EXPECT_EQ(detect_config_format(hf_tiny().dump(), "a"), ConfigFormat::kHf);
  EXPECT_EQ(detect_config_format(original_tiny().dump(), "a"), ConfigFormat::kOriginal);
  json j = hf_tiny();
  j.erase("num_local_experts");  // a damaged HF config is still reported as HF
  EXPECT_EQ(detect_config_format(j.dump(), "a"), ConfigFormat::kHf);
}

}  // namespace
}  // namespace gptoss::engine
