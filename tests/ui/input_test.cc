// The input area's layout (prompt, wrapping, newlines, cursor) and the history file's escaping.
#include "ui/input.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "ui/history_file.h"
#include "ui/transcript.h"

namespace gptoss::ui {
namespace {

class InputLayoutTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(ensure_utf8_locale()); }
};

TEST_F(InputLayoutTest, PromptAndText) {
  InputLayout l = layout_input("> ", "hello", 5, 20);
  ASSERT_EQ(l.rows.size(), 1u);
  EXPECT_EQ(l.rows[0], L"> hello");
  EXPECT_EQ(l.cursor_row, 0);
  EXPECT_EQ(l.cursor_col, 7);
  l = layout_input("> ", "hello", 1, 20);
  EXPECT_EQ(l.cursor_col, 3);
}

TEST_F(InputLayoutTest, NewlinesStartIndentedRows) {
  InputLayout l = layout_input("> ", "one\ntwo", 7, 20);
  ASSERT_EQ(l.rows.size(), 2u);
  EXPECT_EQ(l.rows[1], L"  two");
  EXPECT_EQ(l.cursor_row, 1);
  EXPECT_EQ(l.cursor_col, 5);
  l = layout_input("> ", "one\n", 4, 20);  // cursor right after a trailing newline
  ASSERT_EQ(l.rows.size(), 2u);
  EXPECT_EQ(l.cursor_row, 1);
  EXPECT_EQ(l.cursor_col, 2);
}

TEST_F(InputLayoutTest, WideTextWrapsAndCursorCountsCells) {
  // width 8: "> " + 3 CJK = 8 cells; the 4th goes to row 2 (after the 2-cell indent).
  std::string text = "你好世界";
  InputLayout l = layout_input("> ", text, text.size(), 8);
  ASSERT_EQ(l.rows.size(), 2u);
  EXPECT_EQ(l.rows[0], L"> 你好世");
  EXPECT_EQ(l.rows[1], L"  界");
  EXPECT_EQ(l.cursor_row, 1);
  EXPECT_EQ(l.cursor_col, 4);
  l = layout_input("> ", text, 3, 8);  // after the first character (3 bytes)
  EXPECT_EQ(l.cursor_row, 0);
  EXPECT_EQ(l.cursor_col, 4);
}

TEST_F(InputLayoutTest, CursorAfterAFullRowMovesDown) {
  InputLayout l = layout_input("> ", "abcdef", 6, 8);
  ASSERT_EQ(l.rows.size(), 2u);
  EXPECT_EQ(l.cursor_row, 1);
  EXPECT_EQ(l.cursor_col, 2);
}

TEST(HistoryFile, EscapingRoundTrips) {
  std::string entry = "line one\nback\\slash\\n literal";
  std::string line = escape_history_entry(entry);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(unescape_history_entry(line), entry);
  EXPECT_EQ(escape_history_entry("a\nb"), "a\\nb");
}

}  // namespace
}  // namespace gptoss::ui

namespace gptoss::ui {
namespace {

// Readline through the callback interface: typed keys make lines, history survives a restart.
TEST(InputLineTest, LinesAndHistoryFile) {
  std::string path = ::testing::TempDir() + "gptoss_history_" + std::to_string(::getpid());
  std::remove(path.c_str());
  {
    InputLine input("> ", path);
    input.feed("first\r");
    auto line = input.take_line();
    ASSERT_TRUE(line);
    EXPECT_EQ(line->text, "first");
    input.remember(line->text);
    input.feed("sec");
    input.insert("\nond");
    EXPECT_EQ(input.text(), "sec\nond");
    input.feed("\r");
    line = input.take_line();
    ASSERT_TRUE(line);
    input.remember(line->text);
    input.feed("\x04");  // Ctrl-D on an empty line
    line = input.take_line();
    ASSERT_TRUE(line);
    EXPECT_TRUE(line->eof);
  }
  {
    std::ifstream f(path);
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_EQ(all, "first\nsec\\nond\n");
  }
  {
    InputLine input("> ", path);
    input.feed("\x1b[A");  // Up: the last entry, newline and all
    EXPECT_EQ(input.text(), "sec\nond");
    input.discard();
    EXPECT_TRUE(input.empty());
  }
  std::remove(path.c_str());
  std::remove((path + ".lock").c_str());  // the history file's lock (history_file.h)
}

// The chat drops "Enter replaces your last message" when the line is thrown away; keys typed
// quickly arrive in one feed, so emptying the line must be seen even if the same feed types it
// full again. Submitting a line or Enter on an empty one is not throwing it away; discard() and
// set_text("") on a line with text are.
TEST(InputLineTest, EmptiedWithinOneFeedIsReported) {
  InputLine input("> ", ::testing::TempDir() + "gptoss_history_emptied_" + std::to_string(::getpid()));
  input.set_text("second question");
  input.feed("x");
  EXPECT_FALSE(input.take_emptied());
  input.feed("\x15third question");  // Ctrl-U, then a new message, in one read
  EXPECT_EQ(input.text(), "third question");
  EXPECT_TRUE(input.take_emptied());
  EXPECT_FALSE(input.take_emptied()) << "taken once";
  input.feed("\r");
  ASSERT_TRUE(input.take_line());
  EXPECT_FALSE(input.take_emptied()) << "a submitted line is not thrown away";
  input.feed("\r");
  ASSERT_TRUE(input.take_line());
  EXPECT_FALSE(input.take_emptied()) << "Enter on an empty line";
  input.feed("ab\x7f\x7f" "c");  // backspaced to nothing, then typed again
  EXPECT_EQ(input.text(), "c");
  EXPECT_TRUE(input.take_emptied());
  input.discard();  // Ctrl-C on an idle chat
  EXPECT_TRUE(input.take_emptied());
  input.discard();
  EXPECT_FALSE(input.take_emptied()) << "nothing to throw away";
  input.set_text("draft");
  EXPECT_FALSE(input.take_emptied());
  input.set_text("");  // an editor that came back empty
  EXPECT_TRUE(input.take_emptied());
}

// Two chats at once: each appends its lines, neither drops the other's; the file is private even if
// an older version left it world-readable.
TEST(InputLineTest, HistoryFileIsAppendedAndPrivate) {
  std::string path = ::testing::TempDir() + "gptoss_history_append_" + std::to_string(::getpid());
  std::remove(path.c_str());
  std::ofstream(path) << "older\n";
  ::chmod(path.c_str(), 0644);
  {
    InputLine input("> ", path);
    std::ofstream(path, std::ios::app) << "from the other chat\n";
    input.remember("mine");
  }
  std::ifstream f(path);
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_EQ(all, "older\nfrom the other chat\nmine\n");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::remove(path.c_str());
  std::remove((path + ".lock").c_str());
}

}  // namespace
}  // namespace gptoss::ui
