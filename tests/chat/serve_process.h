// `gpt-oss-chat serve` as a child process on a free port of 127.0.0.1, over a tiny random model
// written into a temp dir; stopped with SIGTERM when the object goes away.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "engine/test_model.h"
#include "reference/temp_dir.h"

namespace gptoss::chat::testing {

class ServeProcess {
 public:
  explicit ServeProcess(std::vector<std::string> extra_args = {}) {
    engine::TestModelOptions options;
    options.seed = 3;
    engine::write_test_model(dir_ / "tiny", *engine::find_test_model_preset("tiny"), options);
    std::vector<std::string> args = {GPTOSS_BINARY, "serve", "--model",   dir_ / "tiny",
                                     "--port",      "0",     "--threads", "1",
                                     "--context",   "1024"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    int out[2];
    if (::pipe(out) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], STDOUT_FILENO);
      ::close(out[0]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(GPTOSS_BINARY, argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    out_ = out[0];
    char c;
    while (::read(out_, &c, 1) == 1 && c != '\n') first_line_ += c;
    const size_t at = first_line_.find("http://");
    if (at != std::string::npos) url_ = first_line_.substr(at) + "/v1";
  }
  ~ServeProcess() {
    stop();
  }
  // Sends SIGTERM and returns the exit status (as waitpid gives it).
  int stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, &status_, 0);
      ::close(out_);
      pid_ = -1;
    }
    return status_;
  }
  // "http://127.0.0.1:PORT/v1", or empty if the server did not start (first_line() says why).
  const std::string& url() const { return url_; }
  const std::string& first_line() const { return first_line_; }

 private:
  gptoss::testing::TempDir dir_;  // a member: removed even when the constructor throws
  pid_t pid_ = -1;
  int out_ = -1;
  int status_ = -1;
  std::string first_line_;
  std::string url_;
};

// Runs a shell command; returns its stdout and stderr together, and the exit code.
inline std::string run_shell(const std::string& command, int* exit_code) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

}  // namespace gptoss::chat::testing
