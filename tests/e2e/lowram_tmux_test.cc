// The chat under a RAM budget too small for the model, in a real terminal: the status bar shows
// that the experts stream and, after a reply, the cache's hit rate and disk MB per token; /stats
// shows the mode, budget, hit rates, hits and misses, bytes read and the kernel set. The fixture
// is chat_tmux_test.cc's, cut down (tmux on a private socket, HOME and XDG_* in a temp dir, a
// wide window so no status field is dropped).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e/terminal_helpers.h"
#include "engine/checkpoint.h"
#include "engine/ram_budget.h"

namespace fs = std::filesystem;

namespace {

using namespace gptoss::e2e;

constexpr int kContext = 1024;  // the chat's --context, which the budget leaves a KV cache for

class LowRamTmuxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run("command -v tmux").empty()) GTEST_FAIL() << "tmux is required for the end-to-end test";
    root_ = fs::temp_directory_path() / ("gptoss_lowram_e2e_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    for (const char* d : {"home", "cache", "data", "state", "work"}) fs::create_directories(root_ / d);
    socket_ = "gptoss-lowram-e2e-" + std::to_string(::getpid());
  }
  void TearDown() override {
    run("tmux -L " + socket_ + " kill-server 2>/dev/null");
    const char* dir = std::getenv("TMUX_TMPDIR");  // tmux leaves the socket file of a killed server
    std::error_code ec;
    fs::remove(fs::path(dir && *dir ? dir : "/tmp") / ("tmux-" + std::to_string(::getuid())) / socket_, ec);
    fs::remove_all(root_);
  }

  void start(const std::string& args) {
    std::string env = "env -u NO_COLOR -u GPT_OSS_MODEL -u GPT_OSS_RAM -u HF_HOME -u HF_HUB_CACHE HOME=" +
                      quote((root_ / "home").string()) +
                      " XDG_CACHE_HOME=" + quote((root_ / "cache").string()) +
                      " XDG_DATA_HOME=" + quote((root_ / "data").string()) +
                      " XDG_STATE_HOME=" + quote((root_ / "state").string()) +
                      " TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8";
    std::string inner = "cd " + quote((root_ / "work").string()) + " && " + env + " " + quote(GPTOSS_BINARY) +
                        " " + args + "; echo EXIT=$? > " + quote((root_ / "exit").string()) + "; sleep 120";
    std::string cmd =
        "tmux -L " + socket_ + " -f /dev/null new-session -d -x 200 -y 40 " + quote("sh -c " + quote(inner));
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }

  std::string screen() const { return run("tmux -L " + socket_ + " capture-pane -p -J"); }
  std::string status_line() const {
    auto lines = split_lines(run("tmux -L " + socket_ + " capture-pane -p"));
    return lines.empty() ? "" : lines.back();
  }
  void line(const std::string& text) {
    run("tmux -L " + socket_ + " send-keys -l " + quote(text));
    run("tmux -L " + socket_ + " send-keys Enter");
  }
  bool wait_for(const std::function<bool()>& ok, const std::string& what, int seconds = 60) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (ok()) return true;
      if (fs::exists(root_ / "exit")) break;  // the program is gone: no point waiting
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "timed out waiting for " << what << "; screen:\n" << screen();
    return false;
  }

  fs::path root_;
  std::string socket_;
};

TEST_F(LowRamTmuxTest, StatusBarAndStatsShowTheStreamingFigures) {
  const fs::path model = root_ / "model";
  ASSERT_EQ(std::system((quote(GPTOSS_BINARY) + " make-test-model " + quote(model.string()) +
                         " --preset tiny > /dev/null")
                            .c_str()),
            0);
  // A budget that holds 8 of the tiny model's 24 experts beside everything else (the way the
  // engine's streaming tests pick theirs): the chat must stream, and its cache must evict. The
  // chat runs the fast profile, whose needs differ (8-bit unembedding, bf16 KV cache).
  const int threads = static_cast<int>(std::thread::hardware_concurrency());
  const gptoss::engine::MemoryNeeds needs = gptoss::engine::memory_needs(
      *gptoss::engine::open_checkpoint(model.string()), kContext, threads, gptoss::engine::Precision::kFast);
  const uint64_t budget = needs.streaming_fixed() + 8 * needs.slot_bytes;
  ASSERT_LT(budget, needs.mapped());
  start("--model " + quote(model.string()) + " --ram " + std::to_string(budget) + " --context " +
        std::to_string(kContext) + " --max-tokens 24 --seed 3");

  // Before any reply: the mode and budget, no cache figures yet.
  ASSERT_TRUE(wait_for([&] { return status_line().find("ctx 0/") != std::string::npos; }, "the chat", 90));
  EXPECT_NE(status_line().find("streaming, budget "), std::string::npos) << status_line();
  EXPECT_EQ(status_line().find("cache hits"), std::string::npos) << status_line();

  // After a reply: the hit rate and disk MB per token.
  line("hello there");
  ASSERT_TRUE(wait_for([&] { return status_line().find("cache hits ") != std::string::npos; },
                       "the cache figures in the status bar"));
  const std::string bar = status_line();
  EXPECT_NE(bar.find("streaming, budget "), std::string::npos) << bar;
  EXPECT_NE(bar.find(" MB/tok"), std::string::npos) << bar;

  line("/stats");
  ASSERT_TRUE(
      wait_for([&] { return screen().find("Expert cache since load") != std::string::npos; }, "/stats"));
  const std::string s = screen();
  for (const char* part : {"Mode: streaming, budget ", "8 expert slots", "eviction; kernels ", "hit rate ",
                           "prefetch hit rate ", " requests: ", " misses", " read from disk", " per token"}) {
    EXPECT_NE(s.find(part), std::string::npos) << part << " in:\n" << s;
  }

  line("/quit!");
  ASSERT_TRUE(wait_for([&] { return fs::exists(root_ / "exit") && fs::file_size(root_ / "exit") > 0; },
                       "the chat to exit"));
  std::ifstream exit_file(root_ / "exit");
  std::string exit_line;
  std::getline(exit_file, exit_line);
  EXPECT_EQ(exit_line, "EXIT=0");  // under scripts/tsan.sh, a race report would make it 66
}

}  // namespace
