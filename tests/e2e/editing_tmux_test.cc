// Editing a message end to end, in tmux around `gpt-oss-chat --demo` (the fixture is
// tmux_fixture.h's): the external editor, Ctrl-J and the hidden-line count, editing the last
// message, attached files, /copy through OSC 52 (tmux keeps what it receives in a paste buffer),
// and how code blocks are drawn. The test types like a user and polls the screen; no timings.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "chat/session_store.h"
#include "e2e/tmux_fixture.h"
#include "reference/file_bytes.h"

namespace fs = std::filesystem;

namespace {

using gptoss::testing::slurp;

using namespace gptoss::e2e;

size_t count_of(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1)) ++n;
  return n;
}

class EditingTmuxTest : public TmuxTest {
 protected:
  EditingTmuxTest() : TmuxTest("edit") {}

  // The input box: the rows between the separator and the status bar.
  std::string input_box() const {
    auto lines = split_lines(screen());
    std::string out;
    for (size_t i = lines.size(); i-- > 0;) {
      if (lines[i].find("\u2500\u2500\u2500\u2500") != std::string::npos) {
        for (size_t k = i + 1; k + 1 < lines.size(); ++k) out += lines[k] + "\n";
        break;
      }
    }
    return out;
  }

  // A saved session whose answer has code blocks, to look at them deterministically.
  void write_code_session(const std::string& answer) {
    gptoss::chat::SessionFile file;
    auto& msgs = file.state.conversation.messages;
    msgs.push_back({"user", {}, {}, {}, {}, "show me code"});
    msgs.push_back({"assistant", {}, {}, "final", {}, answer});
    file.state.turns.push_back({0, {}});
    fs::create_directories(sessions_dir());
    gptoss::chat::save_session((sessions_dir() / "code.json").string(), file);
  }

  fs::path write_file(const std::string& name, const std::string& bytes, bool executable = false) {
    fs::path p = root_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    if (executable) fs::permissions(p, fs::perms::owner_all);
    return p;
  }

};

// Ctrl-X Ctrl-E and /edit: the curses screen is handed to $EDITOR and comes back whole; what the
// editor wrote is the new draft; an editor that fails leaves the draft as it was, with a notice.
TEST_F(EditingTmuxTest, ExternalEditorEditsTheDraft) {
  const fs::path seen = root_ / "seen.txt";
  const fs::path fail = root_ / "editor-fails";
  const fs::path editor =
      write_file("editor.sh",
                 "#!/bin/sh\ncp \"$1\" " + quote(seen.string()) + "\nif [ -e " + quote(fail.string()) +
                     " ]; then exit 3; fi\n" + "printf 'edited by the script\\nsecond line\\n' > \"$1\"\n",
                 true);
  start("--demo --max-tokens 20", "EDITOR=" + quote(editor.string()));
  ASSERT_TRUE(wait_text("ctx 0/", 90));

  type("my draft");
  keys("C-x");
  keys("C-e");
  ASSERT_TRUE(wait_text("\u203A edited by the script\n  second line\n"));
  EXPECT_EQ(slurp(seen), "my draft\n");
  std::string s = screen();
  EXPECT_NE(status_line().find("demo, random weights"), std::string::npos) << "the screen came back:\n" << s;
  EXPECT_NE(s.find("Type a message and press Enter"), std::string::npos) << s;

  // A failing editor: a one-line notice, and the draft is still there.
  write_file("editor-fails", "");
  keys("C-x");
  keys("C-e");
  ASSERT_TRUE(wait_text("exited with status 3; the draft is kept."));
  EXPECT_NE(input_box().find("edited by the script\n  second line"), std::string::npos) << screen();

  // /edit TEXT starts the editor from TEXT; the result is sent with Enter like any draft.
  fs::remove(fail);
  keys("C-u");  // readline: clear the line
  keys("C-u");
  line("/edit from the command");
  ASSERT_TRUE(wait_text("\u203A edited by the script\n"));
  EXPECT_EQ(slurp(seen), "from the command\n");
  keys("Enter");
  ASSERT_TRUE(wait_text("You\nedited by the script\nsecond line\n"));
  ASSERT_TRUE(wait_idle());
}

