// Wrapping counts screen cells (wcwidth): CJK takes two, combining marks none, emoji two; and the
// transcript's scrolling keeps the view still while rows arrive.
#include "ui/transcript.h"

#include <gtest/gtest.h>

#include <string>

namespace gptoss::ui {
namespace {

class WrapTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(ensure_utf8_locale()) << "the tests need a UTF-8 locale (C.UTF-8)"; }
};

std::string row_text(const ScreenLine& row) {
  std::wstring w;
  for (const WideSpan& s : row.spans) w += s.text;
  return wide_to_utf8(w);
}

std::vector<std::string> rows_of(const std::vector<ScreenLine>& rows) {
  std::vector<std::string> out;
  for (const ScreenLine& r : rows) out.push_back(row_text(r));
  return out;
}

int row_width(const ScreenLine& row) {
  int w = 0;
  for (const WideSpan& s : row.spans) w += text_width(s.text);
  return w;
}

TEST_F(WrapTest, WidthsFollowWcwidth) {
  EXPECT_EQ(text_width(L"abc"), 3);
  EXPECT_EQ(text_width(utf8_to_wide("你好")), 4);          // CJK: two cells each
  EXPECT_EQ(text_width(utf8_to_wide("e\u0301")), 1);       // e + combining acute
  EXPECT_EQ(text_width(utf8_to_wide("\U0001F600")), 2);    // emoji
  EXPECT_EQ(text_width(utf8_to_wide("\x1b[31m")), 4);      // ESC itself takes no cell
}

TEST_F(WrapTest, Utf8RoundTripAndInvalidBytes) {
  std::string s = "a\u00e9\u4f60\U0001F600";
  EXPECT_EQ(wide_to_utf8(utf8_to_wide(s)), s);
  EXPECT_EQ(utf8_to_wide("a\xff" "b"), L"a\uFFFDb");
  EXPECT_EQ(utf8_to_wide("\xc0\xaf"), L"\uFFFD\uFFFD");  // overlong '/'
  EXPECT_EQ(utf8_to_wide("\xe4\xbd"), L"\uFFFD\uFFFD");  // truncated
}

TEST_F(WrapTest, WordsMoveWhole) {
  auto rows = rows_of(wrap_text("the quick brown fox", Style{}, 10));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], "the quick ");
  EXPECT_EQ(rows[1], "brown fox");
}

TEST_F(WrapTest, LongWordBreaksAtEdge) {
  auto rows = rows_of(wrap_text("abcdefghijklmnop", Style{}, 6));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], "abcdef");
  EXPECT_EQ(rows[1], "ghijkl");
  EXPECT_EQ(rows[2], "mnop");
}

TEST_F(WrapTest, WideCharacterNeverStraddlesTheEdge) {
  // 5 columns: "a" + two CJK (1 + 4 = 5) fits; the third CJK moves down. As one "word" (no
  // spaces), it breaks by cells.
  auto wrapped = wrap_text("a你好世界", Style{}, 5);
  auto rows = rows_of(wrapped);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], "a你好");
  EXPECT_EQ(rows[1], "世界");
  // 4 columns: "a你" is 3 cells, and 好 (2) would need a 5th: it goes to the next row.
  rows = rows_of(wrap_text("a你好", Style{}, 4));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], "a你");
  EXPECT_EQ(rows[1], "好");
  for (const ScreenLine& r : wrap_text("一二三四五六七八九十", Style{}, 7)) EXPECT_LE(row_width(r), 7);
}

TEST_F(WrapTest, CombiningMarksStayWithTheirBase) {
  // "cafe\u0301" is 4 cells; at width 4 it fits on one row, the accent included.
  auto rows = rows_of(wrap_text("cafe\u0301 ok", Style{}, 4));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], "cafe\u0301");
  EXPECT_EQ(rows[1], "ok");
  // Breaking inside a long word never separates e and its accent.
  rows = rows_of(wrap_text("abce\u0301fg", Style{}, 4));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], "abce\u0301");
  EXPECT_EQ(rows[1], "fg");
}

TEST_F(WrapTest, EmojiCountsTwoCells) {
  auto wrapped = wrap_text("\U0001F600\U0001F600\U0001F600", Style{}, 5);
  auto rows = rows_of(wrapped);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], "\U0001F600\U0001F600");
  EXPECT_EQ(rows[1], "\U0001F600");
}

TEST_F(WrapTest, HangIndentsContinuationRows) {
  auto rows = rows_of(wrap_spans({Span{"- one two three", Style{}}}, 8, 2, true));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], "- one ");
  EXPECT_EQ(rows[1], "  two ");
  EXPECT_EQ(rows[2], "  three");
}

TEST_F(WrapTest, CodeKeepsSpacesAndBreaksAtEdge) {
  auto rows = rows_of(wrap_spans({Span{"    x = 1  # long", Style{Role::kCodeBlock}}}, 8, 0, false));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], "    x = ");
  EXPECT_EQ(rows[1], "1  # lon");
  EXPECT_EQ(rows[2], "g");
}

TEST_F(WrapTest, ControlCharactersAndNewlines) {
  auto rows = rows_of(wrap_text("red\x1b[31m\nnext\ttab", Style{}, 20));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], "red[31m");  // ESC dropped: no escape sequence reaches the terminal
  EXPECT_EQ(rows[1], "next    tab");
}

