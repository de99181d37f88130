// The fixture every tmux end-to-end test derives from: the real binary in a real terminal. A
// private tmux server (its own socket) runs the program in a window of a fixed size, with HOME and
// XDG_* in a temp folder and no model, budget or editor variables inherited from the caller. The
// test types like a user and reads the screen with capture-pane, polling with a timeout; it never
// relies on timings.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <clocale>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "chat/session_store.h"
#include "e2e/terminal_helpers.h"

namespace fs = std::filesystem;  // the same alias the test files declare

namespace gptoss::e2e {

class TmuxTest : public ::testing::Test {
 protected:
  // `name` keeps this suite's folder and tmux server apart from the others' ("chat", "edit", ...).
  explicit TmuxTest(std::string name, int cols = 100, int rows = 30)
      : name_(std::move(name)), cols_(cols), rows_(rows) {}

  void SetUp() override {
    ASSERT_TRUE(std::setlocale(LC_ALL, "C.UTF-8")) << "the test measures rows with a UTF-8 locale";
    if (run("command -v tmux").empty()) GTEST_FAIL() << "tmux is required for the end-to-end test";
    const std::string pid = std::to_string(::getpid());
    root_ = fs::temp_directory_path() / ("gptoss_e2e_" + name_ + "_" + pid);
    fs::remove_all(root_);
    for (const char* d : {"home", "cache", "data", "state", "work"}) fs::create_directories(root_ / d);
    socket_ = "gptoss-e2e-" + name_ + "-" + pid;
    first_socket_ = socket_;
  }

