// Runs the real binary as a user would from a shell, with a controlled environment, and captures
// its exit code, stdout and stderr. Shared by the command-line tests of every room.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "reference/file_bytes.h"

namespace gptoss::testing {

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

inline std::string shell_quoted(const std::string& arg) {
  std::string q = "'";
  for (char c : arg) q.append(c == '\'' ? std::string("'\\''") : std::string(1, c));
  return q.append("'");
}

// `command_prefix gpt-oss-chat ARGS...` through /bin/sh with `stdin_bytes` on stdin; stdin,
// stdout and stderr pass through files in `scratch`.
inline CliRun run_binary(const std::string& command_prefix, const std::vector<std::string>& args,
                         const std::filesystem::path& scratch, const std::string& stdin_bytes = "") {
  const std::filesystem::path in = scratch / "stdin", out = scratch / "stdout", err = scratch / "stderr";
  std::ofstream(in, std::ios::binary) << stdin_bytes;
  std::string command = command_prefix + " " + shell_quoted(GPTOSS_BINARY);
  // (appends rather than operator+: GCC 12 warns falsely about the temporaries)
  for (const std::string& a : args) command.append(" ").append(shell_quoted(a));
  command.append(" <").append(shell_quoted(in.string())).append(" >").append(shell_quoted(out.string()));
  command.append(" 2>").append(shell_quoted(err.string()));
  const int status = std::system(command.c_str());
  CliRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

// A private home for one test: HOME and the XDG folders in `root`, no model variables, the
// current folder `root`/work. The environment of every run_cli in it.
struct CliHome {
  std::filesystem::path root;
  explicit CliHome(const std::filesystem::path& r) : root(r) {
    for (const char* d : {"home", "cache", "data", "state", "config", "work"})
      std::filesystem::create_directories(root / d);
  }
  std::filesystem::path sessions() const { return root / "data" / "gpt-oss-chat" / "sessions"; }
  std::string prefix(const std::string& extra_env = "") const {
    return "cd " + shell_quoted((root / "work").string()) +
           " && env -u GPT_OSS_MODEL -u HF_HOME -u HF_HUB_CACHE -u XDG_CONFIG_HOME HOME=" +
           shell_quoted((root / "home").string()) +
           " XDG_CACHE_HOME=" + shell_quoted((root / "cache").string()) +
           " XDG_DATA_HOME=" + shell_quoted((root / "data").string()) +
           " XDG_STATE_HOME=" + shell_quoted((root / "state").string()) +
           " XDG_CONFIG_HOME=" + shell_quoted((root / "config").string()) + " " + extra_env;
  }
  // `gpt-oss-chat ARGS...` with `stdin_bytes` on stdin.
  CliRun run(const std::vector<std::string>& args, const std::string& extra_env = "",
             const std::string& stdin_bytes = "") const {
    return run_binary(prefix(extra_env), args, root, stdin_bytes);
  }
};

}  // namespace gptoss::testing
