// The JSON a checkpoint folder holds besides the tensors: config.json (both layouts and the
// format detection) and model.safetensors.index.json, on arbitrary text. Each refuses with
// LoadError or gives a value that passed its own validation.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/checkpoint.h"
#include "engine/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gptoss::engine;
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (auto parse : {parse_hf_config, parse_original_config}) {
    try {
      const Config c = parse(text, "config.json");
      validate_config(c, "config.json");  // what parse returned must pass again
      (void)describe_config(c);
    } catch (const LoadError&) {
    }
  }
  try {
    (void)detect_config_format(text, "config.json");
  } catch (const LoadError&) {
  }
  try {
    const FilePlan plan = parse_shard_index(text, "model.safetensors.index.json");
    for (const std::string& shard : plan.files)
      if (shard.empty() || shard.find('/') != std::string::npos) std::abort();
  } catch (const LoadError&) {
  }
  return 0;
}
