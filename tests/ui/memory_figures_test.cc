// The memory mode and expert-cache figures from Backend::stats() pairs, as the status bar and
// /stats show them; and where they go when the status bar is narrow.
#include "ui/memory_figures.h"

#include <gtest/gtest.h>

#include "ui/status_bar.h"
#include "ui/transcript.h"

namespace gptoss::ui {
namespace {

// 20b-like figures: 96 requests a token over 10 tokens, 700 hits of which 100 prefetched, and the
// 260 misses plus 100 prefetches read at 13 MB each.
std::vector<std::pair<std::string, std::string>> streaming_pairs() {
  return {{"mode", "streaming"},
          {"kernels", "avx512"},
          {"ram_budget_bytes", "4294967296"},
          {"expert_slots", "100"},
          {"expert_cache_policy", "lfu"},
          {"tokens_computed", "10"},
          {"expert_requests", "960"},
          {"expert_hits", "700"},
          {"prefetch_hits", "100"},
          {"disk_bytes_read", "4680000000"},
          {"decode_tokens", "9"}};
}

TEST(MemoryFigures, ReadsThePairs) {
  const MemoryFigures m = memory_figures(streaming_pairs());
  EXPECT_EQ(m.mode, "streaming");
  EXPECT_EQ(m.kernels, "avx512");
  EXPECT_EQ(m.budget_bytes, 4ull << 30);
  EXPECT_EQ(m.expert_slots, 100);
  EXPECT_EQ(m.policy, "lfu");
  EXPECT_EQ(m.tokens, 10u);
  EXPECT_EQ(m.requests, 960u);
  EXPECT_EQ(m.hits, 700u);
  EXPECT_EQ(m.prefetch_hits, 100u);
  EXPECT_EQ(m.disk_bytes, 4680000000u);
}

TEST(MemoryFigures, StreamingStatusFields) {
  const MemoryFigures m = memory_figures(streaming_pairs());
  EXPECT_EQ(memory_mode_field(m), "streaming, budget 4.0 GiB");
  // (700 - 100) / 960 = 62.5% held; 4.68 GB / 10 tokens = 468 MB a token.
  EXPECT_EQ(expert_cache_field(m), "cache hits 62%, 468 MB/tok");
}

TEST(MemoryFigures, StatsLineHasEveryFigure) {
  const std::string line = memory_stats_line(memory_figures(streaming_pairs()));
  for (const char* part :
       {"Mode: streaming, budget 4.0 GiB", "100 expert slots", "lfu eviction", "kernels avx512",
        "hit rate 62%", "prefetch hit rate 10%", "960 requests: 600 hits, 100 prefetched, 260 misses",
        "4.4 GiB read from disk", "468 MB per token (10 tokens)"}) {
    EXPECT_NE(line.find(part), std::string::npos) << part << " in: " << line;
  }
}

TEST(MemoryFigures, SmallPerTokenFiguresKeepADecimal) {
  auto pairs = streaming_pairs();
  pairs[9].second = "52000000";  // 5.2 MB over 10 tokens
  EXPECT_EQ(expert_cache_field(memory_figures(pairs)), "cache hits 62%, 5.2 MB/tok");
}

TEST(MemoryFigures, BeforeTheFirstTokenNoCacheFigures) {
  const MemoryFigures m = memory_figures({{"mode", "streaming"},
                                          {"kernels", "avx2"},
                                          {"ram_budget_bytes", "4294967296"},
                                          {"expert_slots", "7"},
                                          {"expert_cache_policy", "lru"}});
  EXPECT_EQ(memory_mode_field(m), "streaming, budget 4.0 GiB");
  EXPECT_EQ(expert_cache_field(m), "");
  EXPECT_EQ(memory_stats_line(m),
            "Mode: streaming, budget 4.0 GiB, 7 expert slots, lru eviction; kernels avx2. "
            "No expert read yet.");
}

TEST(MemoryFigures, MappedAndRemote) {
  const MemoryFigures mapped =
      memory_figures({{"mode", "mapped"}, {"kernels", "baseline"}, {"decode_tokens", "5"}});
  EXPECT_EQ(memory_mode_field(mapped), "mapped");
  EXPECT_EQ(expert_cache_field(mapped), "");
  EXPECT_EQ(memory_stats_line(mapped),
            "Mode: mapped (nothing is read from disk per token); kernels baseline.");
  const MemoryFigures remote = memory_figures({});
  EXPECT_EQ(memory_mode_field(remote), "");
  EXPECT_EQ(memory_stats_line(remote), "");
}

TEST(MemoryFigures, StatusBarDropsThemFirstAndKeepsTheSession) {
  ASSERT_TRUE(ensure_utf8_locale());
  const MemoryFigures m = memory_figures(streaming_pairs());
  StatusInfo s;
  s.model = "gpt-oss-20b";
  s.effort = "medium";
  s.context_used = 1234;
  s.context_size = 8192;
  s.decode_tok_s = 1.5;
  s.memory_bytes = 3ull << 30;
  s.memory_mode = memory_mode_field(m);
  s.expert_cache = expert_cache_field(m);
  s.session = "notes";
  const std::string wide = format_status(s, 200);
  EXPECT_NE(wide.find("streaming, budget 4.0 GiB  cache hits 62%, 468 MB/tok"), std::string::npos) << wide;
  // One cell short of all fields: the cache figures go first, the mode and memory in use stay.
  const int all_fields = text_width(utf8_to_wide(wide.substr(0, wide.find_last_not_of(' ') + 1)));
  const std::string narrower = format_status(s, all_fields - 1);
  EXPECT_NE(narrower.find("mem 3.0 GiB"), std::string::npos) << narrower;
  EXPECT_EQ(narrower.find("cache hits"), std::string::npos) << narrower;
  EXPECT_NE(narrower.find("streaming, budget"), std::string::npos) << narrower;
  const std::string narrow = format_status(s, 60);
  EXPECT_EQ(narrow.find("streaming"), std::string::npos) << narrow;
  EXPECT_NE(narrow.find("session notes"), std::string::npos) << narrow;
}

}  // namespace
}  // namespace gptoss::ui
