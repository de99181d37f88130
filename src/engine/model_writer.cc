#include "engine/model_writer.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "common/error.h"

namespace fs = std::filesystem;

namespace gptoss::engine {
namespace {

fs::path without_trailing_slash(const std::string& dir) {
  fs::path p = fs::path(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p;
}

bool is_model_file(const std::string& name) {
  return name == "config.json" || name == "model.safetensors.index.json" ||
         (name.starts_with("model") && name.ends_with(".safetensors"));
}

// ".NAME.partial-", appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on
// "." + std::string&&.
std::string partial_prefix(const fs::path& target) {
  std::string prefix = ".";
  prefix += target.filename().string();
  prefix += ".partial-";
  return prefix;
}

// Removes the partial folders of writes whose process is gone (killed midway).
void remove_stale_partials(const fs::path& target) {
  const std::string prefix = partial_prefix(target);
  std::error_code ec;
  for (fs::directory_iterator it(target.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix)) continue;
    const long pid = std::atol(name.c_str() + prefix.size());
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      fs::remove_all(it->path(), ignored);
    }
  }
}

void rename_or_throw(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) throw gptoss::Error(to.string() + ": cannot move the new file into place (" + ec.message() + ")");
}

// Moves the model files of `from` (one folder level) into `to`, config.json last.
void move_model_files(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  fs::remove(to / "config.json", ec);  // first: until the end, `to` does not look like a model
  for (const auto& entry : fs::directory_iterator(to, ec)) {
    if (entry.is_regular_file() && is_model_file(entry.path().filename().string()))
      fs::remove(entry.path(), ec);
  }
  for (const auto& entry : fs::directory_iterator(from)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file() && name != "config.json") rename_or_throw(entry.path(), to / name);
  }
  rename_or_throw(from / "config.json", to / "config.json");
}

}  // namespace

std::string partial_model_dir(const std::string& dir, long pid) {
  const fs::path target = without_trailing_slash(dir);
  return (target.parent_path() / (partial_prefix(target) + std::to_string(pid))).string();
}

void write_test_model_atomically(const std::string& dir, const TestModelPreset& preset,
                                 const TestModelOptions& options) {
  const fs::path target = without_trailing_slash(dir);
  const fs::path partial = partial_model_dir(dir, static_cast<long>(::getpid()));
  std::error_code ec;
  if (!target.parent_path().empty()) fs::create_directories(target.parent_path(), ec);
  if (ec)
    throw gptoss::Error(target.parent_path().string() + ": folder: cannot create (" + ec.message() + ")");
  remove_stale_partials(target);
  fs::remove_all(partial, ec);
  try {
    write_test_model(partial.string(), preset, options);
    if (!fs::exists(target, ec) || fs::is_empty(target, ec)) {
      rename_or_throw(partial, target);  // rename(2) replaces an empty folder
      return;
    }
    // Each layout becomes visible when its config.json arrives, after its weights.
    move_model_files(partial / "original", target / "original");
    move_model_files(partial, target);
    fs::remove_all(partial, ec);
  } catch (...) {
    fs::remove_all(partial, ec);
    throw;
  }
}

}  // namespace gptoss::engine
