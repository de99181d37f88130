#include "engine/config.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/input_limits.h"

namespace gptoss::engine {
namespace {

using nlohmann::json;

constexpr long long kMaxDim = 1ll << 24;  // far above any real size; keeps products in 64 bits

[[noreturn]] void fail(const std::string& file, const std::string& key, const std::string& what) {
  throw LoadError(file + ": " + key + ": " + what);
}

// A value from the file as an error message quotes it: compact JSON, cut short.
std::string quoted(const json& v) { return capped(v.dump()); }

json parse_object(const std::string& text, const std::string& file) {
  if (auto problem = excess_json_nesting(text)) throw LoadError(file + ": " + *problem);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    fail(file, "config", "invalid JSON (" + capped(e.what(), kMaxParseErrorBytes) + ")");
  }
  if (!j.is_object()) fail(file, "config", "not a JSON object");
  return j;
}

// Typed lookups that name the file and key on failure.
class Keys {
 public:
  Keys(const json& object, const std::string& file, std::string prefix = "")
      : j_(object), file_(file), prefix_(std::move(prefix)) {}

  bool has(const std::string& key) const { return j_.contains(key) && !j_.at(key).is_null(); }

  const json& at(const std::string& key) const {
    if (!has(key)) fail(file_, prefix_ + key, "missing key");
    return j_.at(key);
  }

  // An integer in [lo, hi]; floats with an integral value (1.0) are accepted, as Python writes them.
  int integer(const std::string& key, long long lo = 1, long long hi = kMaxDim) const {
    const json& v = at(key);
    long long n = 0;
    if (v.is_number_unsigned() && v.get<unsigned long long>() > static_cast<unsigned long long>(hi)) {
      n = hi + 1;  // get<long long> would wrap a value above 2^63 to a negative number
    } else if (v.is_number_integer()) {
      n = v.get<long long>();
    } else if (v.is_number_float() && std::isfinite(v.get<double>()) &&
               v.get<double>() == std::floor(v.get<double>()) && std::fabs(v.get<double>()) < 1e15) {
      n = static_cast<long long>(v.get<double>());
    } else {
      fail(file_, prefix_ + key, "not an integer (found " + quoted(v) + ")");
    }
    if (n < lo || n > hi)
      fail(file_, prefix_ + key,
           "out of range (expected " + std::to_string(lo) + ".." + std::to_string(hi) + ", found " +
               quoted(v) + ")");
    return static_cast<int>(n);
  }

  // A finite number, strictly positive.
  double positive(const std::string& key) const {
    const json& v = at(key);
    if (!v.is_number()) fail(file_, prefix_ + key, "not a number (found " + quoted(v) + ")");
    const double x = v.get<double>();
    if (!std::isfinite(x) || x <= 0)
      fail(file_, prefix_ + key, "must be a positive number (found " + quoted(v) + ")");
    return x;
  }

  bool boolean(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    const json& v = j_.at(key);
    if (!v.is_boolean()) fail(file_, prefix_ + key, "not true or false (found " + quoted(v) + ")");
    return v.get<bool>();
  }

 private:
  const json& j_;
  const std::string& file_;
  std::string prefix_;
};

void set_max_context(Config& c, const std::string& file, const std::string& key) {
  const double max_context = std::floor(c.rope_original_context * c.rope_factor);
  if (max_context < 1 || max_context > 1e9)
    fail(file, key, "original context x factor out of range (found " + std::to_string(max_context) + ")");
  c.max_context = static_cast<int>(max_context);
}

}  // namespace

