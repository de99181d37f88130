// Saved sessions and the transcript on screen, end to end. The real binary in a real terminal: tmux (private
// server socket, fixed 100x30 window) runs `gpt-oss-chat --demo` (the tiny random model, generated into a
// temp cache) with HOME and XDG_* in a temp dir. The test types like a user and reads the screen with
// capture-pane, polling with a timeout; it never relies on timings. (The fixture is a copy of
// chat_tmux_test.cc's.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "chat/session_store.h"
#include "e2e/terminal_helpers.h"

namespace fs = std::filesystem;

namespace {

using namespace gptoss::e2e;

class SessionsTmuxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::setlocale(LC_ALL, "C.UTF-8")) << "the test measures rows with a UTF-8 locale";
    if (run("command -v tmux").empty()) GTEST_FAIL() << "tmux is required for the end-to-end test";
    root_ = fs::temp_directory_path() / ("gptoss_e2e_sessions_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    for (const char* d : {"home", "cache", "data", "state", "work"}) fs::create_directories(root_ / d);
    socket_ = "gptoss-e2e-sessions-" + std::to_string(::getpid());
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
    fs::remove_all(root_);
  }

  fs::path sessions_dir() const { return root_ / "data" / "gpt-oss-chat" / "sessions"; }

  void start(const std::string& args, const std::string& extra_env = "") {
    std::string env = "env -u NO_COLOR -u GPT_OSS_MODEL -u HF_HOME -u HF_HUB_CACHE HOME=" +
                      quote((root_ / "home").string()) +
                      " XDG_CACHE_HOME=" + quote((root_ / "cache").string()) +
                      " XDG_DATA_HOME=" + quote((root_ / "data").string()) +
                      " XDG_STATE_HOME=" + quote((root_ / "state").string()) +
                      " TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 " + extra_env;
    std::string inner = "cd " + quote((root_ / "work").string()) + " && " + env + " " + quote(GPTOSS_BINARY) +
                        " " + args + "; echo EXIT=$? > " + quote((root_ / "exit").string()) + "; sleep 120";
    std::string cmd =
        "tmux -L " + socket_ + " -f /dev/null new-session -d -x 100 -y 30 " + quote("sh -c " + quote(inner));
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  // The environment of a run without tmux (stdin and stdout are pipes), in the work folder.
  std::string plain_env() const {
    return "cd " + quote((root_ / "work").string()) +
           " && env -u GPT_OSS_MODEL -u HF_HOME -u HF_HUB_CACHE HOME=" + quote((root_ / "home").string()) +
           " XDG_CACHE_HOME=" + quote((root_ / "cache").string()) +
           " XDG_DATA_HOME=" + quote((root_ / "data").string()) +
           " XDG_STATE_HOME=" + quote((root_ / "state").string());
  }

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
  // Waits for the program to exit; returns the "EXIT=<code>" line its wrapper wrote, or "" if it
  // did not exit in time.
  std::string wait_exit_line() {
    const fs::path exit_file = root_ / "exit";
    if (!wait_for([&](const std::string&) { return fs::exists(exit_file) && fs::file_size(exit_file) > 0; },
                  "the program to exit")) {
      return "";
    }
    std::ifstream in(exit_file);
    std::string code;
    std::getline(in, code);
    return code;
  }
  bool wait_text(const std::string& text, int seconds = 30) {
    return wait_for([&](const std::string& s) { return s.find(text) != std::string::npos; }, "'" + text + "'",
                    seconds);
  }
  // A turn is over when the status bar shows speeds and no activity.
  bool wait_idle(int seconds = 60) {
    return wait_for(
        [&](const std::string& s) {
          auto lines = split_lines(s);
          if (lines.empty()) return false;
          const std::string& bar = lines.back();
          for (const char* busy : {"reading the prompt", "generating", "thinking", "answering", "stopping"}) {
            if (bar.find(busy) != std::string::npos) return false;
          }
          return bar.find("tok/s") != std::string::npos;
        },
        "the turn to end", seconds);
  }
  bool is_busy() const {
    std::string bar = status_line();
    for (const char* busy : {"reading the prompt", "generating", "thinking", "answering"}) {
      if (bar.find(busy) != std::string::npos) return true;
    }
    return false;
  }

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
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(SessionsTmuxTest, SessionsDeleteAndRenameInTheChat) {
  write_reasoning_session();
  fs::copy_file(sessions_dir() / "sky.json", sessions_dir() / "sea.json");
  start("--demo --seed 7 --max-tokens 20");
  ASSERT_TRUE(wait_text("ctx 0/", 90));

  line("/sessions rename sky blue");
  ASSERT_TRUE(wait_text("Renamed 'sky' to 'blue'"));
  EXPECT_FALSE(fs::exists(sessions_dir() / "sky.json"));
  EXPECT_TRUE(fs::exists(sessions_dir() / "blue.json"));
  line("/sessions rename blue sea");  // never over another session
  ASSERT_TRUE(wait_text("sea.json: rename: already holds"));
  EXPECT_TRUE(fs::exists(sessions_dir() / "blue.json"));

  std::ofstream(sessions_dir() / "sea.kv") << "kv";
  line("/sessions delete sea");
  ASSERT_TRUE(wait_text("Deleted 'sea'"));
  EXPECT_FALSE(fs::exists(sessions_dir() / "sea.json"));
  EXPECT_FALSE(fs::exists(sessions_dir() / "sea.kv"));
  line("/sessions delete sea");
  ASSERT_TRUE(wait_text("No session named 'sea'"));

  // The open conversation is not deleted under the chat's feet; renaming it moves its autosave.
  line("/load blue");
  ASSERT_TRUE(wait_text("Loaded 'blue'"));
  line("/sessions delete blue");
  ASSERT_TRUE(wait_text("is the conversation open now"));
  EXPECT_TRUE(fs::exists(sessions_dir() / "blue.json"));
  line("/sessions rename blue azure");
  ASSERT_TRUE(wait_text("Renamed 'blue' to 'azure'"));
  line("/sessions frob");
  ASSERT_TRUE(wait_text("/sessions takes nothing, delete NAME or rename OLD NEW"));
  line("thanks");
  ASSERT_TRUE(wait_idle());
  line("/quit");
  ASSERT_EQ(wait_exit_line(), "EXIT=0");
  EXPECT_FALSE(fs::exists(sessions_dir() / "blue.json"));
  ASSERT_TRUE(fs::exists(sessions_dir() / "azure.json"));
  EXPECT_NE(slurp(sessions_dir() / "azure.json").find("thanks"), std::string::npos);
}

TEST_F(SessionsTmuxTest, ExportWritesMarkdownAndNeverOverwritesUnasked) {
  write_reasoning_session();
  start("--demo --seed 7 --max-tokens 20");
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  line("/export");
  ASSERT_TRUE(wait_text("Nothing to export yet"));
  line("/load sky");
  ASSERT_TRUE(wait_text("Loaded 'sky'"));
  line("/export");
  ASSERT_TRUE(wait_text("Exported the conversation as Markdown to"));
  const fs::path md = root_ / "work" / "sky.md";
  ASSERT_TRUE(fs::exists(md));
  const std::string text = slurp(md);
  EXPECT_NE(text.find("## User\n\nwhy is the sky blue?\n"), std::string::npos) << text;
  EXPECT_NE(text.find("<summary>Reasoning</summary>"), std::string::npos) << text;
  EXPECT_NE(text.find("Because of **Rayleigh** scattering."), std::string::npos) << text;

  std::ofstream(md) << "mine";
  line("/export");
  ASSERT_TRUE(wait_text("'sky.md' already exists; /export! sky.md replaces it"));
  EXPECT_EQ(slurp(md), "mine");
  line("/export! sky.md");
  ASSERT_TRUE(wait_for([&](const std::string&) { return slurp(md) == text; }, "sky.md replaced"));
  line("/export notes/out.md");  // a folder that does not exist: an error, the chat goes on
  ASSERT_TRUE(wait_text("Not exported"));
  line("/quit");
  ASSERT_EQ(wait_exit_line(), "EXIT=0");
}

TEST_F(SessionsTmuxTest, TheConversationStaysInTheScrollbackAfterQuit) {
  write_reasoning_session();
  start("--demo --seed 7 --max-tokens 20 --session sky");
  ASSERT_TRUE(wait_text("Because of", 90));
  line("/think on");  // the scrollback shows the reasoning as the screen did: quoted
  ASSERT_TRUE(wait_text("Reasoning is shown"));
  line("/quit");
  ASSERT_EQ(wait_exit_line(), "EXIT=0");
  ASSERT_TRUE(
      wait_for([&](const std::string&) { return joined_screen().find("--session sky") != std::string::npos; },
               "the farewell"));
  std::string after = joined_screen();
  EXPECT_NE(after.find("## User"), std::string::npos) << after;
  EXPECT_NE(after.find("why is the sky blue?"), std::string::npos) << after;
  EXPECT_NE(after.find("> Rayleigh scattering favours short wavelengths."), std::string::npos) << after;
  EXPECT_NE(after.find("Because of **Rayleigh** scattering."), std::string::npos) << after;
  EXPECT_LT(after.find("Because of **Rayleigh**"), after.find("--session sky")) << "the farewell comes last";
  EXPECT_EQ(after.find("ctx "), std::string::npos) << "the chat screen is gone";

  // --no-scrollback: only the farewell.
  run("tmux -L " + socket_ + " kill-server 2>/dev/null");
  socket_ = first_socket_ + "-b";
  fs::remove(root_ / "exit");
  start("--demo --seed 7 --max-tokens 20 --session sky --no-scrollback");
  ASSERT_TRUE(wait_text("Because of", 90));
  line("/quit");
  ASSERT_EQ(wait_exit_line(), "EXIT=0");
  ASSERT_TRUE(
      wait_for([&](const std::string&) { return joined_screen().find("--session sky") != std::string::npos; },
               "the farewell"));
  after = joined_screen();
  EXPECT_EQ(after.find("## User"), std::string::npos) << after;
  EXPECT_EQ(after.find("why is the sky blue?"), std::string::npos) << after;
}

}  // namespace
