// Where the chat finds a model when --model is not given: $GPT_OSS_MODEL, then the Hugging Face
// cache (gpt-oss-20b, then -120b), then ./gpt-oss-20b. The environment is passed in, so tests
// use temp dirs and a map instead of the real environment.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace gptoss::ui {

// Reads an environment variable; nullopt when unset or empty.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_env();

struct DiscoveredModel {
  std::optional<std::string> dir;     // the model folder, if one was found
  std::string source;                 // how it was found: "$GPT_OSS_MODEL", "Hugging Face cache", ...
  std::vector<std::string> searched;  // every place looked at, in order (for the help screen)
};

// Never throws; a missing or unreadable folder just does not match.
DiscoveredModel discover_model(const EnvLookup& env, const std::string& cwd);

// True if `dir` holds a checkpoint: config.json and *.safetensors at its root or in original/.
bool looks_like_model(const std::string& dir);

// The Hugging Face hub cache: $HF_HUB_CACHE, $HF_HOME/hub, $XDG_CACHE_HOME/huggingface/hub or
// ~/.cache/huggingface/hub.
std::string hf_hub_cache(const EnvLookup& env);

// Per-user folders of this program (XDG base directories, with the usual fallbacks under $HOME).
std::string cache_dir(const EnvLookup& env);  // $XDG_CACHE_HOME/gpt-oss-chat
std::string state_dir(const EnvLookup& env);  // $XDG_STATE_HOME/gpt-oss-chat
std::string demo_model_dir(const EnvLookup& env);  // cache_dir/demo-model

}  // namespace gptoss::ui