Config parse_hf_config(const std::string& json_text, const std::string& file) {
  const json j = parse_object(json_text, file);
  const Keys k(j, file);
  Config c;
  c.n_layers = k.integer("num_hidden_layers");
  c.hidden = k.integer("hidden_size");
  c.intermediate = k.integer("intermediate_size");
  c.n_experts = k.integer("num_local_experts");
  c.experts_per_token =
      k.has("num_experts_per_tok") ? k.integer("num_experts_per_tok") : k.integer("experts_per_token");
  c.n_heads = k.integer("num_attention_heads");
  c.n_kv_heads = k.integer("num_key_value_heads");
  c.head_dim = k.integer("head_dim");
  c.vocab = k.integer("vocab_size");
  c.sliding_window = k.integer("sliding_window");
  c.rms_norm_eps = static_cast<float>(k.positive("rms_norm_eps"));
  c.swiglu_limit = static_cast<float>(k.positive("swiglu_limit"));
  c.rope_theta = k.positive("rope_theta");

  const json& types = k.at("layer_types");
  if (!types.is_array()) fail(file, "layer_types", "not an array (found " + quoted(types) + ")");
  for (size_t l = 0; l < types.size(); ++l) {
    const std::string key = "layer_types[" + std::to_string(l) + "]";
    if (types[l] == "sliding_attention") {
      c.layer_types.push_back(AttentionKind::kSliding);
    } else if (types[l] == "full_attention") {
      c.layer_types.push_back(AttentionKind::kFull);
    } else {
      fail(file, key,
           "unknown layer type (expected \"sliding_attention\" or \"full_attention\", found " +
               quoted(types[l]) + ")");
    }
  }

  const json& rope = k.at("rope_scaling");
  if (!rope.is_object()) fail(file, "rope_scaling", "not an object (found " + quoted(rope) + ")");
  const Keys r(rope, file, "rope_scaling.");
  const json& rope_type = r.at("rope_type");
  if (rope_type != "yarn")
    fail(file, "rope_scaling.rope_type", "unsupported (expected \"yarn\", found " + quoted(rope_type) + ")");
  c.rope_factor = r.positive("factor");
  c.rope_beta_fast = r.positive("beta_fast");
  c.rope_beta_slow = r.positive("beta_slow");
  c.rope_original_context = r.integer("original_max_position_embeddings");
  // OpenAI's reference does not round YaRN's correction range; HF does unless told not to.
  c.rope_truncate = r.boolean("truncate", false);
  set_max_context(c, file, "rope_scaling.factor");
  validate_config(c, file);
  return c;
}

Config parse_original_config(const std::string& json_text, const std::string& file) {
  const json j = parse_object(json_text, file);
  const Keys k(j, file);
  Config c;
  c.n_layers = k.integer("num_hidden_layers");
  c.hidden = k.integer("hidden_size");
  c.intermediate = k.integer("intermediate_size");
  c.n_experts = k.integer("num_experts");
  c.experts_per_token = k.integer("experts_per_token");
  c.n_heads = k.integer("num_attention_heads");
  c.n_kv_heads = k.integer("num_key_value_heads");
  c.head_dim = k.integer("head_dim");
  c.vocab = k.integer("vocab_size");
  c.sliding_window = k.integer("sliding_window");
  c.swiglu_limit = static_cast<float>(k.positive("swiglu_limit"));
  c.rope_theta = k.positive("rope_theta");
  c.rms_norm_eps = 1e-5f;  // not in the original config; OpenAI's reference uses 1e-5
  for (int l = 0; l < c.n_layers; ++l)
    c.layer_types.push_back(l % 2 == 0 ? AttentionKind::kSliding : AttentionKind::kFull);
  c.rope_original_context = k.integer("initial_context_length");
  c.rope_factor = k.positive("rope_scaling_factor");
  c.rope_beta_slow = k.positive("rope_ntk_alpha");
  c.rope_beta_fast = k.positive("rope_ntk_beta");
  c.rope_truncate = false;
  set_max_context(c, file, "rope_scaling_factor");
  validate_config(c, file);
  return c;
}

ConfigFormat detect_config_format(const std::string& json_text, const std::string& file) {
  const json j = parse_object(json_text, file);
  for (const char* key : {"model_type", "layer_types", "num_local_experts", "rope_scaling"})
    if (j.contains(key)) return ConfigFormat::kHf;
  return ConfigFormat::kOriginal;
}

