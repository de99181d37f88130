// Typed Config from a checkpoint's JSON: HF `config.json` or `original/config.json`.
// The only place in the engine that looks keys up in JSON. Nothing is hard-coded to one model
// size: every dimension comes from the file and is checked for consistency.
#pragma once

#include <string>

#include "engine/engine.h"

namespace gptoss::engine {

enum class ConfigFormat { kHf, kOriginal };

// Parses the HF config.json text. `file` names it in errors. Throws LoadError
// "<file>: <key>: <problem> (expected X, found Y)" on a missing key or inconsistent values.
Config parse_hf_config(const std::string& json_text, const std::string& file);

// Parses original/config.json (OpenAI's layout: sliding attention on even layers, YaRN given as
// rope_scaling_factor, rope_ntk_alpha = beta_slow, rope_ntk_beta = beta_fast). Same errors.
Config parse_original_config(const std::string& json_text, const std::string& file);

// Which parser a config.json text belongs to: kHf when it carries any HF-only key
// (model_type, layer_types, num_local_experts, rope_scaling), else kOriginal.
// Throws LoadError if the text is not a JSON object.
ConfigFormat detect_config_format(const std::string& json_text, const std::string& file);

// Checks a Config's internal consistency (also used on hand-built Configs). Throws LoadError
// naming `file` and the field at fault.
void validate_config(const Config& config, const std::string& file);

// A canonical one-line text of every Config field, for fingerprints and logs.
std::string describe_config(const Config& config);

// Reads a whole (small) text file. Throws LoadError naming the file.
std::string read_text_file(const std::string& path);

}  // namespace gptoss::engine
