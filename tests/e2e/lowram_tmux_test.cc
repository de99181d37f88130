// The chat under a RAM budget too small for the model, in a real terminal: the status bar shows
// that the experts stream and, after a reply, the cache's hit rate and disk MB per token; /stats
// shows the mode, budget, hit rates, hits and misses, bytes read and the kernel set. A wide
// window, so no status field is dropped.
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

#include "e2e/tmux_fixture.h"
#include "engine/checkpoint.h"
#include "engine/ram_budget.h"

namespace fs = std::filesystem;

namespace {

using namespace gptoss::e2e;

constexpr int kContext = 1024;  // the chat's --context, which the budget leaves a KV cache for

class LowRamTmuxTest : public TmuxTest {
 protected:
  LowRamTmuxTest() : TmuxTest("lowram", 200, 40) {}
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
  // The same thread count as the budget's (the chat's default is one per physical core).
  start("--model " + quote(model.string()) + " --ram " + std::to_string(budget) + " --context " +
        std::to_string(kContext) + " --threads " + std::to_string(threads) + " --max-tokens 24 --seed 3");

  // Before any reply: the mode and budget, no cache figures yet.
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  EXPECT_NE(status_line().find("streaming, budget "), std::string::npos) << status_line();
  EXPECT_EQ(status_line().find("cache hits"), std::string::npos) << status_line();

  // After a reply: the hit rate and disk MB per token.
  line("hello there");
  ASSERT_TRUE(wait_for([&](const std::string&) { return status_line().find("cache hits ") != std::string::npos; },
                       "the cache figures in the status bar", 60));
  const std::string bar = status_line();
  EXPECT_NE(bar.find("streaming, budget "), std::string::npos) << bar;
  EXPECT_NE(bar.find(" MB/tok"), std::string::npos) << bar;

  line("/stats");
  ASSERT_TRUE(wait_text("Expert cache since load", 60));
  const std::string s = joined_screen();
  for (const char* part : {"Mode: streaming, budget ", "8 expert slots", "eviction; kernels ", "hit rate ",
                           "prefetch hit rate ", " requests: ", " misses", " read from disk", " per token"}) {
    EXPECT_NE(s.find(part), std::string::npos) << part << " in:\n" << s;
  }

  line("/quit!");
  EXPECT_EQ(wait_exit_line(60), "EXIT=0");  // under scripts/tsan.sh, a race report would make it 66
}

}  // namespace