void validate_config(const Config& c, const std::string& file) {
  auto need = [&](bool ok, const char* key, const std::string& what) {
    if (!ok) fail(file, key, what);
  };
  auto num = [](double x) {
    std::ostringstream s;
    s << x;
    return s.str();
  };
  need(c.n_layers >= 1, "num_hidden_layers", "must be at least 1 (found " + std::to_string(c.n_layers) + ")");
  need(c.hidden >= 32 && c.hidden % 32 == 0, "hidden_size",
       "must be a positive multiple of 32, the MXFP4 block (found " + std::to_string(c.hidden) + ")");
  need(c.intermediate >= 32 && c.intermediate % 32 == 0, "intermediate_size",
       "must be a positive multiple of 32, the MXFP4 block (found " + std::to_string(c.intermediate) + ")");
  need(c.n_experts >= 1, "num_local_experts",
       "must be at least 1 (found " + std::to_string(c.n_experts) + ")");
  need(c.experts_per_token >= 1 && c.experts_per_token <= c.n_experts, "num_experts_per_tok",
       "must lie in 1..experts (expected <= " + std::to_string(c.n_experts) + ", found " +
           std::to_string(c.experts_per_token) + ")");
  need(c.n_heads >= 1 && c.n_kv_heads >= 1, "num_key_value_heads", "head counts must be at least 1");
  need(c.n_heads % c.n_kv_heads == 0, "num_key_value_heads",
       "attention heads not divisible by KV heads (expected a divisor of " + std::to_string(c.n_heads) +
           ", found " + std::to_string(c.n_kv_heads) + ")");
  need(c.head_dim >= 2 && c.head_dim % 2 == 0, "head_dim",
       "must be even for the half-split rotation (found " + std::to_string(c.head_dim) + ")");
  // Attention gathers blocks of at least 16 keys' rows on the stack (attention.cc); gpt-oss has 64.
  need(c.head_dim <= 512, "head_dim", "is larger than this engine supports (expected <= 512, found " +
                                          std::to_string(c.head_dim) + ")");
  need(c.vocab >= 1, "vocab_size", "must be at least 1 (found " + std::to_string(c.vocab) + ")");
  need(c.sliding_window >= 1, "sliding_window",
       "must be positive (found " + std::to_string(c.sliding_window) + ")");
  need(static_cast<int>(c.layer_types.size()) == c.n_layers, "layer_types",
       "one entry per layer (expected " + std::to_string(c.n_layers) + ", found " +
           std::to_string(c.layer_types.size()) + ")");
  need(std::isfinite(c.rms_norm_eps) && c.rms_norm_eps > 0, "rms_norm_eps",
       "must be positive (found " + num(c.rms_norm_eps) + ")");
  need(std::isfinite(c.swiglu_limit) && c.swiglu_limit > 0, "swiglu_limit",
       "must be positive (found " + num(c.swiglu_limit) + ")");
  need(std::isfinite(c.rope_theta) && c.rope_theta > 1, "rope_theta",
       "must be above 1 (found " + num(c.rope_theta) + ")");
  need(std::isfinite(c.rope_factor) && c.rope_factor >= 1, "rope_scaling.factor",
       "YaRN factor must be at least 1 (found " + num(c.rope_factor) + ")");
  need(c.rope_beta_fast > c.rope_beta_slow && c.rope_beta_slow > 0, "rope_scaling.beta_fast",
       "YaRN needs beta_fast > beta_slow > 0 (found beta_fast " + num(c.rope_beta_fast) + ", beta_slow " +
           num(c.rope_beta_slow) + ")");
  need(c.rope_original_context >= 1, "rope_scaling.original_max_position_embeddings",
       "must be positive (found " + std::to_string(c.rope_original_context) + ")");
  need(c.max_context >= c.rope_original_context, "max_position_embeddings",
       "context below YaRN's original context (expected >= " + std::to_string(c.rope_original_context) +
           ", found " + std::to_string(c.max_context) + ")");
}

std::string describe_config(const Config& c) {
  std::ostringstream s;
  s.precision(17);
  s << "L=" << c.n_layers << " H=" << c.hidden << " I=" << c.intermediate << " E=" << c.n_experts
    << " K=" << c.experts_per_token << " NH=" << c.n_heads << " NKV=" << c.n_kv_heads << " D=" << c.head_dim
    << " V=" << c.vocab << " W=" << c.sliding_window << " types=";
  for (AttentionKind kind : c.layer_types) s << (kind == AttentionKind::kSliding ? 's' : 'f');
  s << " eps=" << c.rms_norm_eps << " limit=" << c.swiglu_limit << " theta=" << c.rope_theta
    << " factor=" << c.rope_factor << " beta_fast=" << c.rope_beta_fast << " beta_slow=" << c.rope_beta_slow
    << " C=" << c.rope_original_context << " truncate=" << c.rope_truncate
    << " max_context=" << c.max_context;
  return s.str();
}

std::string read_text_file(const std::string& path) {
  try {
    return read_file_capped(path, kMaxTextInputBytes);
  } catch (const LoadError&) {
    throw;
  } catch (const gptoss::Error& e) {
    throw LoadError(e.what());
  }
}

}  // namespace gptoss::engine