TEST_F(WrapTest, StylesSurviveWrapping) {
  auto rows = wrap_spans({Span{"plain ", Style{}}, Span{"bold words", Style{Role::kText, true, false}}}, 11, 0, true);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_FALSE(rows[0].spans.front().style.bold);
  EXPECT_TRUE(rows[1].spans.back().style.bold);
  EXPECT_EQ(row_text(rows[1]), "words");
}

TEST_F(WrapTest, ReasoningCollapsesToOneLine) {
  Transcript t;
  Block r;
  r.kind = BlockKind::kReasoning;
  r.text = "step one\nstep two\nstep three";
  r.streaming = true;
  size_t i = t.add(r);
  t.layout(40, 10);
  EXPECT_EQ(t.total_rows(), 4);  // label + three lines while streaming
  Block& done = t.edit(i);
  done.streaming = false;
  done.seconds = 12.2;
  done.tokens = 340;
  t.layout(40, 10);
  ASSERT_EQ(t.total_rows(), 2);  // collapsed summary wraps once at 40 columns
  EXPECT_NE(row_text(*t.visible()[0]).find("Thought for 12 s, 340 tokens"), std::string::npos);
  t.set_show_reasoning(true);
  t.layout(40, 10);
  EXPECT_EQ(t.total_rows(), 4);
}

TEST_F(WrapTest, ScrollingKeepsTheViewStillWhileRowsArrive) {
  Transcript t;
  Block b;
  b.kind = BlockKind::kAnswer;
  for (int k = 0; k < 20; ++k) b.text += "line " + std::to_string(k) + "\n";
  size_t i = t.add(b);
  t.layout(20, 5);
  ASSERT_EQ(t.total_rows(), 20);
  EXPECT_EQ(row_text(*t.visible().back()), "line 19");
  t.scroll_up(5);
  EXPECT_EQ(row_text(*t.visible().back()), "line 14");
  t.append_text(i, "line 20\nline 21\n");
  t.layout(20, 5);
  EXPECT_EQ(row_text(*t.visible().back()), "line 14");  // still where the user left it
  EXPECT_EQ(t.rows_below(), 7);
  t.scroll_to_top();
  EXPECT_EQ(row_text(*t.visible().front()), "line 0");
  t.scroll_to_bottom();
  EXPECT_EQ(row_text(*t.visible().back()), "line 21");
  t.scroll_down(100);  // past the end: clamped
  EXPECT_TRUE(t.at_bottom());
}

TEST_F(WrapTest, HarmonyMarkupNeverReachesTheScreen) {
  EXPECT_EQ(strip_harmony_markup("a<|reserved_200156|>b"), "a b");
  EXPECT_EQ(strip_harmony_markup("<|channel|>final<|message|>hi"), "final hi");
  EXPECT_EQ(strip_harmony_markup("x <| y |> and a<|b"), "x <| y |> and a<|b");  // not a token name
  Transcript t;
  Block b;
  b.kind = BlockKind::kAnswer;
  b.text = "junk<|call|>more";
  t.add(b);
  t.layout(40, 5);
  EXPECT_EQ(row_text(*t.visible()[0]), "junk more");
}

TEST_F(WrapTest, InterruptedAnswerIsMarked) {
  Transcript t;
  Block b;
  b.kind = BlockKind::kAnswer;
  b.text = "partial";
  b.interrupted = true;
  t.add(b);
  t.layout(30, 5);
  ASSERT_EQ(t.total_rows(), 2);
  EXPECT_NE(row_text(*t.visible()[1]).find("interrupted"), std::string::npos);
}

}  // namespace
}  // namespace gptoss::ui

namespace gptoss::ui {
namespace {

// A code line longer than the row breaks with a continuation marker at the right edge; the rows
// without their markers give the line back whole, and a line that fits is left alone.
TEST_F(WrapTest, LongCodeLinesWrapWithAMarker) {
  Transcript t;
  Block a;
  a.kind = BlockKind::kAnswer;
  const std::string line = "result = compute_something(alpha, beta)";  // 39 cells
  a.text = "```python\n" + line + "\nshort = 1\n```";
  t.add(a);
  t.layout(20, 20);
  std::vector<std::string> rows;
  for (const ScreenLine* r : t.visible()) rows.push_back(row_text(*r));
  ASSERT_EQ(rows.size(), 5u);  // label, three rows of the long line, the short line
  EXPECT_EQ(rows[0].substr(0, 6), "python");
  const std::string marker = wide_to_utf8(std::wstring(1, kCodeContinuation));
  std::string joined;
  for (size_t k = 1; k <= 3; ++k) {
    if (k < 3) {
      ASSERT_TRUE(rows[k].ends_with(marker)) << rows[k];
      EXPECT_EQ(text_width(utf8_to_wide(rows[k])), 20) << "the marker sits at the right edge";
      joined += rows[k].substr(0, rows[k].size() - marker.size());
    } else {
      EXPECT_EQ(rows[k].find(marker), std::string::npos);
      joined += rows[k];
    }
  }
  EXPECT_EQ(joined, line);
  EXPECT_EQ(rows[4], "short = 1");
}

}  // namespace
}  // namespace gptoss::ui