  void TearDown() override {
    for (const std::string& name : {first_socket_, socket_}) {
      run("tmux -L " + name + " kill-server 2>/dev/null");
      // tmux leaves the socket file of a killed server behind.
      const char* dir = std::getenv("TMUX_TMPDIR");
      std::error_code ec;
      fs::remove(fs::path(dir && *dir ? dir : "/tmp") / ("tmux-" + std::to_string(::getuid())) / name, ec);
    }
    // The killed chat may still be writing its autosave (SIGHUP) into root_: try again briefly.
    std::error_code ec;
    for (int attempt = 0; attempt < 50; ++attempt) {
      fs::remove_all(root_, ec);
      if (!ec) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  fs::path sessions_dir() const { return root_ / "data" / "gpt-oss-chat" / "sessions"; }

  // `env ...` for a run in the temp folders, UTF-8, without the caller's model, RAM budget, Hugging
  // Face cache, colour or editor settings; `unset`: more to remove ("-u TMUX").
  std::string env(const std::string& unset = "") const {
    return "env -u NO_COLOR -u GPT_OSS_MODEL -u GPT_OSS_RAM -u HF_HOME -u HF_HUB_CACHE -u VISUAL -u EDITOR " +
           unset + " HOME=" + quote((root_ / "home").string()) +
           " XDG_CACHE_HOME=" + quote((root_ / "cache").string()) +
           " XDG_DATA_HOME=" + quote((root_ / "data").string()) +
           " XDG_STATE_HOME=" + quote((root_ / "state").string()) + " LANG=C.UTF-8 LC_ALL=C.UTF-8";
  }

  // The program with `args` in a new tmux window; its exit status goes to root_/exit.
  void start(const std::string& args, const std::string& extra_env = "", const std::string& unset = "") {
    std::string inner = "cd " + quote((root_ / "work").string()) + " && " + env(unset) +
                        " TERM=xterm-256color " + extra_env + " " + quote(GPTOSS_BINARY) + " " + args +
                        "; echo EXIT=$? > " + quote((root_ / "exit").string()) + "; sleep 120";
    std::string cmd = "tmux -L " + socket_ + " -f /dev/null new-session -d -x " + std::to_string(cols_) +
                      " -y " + std::to_string(rows_) + " " + quote("sh -c " + quote(inner));
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  // The environment of a run without tmux (stdin and stdout are pipes), in the work folder.
  std::string plain_env() const { return "cd " + quote((root_ / "work").string()) + " && " + env(); }

  std::string screen() const { return run("tmux -L " + socket_ + " capture-pane -p"); }
  // The screen with lines the terminal wrapped joined again, spaces kept: a plain capture drops
  // the space a wrap falls on, so a long path in a message would read "--sessione2e".
  std::string joined_screen() const { return run("tmux -L " + socket_ + " capture-pane -p -J"); }
  std::string status_line() const {
    auto lines = split_lines(screen());
    return lines.empty() ? "" : lines.back();
  }
  void keys(const std::string& k) { run("tmux -L " + socket_ + " send-keys " + k); }
  void type(const std::string& text) { run("tmux -L " + socket_ + " send-keys -l " + quote(text)); }
  void line(const std::string& text) {
    type(text);
    keys("Enter");
  }

  // Polls the screen until `ok` holds; fails the test with the last screen after `seconds`.
  bool wait_for(const std::function<bool(const std::string&)>& ok, const std::string& what,
                int seconds = 30) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::string s;
    while (std::chrono::steady_clock::now() < deadline) {
      bool exited = fs::exists(root_ / "exit");
      s = screen();
      if (ok(s)) return true;
      if (exited) break;  // the program is gone: no point waiting
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "timed out waiting for " << what << "; screen:\n" << s;
    return false;
  }
  // Waits for `text` on screen, wherever the program's word wrap breaks it: runs of spaces and
  // line breaks count as one space (a temp folder's path, longer on one machine than another,
  // moves the breaks).
  bool wait_text(const std::string& text, int seconds = 30) {
    const std::string want = flowed(text);
    return wait_for([&](const std::string& s) { return flowed(s).find(want) != std::string::npos; },
                    "'" + text + "'", seconds);
  }
  static std::string flowed(const std::string& s) {
    std::string out;
    for (char c : s) {
      const bool blank = c == ' ' || c == '\n';
      if (!blank) out += c;
      else if (!out.empty() && out.back() != ' ') out += ' ';
    }
    return out;
  }
  // Waits for the program to exit; returns the "EXIT=<code>" line its wrapper wrote, or "" if it
  // did not exit in time.
  std::string wait_exit_line(int seconds = 30) {
    const fs::path exit_file = root_ / "exit";
    if (!wait_for([&](const std::string&) { return fs::exists(exit_file) && fs::file_size(exit_file) > 0; },
                  "the program to exit", seconds)) {
      return "";
    }
    std::ifstream in(exit_file);
    std::string code;
    std::getline(in, code);
    return code;
  }

  // A turn is over when the status bar shows speeds and no activity.
  bool wait_idle(int seconds = 60) {
    return wait_for(
        [&](const std::string& s) {
          auto lines = split_lines(s);
          return !lines.empty() && !bar_is_busy(lines.back(), true) &&
                 lines.back().find("tok/s") != std::string::npos;
        },
        "the turn to end", seconds);
  }
  bool is_busy() const { return bar_is_busy(status_line(), false); }

  // A saved session with reasoning, to look at the reasoning block deterministically.
  void write_reasoning_session() {
    gptoss::chat::SessionFile file;
    auto& msgs = file.state.conversation.messages;
    msgs.push_back({"user", {}, {}, {}, {}, "why is the sky blue?"});
    msgs.push_back({"assistant", {}, {}, "analysis", {}, "Rayleigh scattering favours short wavelengths."});
    msgs.push_back({"assistant", {}, {}, "final", {}, "Because of **Rayleigh** scattering."});
    file.state.turns.push_back({0, {}});
    fs::create_directories(sessions_dir());
    gptoss::chat::save_session((sessions_dir() / "sky.json").string(), file);
  }

  fs::path root_;
  std::string socket_;
  std::string first_socket_;  // a test may move on to a second server

 private:
  // The status bar names an activity; "stopping" counts when a turn's end is awaited.
  static bool bar_is_busy(const std::string& bar, bool stopping_counts) {
    for (const char* busy : {"reading the prompt", "generating", "thinking", "answering"}) {
      if (bar.find(busy) != std::string::npos) return true;
    }
    return stopping_counts && bar.find("stopping") != std::string::npos;
  }

  std::string name_;
  int cols_;
  int rows_;
};

}  // namespace gptoss::e2e