TEST_F(EditingTmuxTest, MissingEditorIsNamed) {
  start("--demo --max-tokens 20", "VISUAL=/no/such/editor");
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  type("keep this");
  keys("C-x");
  keys("C-e");
  ASSERT_TRUE(wait_text("editor '/no/such/editor' not found (set $VISUAL or $EDITOR); the draft is kept."));
  EXPECT_NE(input_box().find("\u203A keep this"), std::string::npos) << screen();
}

// Ctrl-J adds a line (no Alt needed); a draft taller than the input box says how many lines it hides.
TEST_F(EditingTmuxTest, CtrlJAddsLinesAndHiddenLinesAreCounted) {
  start("--demo --max-tokens 20");
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  type("line 1");
  for (int i = 2; i <= 12; ++i) {
    keys("C-j");
    type("line " + std::to_string(i));
  }
  // 30 rows: the box holds 8 of the 12 lines.
  ASSERT_TRUE(wait_text("4 more lines above"));
  std::string box = input_box();
  EXPECT_EQ(box.find("line 4\n"), std::string::npos) << box;
  EXPECT_NE(box.find("line 5\n"), std::string::npos) << box;
  EXPECT_NE(box.find("line 12\n"), std::string::npos) << box;
  keys("Enter");
  ASSERT_TRUE(wait_text("You\nline 1\nline 2\n"));
  ASSERT_TRUE(wait_for([](const std::string& x) { return x.find("more lines above") == std::string::npos; },
                       "the count to go with the draft"));
  ASSERT_TRUE(wait_idle());
}

// Up right after an answer (or /edit-last) puts the last message back; sending it replaces that
// exchange, as /undo and sending would. Later, Up is the history again.
TEST_F(EditingTmuxTest, UpEditsTheLastMessageAndResendingReplacesIt) {
  start("--demo --seed 3 --max-tokens 8");  // short replies: all three exchanges fit on the screen
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  line("first question");
  ASSERT_TRUE(wait_idle());
  keys("Up");
  ASSERT_TRUE(wait_text("\u203A first question"));
  EXPECT_NE(status_line().find("editing your last message"), std::string::npos) << status_line();
  type(" revised");
  keys("Enter");
  ASSERT_TRUE(wait_text("Removed the last exchange"));
  ASSERT_TRUE(wait_idle());
  std::string s = screen();
  EXPECT_NE(s.find("You\nfirst question revised\n"), std::string::npos) << s;
  EXPECT_EQ(count_of(s, "You\n"), 1u) << "the old exchange must be gone:\n" << s;

  line("second question");
  ASSERT_TRUE(
      wait_text("You\nsecond question\n"));  // the turn started: the bar's speeds are not the last turn's
  ASSERT_TRUE(wait_idle());
  line("/edit-last");
  ASSERT_TRUE(wait_text("\u203A second question"));
  keys("C-u");  // thrown away: the exchange stays
  line("third question");
  ASSERT_TRUE(wait_text("You\nthird question\n"));
  ASSERT_TRUE(wait_idle());
  s = screen();
  // The second exchange is still there (three in all). The first "Removed" notice is not checked
  // again here: depending on the random replies' lengths it may have scrolled off the top.
  EXPECT_EQ(count_of(s, "You\n"), 3u) << s;
  EXPECT_NE(s.find("You\nsecond question\n"), std::string::npos) << s;
}

