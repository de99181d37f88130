// The status bar fits its width exactly and drops the least useful fields first.
#include "ui/status_bar.h"

#include <gtest/gtest.h>

#include "ui/transcript.h"

namespace gptoss::ui {
namespace {

StatusInfo sample() {
  StatusInfo s;
  s.model = "gpt-oss-20b";
  s.effort = "medium";
  s.context_used = 1234;
  s.context_size = 8192;
  s.prefill_tok_s = 85.25;
  s.decode_tok_s = 12.06;
  s.memory_bytes = 3ull << 30;
  s.activity = "ready";
  s.session = "notes";
  return s;
}

int cells(const std::string& s) { return text_width(utf8_to_wide(s)); }

TEST(StatusBar, AllFieldsWhenWide) {
  ASSERT_TRUE(ensure_utf8_locale());
  std::string bar = format_status(sample(), 160);
  EXPECT_EQ(cells(bar), 160);
  for (const char* part : {"gpt-oss-20b", "effort medium", "ctx 1234/8192", "prefill 85.2 decode 12.1 tok/s", "mem 3.0 GiB", "session notes", "ready"}) {
    EXPECT_NE(bar.find(part), std::string::npos) << part << " in " << bar;
  }
}

TEST(StatusBar, NarrowKeepsModelContextAndSession) {
  ASSERT_TRUE(ensure_utf8_locale());
  std::string bar = format_status(sample(), 50);
  EXPECT_EQ(cells(bar), 50);
  EXPECT_NE(bar.find("gpt-oss-20b"), std::string::npos);
  EXPECT_NE(bar.find("ctx 1234/8192"), std::string::npos);
  EXPECT_NE(bar.find("session notes"), std::string::npos) << "the session name goes last: " << bar;
  EXPECT_EQ(bar.find("mem"), std::string::npos);
  EXPECT_EQ(cells(format_status(sample(), 10)), 10);  // cut, never longer
}

TEST(StatusBar, DemoAndNoTurnYet) {
  ASSERT_TRUE(ensure_utf8_locale());
  StatusInfo s = sample();
  s.demo = true;
  s.prefill_tok_s = s.decode_tok_s = 0;
  std::string bar = format_status(s, 160);
  EXPECT_NE(bar.find("random weights"), std::string::npos);
  EXPECT_EQ(bar.find("tok/s"), std::string::npos);
}

TEST(StatusBar, EverythingFitsIn100Columns) {
  ASSERT_TRUE(ensure_utf8_locale());
  StatusInfo s = sample();
  s.model = "demo";
  s.demo = true;
  s.session.clear();
  s.activity.clear();
  std::string bar = format_status(s, 100);
  for (const char* part : {"demo, random weights", "effort medium", "ctx 1234/8192", "tok/s", "mem 3.0 GiB"}) {
    EXPECT_NE(bar.find(part), std::string::npos) << part << " in " << bar;
  }
}

TEST(StatusBar, CountNoun) {
  EXPECT_EQ(count_noun(1, "token"), "1 token");
  EXPECT_EQ(count_noun(0, "token"), "0 tokens");
  EXPECT_EQ(count_noun(2048, "token"), "2048 tokens");
}

TEST(StatusBar, Bytes) {
  EXPECT_EQ(format_bytes(812ull << 20), "812 MiB");
  EXPECT_EQ(format_bytes((34ull << 30) / 10), "3.4 GiB");
  EXPECT_GT(resident_memory_bytes(), 0u);
}

TEST(StatusBar, RereadingProgress) {
  EXPECT_EQ(rereading_progress(0, 1200), "reading the prompt again: 0/1200 tokens");
  EXPECT_EQ(rereading_progress(384, 1200), "reading the prompt again: 384/1200 tokens");
  EXPECT_EQ(rereading_progress(1230, 1200),
            "reading the prompt again: 1230/1230 tokens");  // + the new message
}

}  // namespace
}  // namespace gptoss::ui
