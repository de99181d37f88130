#include "ui/model_discovery.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace gptoss::ui {
namespace {

bool has_checkpoint_files(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / "config.json", ec)) return false;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".safetensors") return true;
  }
  return false;
}

std::string home(const EnvLookup& env) { return env("HOME").value_or("/"); }

// The snapshot refs/main names, else the newest-named snapshot that holds a checkpoint.
std::optional<std::string> hf_snapshot(const fs::path& repo_dir) {
  std::error_code ec;
  std::ifstream ref(repo_dir / "refs" / "main");
  std::string commit;
  if (ref && std::getline(ref, commit) && !commit.empty()) {
    fs::path p = repo_dir / "snapshots" / commit;
    if (looks_like_model(p.string())) return p.string();
  }
  std::vector<fs::path> snapshots;
  for (fs::directory_iterator it(repo_dir / "snapshots", ec), end; !ec && it != end; it.increment(ec)) {
    snapshots.push_back(it->path());
  }
  std::sort(snapshots.begin(), snapshots.end());
  for (auto it = snapshots.rbegin(); it != snapshots.rend(); ++it) {
    if (looks_like_model(it->string())) return it->string();
  }
  return std::nullopt;
}

}  // namespace

EnvLookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v || !*v) return std::nullopt;
    return std::string(v);
  };
}

bool looks_like_model(const std::string& dir) {
  return has_checkpoint_files(dir) || has_checkpoint_files(fs::path(dir) / "original");
}

std::string hf_hub_cache(const EnvLookup& env) {
  if (auto v = env("HF_HUB_CACHE")) return *v;
  if (auto v = env("HF_HOME")) return (fs::path(*v) / "hub").string();
  if (auto v = env("XDG_CACHE_HOME")) return (fs::path(*v) / "huggingface" / "hub").string();
  return (fs::path(home(env)) / ".cache" / "huggingface" / "hub").string();
}

std::string cache_dir(const EnvLookup& env) {
  fs::path base = env("XDG_CACHE_HOME") ? fs::path(*env("XDG_CACHE_HOME")) : fs::path(home(env)) / ".cache";
  return (base / "gpt-oss-chat").string();
}

std::string state_dir(const EnvLookup& env) {
  fs::path base =
      env("XDG_STATE_HOME") ? fs::path(*env("XDG_STATE_HOME")) : fs::path(home(env)) / ".local" / "state";
  return (base / "gpt-oss-chat").string();
}

std::string demo_model_dir(const EnvLookup& env) { return (fs::path(cache_dir(env)) / "demo-model").string(); }

DiscoveredModel discover_model(const EnvLookup& env, const std::string& cwd) {
  DiscoveredModel found;
  if (auto v = env("GPT_OSS_MODEL")) {
    // An explicit choice is taken as is: loading it names what is wrong if it is not a model.
    found.searched.push_back("$GPT_OSS_MODEL (" + *v + ")");
    found.dir = *v;
    found.source = "$GPT_OSS_MODEL";
    return found;
  }
  found.searched.push_back("$GPT_OSS_MODEL (not set)");
  fs::path hub = hf_hub_cache(env);
  for (const char* repo : {"models--openai--gpt-oss-20b", "models--openai--gpt-oss-120b"}) {
    fs::path repo_dir = hub / repo;
    found.searched.push_back((repo_dir / "snapshots" / "*").string());
    if (auto snap = hf_snapshot(repo_dir)) {
      found.dir = *snap;
      found.source = "Hugging Face cache";
      return found;
    }
  }
  for (const char* local : {"gpt-oss-20b", "gpt-oss-120b"}) {
    fs::path p = fs::path(cwd) / local;
    found.searched.push_back(p.string());
    if (looks_like_model(p.string())) {
      found.dir = p.string();
      found.source = "./" + std::string(local);
      return found;
    }
  }
  return found;
}

}  // namespace gptoss::ui