// /file and @PATH attach a text file as a fenced block, its tokens shown before anything is sent;
// binary and oversized files are refused naming the file; '@' without a file is text.
TEST_F(EditingTmuxTest, AttachedFiles) {
  std::ofstream(root_ / "work" / "notes.txt") << "the secret word is pelican\n";
  std::ofstream(root_ / "work" / "blob.bin", std::ios::binary) << std::string("ab\0cd", 5);
  std::ofstream(root_ / "work" / "big.txt") << std::string(1100000, 'x');
  start("--demo --max-tokens 20");
  ASSERT_TRUE(wait_text("ctx 0/", 90));

  line("/file notes.txt");
  ASSERT_TRUE(wait_text("Attached notes.txt: "));
  EXPECT_NE(screen().find(" tokens. It goes with your next message"), std::string::npos) << screen();
  line("what is the word?");
  ASSERT_TRUE(wait_text("You\nwhat is the word?\n\n```notes.txt\nthe secret word is pelican\n```\n"));
  ASSERT_TRUE(wait_idle());

  // @PATH: the first Enter counts, the second sends.
  line("and here @notes.txt?");
  ASSERT_TRUE(wait_text("Attaching notes.txt ("));
  EXPECT_NE(screen().find("tokens). Press Enter to send."), std::string::npos) << screen();
  EXPECT_NE(input_box().find("\u203A and here @notes.txt?"), std::string::npos) << screen();
  EXPECT_EQ(count_of(screen(), "You\n"), 1u);
  keys("Enter");
  ASSERT_TRUE(wait_text("You\nand here @notes.txt?\n\n```notes.txt\n"));
  ASSERT_TRUE(wait_idle());

  line("/file blob.bin");
  ASSERT_TRUE(wait_text("blob.bin: byte 2: a binary file (NUL byte); only text can be attached"));
  line("/file big.txt");
  ASSERT_TRUE(wait_text("big.txt: too big to attach (1100000 bytes; at most 1048576)"));
  line("look at @blob.bin");
  ASSERT_TRUE(wait_text("blob.bin: byte 2: a binary file", 10));
  EXPECT_NE(input_box().find("\u203A look at @blob.bin"), std::string::npos) << "refused: kept in the input";
  keys("C-u");
  line("ask @nobody about @missing.txt");
  ASSERT_TRUE(wait_text("You\nask @nobody about @missing.txt\n"));  // plain text, sent at once
  ASSERT_TRUE(wait_idle());
}

// /copy and /copy code reach tmux as OSC 52 (set-clipboard on keeps them in a paste buffer).
TEST_F(EditingTmuxTest, CopyUsesOsc52) {
  write_code_session("Here:\n\n```python\nprint('hello')\nx = 1\n```\n\nand\n\n```sh\nls -l\n```\nDone.");
  start("--demo --max-tokens 20", "", "-u TMUX");  // outside tmux: a plain OSC 52 for tmux to take
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  run("tmux -L " + socket_ + " set -g set-clipboard on");
  line("/copy");
  ASSERT_TRUE(wait_text("No answer to copy yet."));
  line("/load code");
  ASSERT_TRUE(wait_text("Loaded 'code'"));
  line("/copy code");
  ASSERT_TRUE(wait_text("Copied its last code block (sh) to the clipboard: 6 bytes"));
  EXPECT_EQ(run("tmux -L " + socket_ + " show-buffer"), "ls -l\n");
  line("/copy");
  const std::string answer =
      "Here:\n\n```python\nprint('hello')\nx = 1\n```\n\nand\n\n```sh\nls -l\n```\nDone.";
  ASSERT_TRUE(
      wait_text("Copied the last answer to the clipboard: " + std::to_string(answer.size()) + " bytes"));
  EXPECT_EQ(run("tmux -L " + socket_ + " show-buffer"), answer);
}

