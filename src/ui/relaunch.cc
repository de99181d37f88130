#include "ui/relaunch.h"

#include <unistd.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace gptoss::ui {

std::string shell_quote(std::string_view s) {
  bool safe = !s.empty();
  for (char c : s) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       std::string_view("-_./=:@+,%").find(c) != std::string_view::npos;
    safe = safe && plain;
  }
  if (safe) return std::string(s);
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string program_command(const EnvLookup& env, const std::string& exe) {
  const std::string path = env("PATH").value_or("");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    const std::string dir = path.substr(start, end - start);
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / "gpt-oss-chat";
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) {
      // The first one on $PATH is what the shell runs: only that one must be us.
      return fs::equivalent(candidate, exe, ec) ? "gpt-oss-chat" : shell_quote(exe);
    }
    start = end + 1;
  }
  return shell_quote(exe);
}

std::string self_executable() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "gpt-oss-chat" : exe.string();
}

std::string relaunch_command(const std::string& program, bool demo, bool model_flag,
                             const std::string& model_dir) {
  if (demo) return program + " --demo";
  if (model_flag)
    return program + " --model " + shell_quote(fs::absolute(model_dir).lexically_normal().string());
  return program;
}

}  // namespace gptoss::ui