// A long code line wraps with a marker at the right edge, its characters all kept; the block shows
// its language and colours its keywords; a table is drawn with aligned columns.
TEST_F(EditingTmuxTest, CodeBlocksWrapWithAMarkerAndShowTheirLanguage) {
  std::string long_line = "total = compute(";
  for (int i = 0; i < 14; ++i) long_line += "arg" + std::to_string(i) + ", ";
  long_line += "last)";  // 132 cells: two rows at 100 columns
  write_code_session("```python\n" + long_line + "\ndef f(): return 1\n```\n\n| fruit | n |\n|---|--:|\n" +
                     "| apple | 3 |\n| kiwi | 12 |\n");
  start("--demo --max-tokens 20");
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  line("/load code");
  ASSERT_TRUE(wait_text("Loaded 'code'"));
  auto lines = split_lines(screen());
  size_t label = lines.size();
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].starts_with("python")) label = i;
  }
  ASSERT_LT(label + 2, lines.size()) << screen();
  const std::string& first = lines[label + 1];
  ASSERT_TRUE(first.ends_with("\u21A9")) << screen();
  EXPECT_EQ(first.substr(0, 99), long_line.substr(0, 99));
  EXPECT_TRUE(lines[label + 2].starts_with(long_line.substr(99))) << screen();

  // Keywords get their own colour: an attribute change (SGR, ending in 'm') right before each.
  std::string coloured = run("tmux -L " + socket_ + " capture-pane -p -e");
  const size_t def_row = coloured.find("def\x1b");
  ASSERT_NE(def_row, std::string::npos) << coloured;
  EXPECT_EQ(coloured[def_row - 1], 'm');
  EXPECT_NE(coloured.find("mreturn\x1b", def_row), std::string::npos);

  const std::string s = screen();
  EXPECT_NE(s.find("fruit \u2502  n\n"), std::string::npos) << s;
  EXPECT_NE(s.find("apple \u2502  3\nkiwi  \u2502 12\n"), std::string::npos) << s;
}

// /effort in a long conversation: the next answer reads the whole prompt again, and the status bar
// counts the tokens done (each 128-token prefill chunk is slowed by the test knob to be seen).
TEST_F(EditingTmuxTest, RereadingThePromptShowsProgress) {
  {
    gptoss::chat::SessionFile file;
    auto& msgs = file.state.conversation.messages;
    std::string long_text;
    for (int i = 0; i < 120; ++i) long_text += "word" + std::to_string(i) + " and more ";
    msgs.push_back({"user", {}, {}, {}, {}, long_text});
    msgs.push_back({"assistant", {}, {}, "final", {}, "ok"});
    file.state.turns.push_back({0, {}});
    fs::create_directories(sessions_dir());
    gptoss::chat::save_session((sessions_dir() / "long.json").string(), file);
  }
  start("--demo --max-tokens 20", "GPT_OSS_CHAT_TEST_SLOW_PREFILL_MS=700");
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  line("/load long");
  ASSERT_TRUE(wait_text("Loaded 'long'"));
  line("/effort high");
  ASSERT_TRUE(wait_text("Reasoning effort: high"));
  unsigned long ctx = 0;  // what the next prompt takes before the message: the conversation read again
  {
    const std::string bar = status_line();
    const size_t at = bar.find("ctx ");
    ASSERT_NE(at, std::string::npos) << bar;
    ASSERT_EQ(std::sscanf(bar.c_str() + at, "ctx %lu/", &ctx), 1) << bar;
  }
  line("go on");
  unsigned long done = 0, total = 0;
  ASSERT_TRUE(wait_for(
      [&](const std::string&) {
        const std::string bar = status_line();
        const size_t at = bar.find("reading the prompt again: ");
        return at != std::string::npos &&
               std::sscanf(bar.c_str() + at, "reading the prompt again: %lu/%lu tokens", &done, &total) ==
                   2 &&
               done > 0 && done < total;
      },
      "the count of tokens read again"));
  EXPECT_EQ(done % 128, 0u) << "whole prefill chunks";
  EXPECT_EQ(total, ctx);
  EXPECT_GT(total, 3 * 128u) << "several chunks";
  ASSERT_TRUE(wait_idle(90));
}

}  // namespace
