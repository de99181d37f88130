// /inspect and /stats' expert usage in the real binary: the full-screen view in tmux at 80x24
// (open, move, switch measure, resize, close), and the text the plain chat prints, both with
// `--demo` (the tiny random model). The fixture is tmux_fixture.h's.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cwchar>
#include <filesystem>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e/tmux_fixture.h"

namespace fs = std::filesystem;

namespace {

using namespace gptoss::e2e;

// The chat's arguments in both runs, so that the plain run answers with the same tokens.
constexpr const char* kArgs = "--demo --seed 7 --max-tokens 30";
constexpr const char* kQuestion = "hello there";

class InspectTmuxTest : public TmuxTest {
 protected:
  InspectTmuxTest() : TmuxTest("inspect", 80, 24) {}

  // The plain chat fed `input` on stdin; stdout and stderr together.
  std::string plain(const std::string& input) const {
    return run("printf '%s' " + quote(input) + " | (cd " + quote((root_ / "work").string()) + " && " + env() +
               " " + quote(GPTOSS_BINARY) + " --plain " + kArgs + ") 2>&1; echo EXIT=$?");
  }
};

// The first line of `text` that starts with `prefix`, or "".
std::string line_starting(const std::string& text, const std::string& prefix) {
  for (const std::string& l : split_lines(text))
    if (l.rfind(prefix, 0) == 0) return l;
  return "";
}

// "token 3/27 ..." -> 27; 0 if absent.
int token_count(const std::string& text) {
  std::smatch m;
  static const std::regex kTitle("token [0-9]+/([0-9]+) ");
  return std::regex_search(text, m, kTitle) ? std::stoi(m[1]) : 0;
}

void expect_fits(const std::string& screen, int width, int height) {
  const auto rows = split_lines(screen);
  EXPECT_LE(static_cast<int>(rows.size()), height) << screen;
  for (const std::string& r : rows) EXPECT_LE(cells(r), width) << "row too wide: " << r;
}

TEST_F(InspectTmuxTest, PlainModePrintsTheTableTheDetailAndExpertUsage) {
  const std::string out =
      plain(std::string(kQuestion) + "\n/inspect\n/inspect 3\n/stats\n/stats experts\n/inspect 999\n");
  EXPECT_NE(out.find("EXIT=0"), std::string::npos) << out;
  // The table: a header with the demo model's three layers, then one row per reply token.
  ASSERT_NE(out.find("token  piece"), std::string::npos) << out;
  EXPECT_NE(line_starting(out, "token  piece").find("L0 L1 L2"), std::string::npos) << out;
  const int n = token_count(out);
  ASSERT_GT(n, 3) << out;
  EXPECT_NE(out.find("Last reply: " + std::to_string(n) + " tokens x 3 layers"), std::string::npos) << out;
  EXPECT_NE(line_starting(out, std::string(5 - std::to_string(n).size(), ' ') + std::to_string(n) + "  "), "")
      << "the last token's row:\n"
      << out;
  // Token 3's detail: every layer, with K = 4 experts, the sink share and the lens' top 5.
  EXPECT_NE(out.find("token 3/" + std::to_string(n) + " '"), std::string::npos) << out;
  for (const char* layer : {"L0  e", "L1  e", "L2  e"}) {
    const std::string l = line_starting(out, layer);
    ASSERT_NE(l, "") << out;
    EXPECT_NE(l.find("sink "), std::string::npos) << l;
    EXPECT_NE(l.find("lens '"), std::string::npos) << l;
    EXPECT_EQ(std::count(l.begin(), l.end(), '%'), 5) << "4 expert weights and a sink share: " << l;
  }
  EXPECT_NE(out.find("Expert usage over the session:"), std::string::npos) << out;
  EXPECT_NE(out.find("4 of 8 experts each per layer"), std::string::npos) << out;
  EXPECT_NE(out.find("Expert picks per layer over the session"), std::string::npos) << out;
  EXPECT_NE(line_starting(out, "L2  e"), "") << out;
  EXPECT_NE(out.find("/inspect 999: the last answer has " + std::to_string(n) + " tokens"), std::string::npos)
      << out;
}

TEST_F(InspectTmuxTest, ViewOpensMovesSurvivesAResizeAndCloses) {
  // The plain run first: its detail of token 3 is what the view must show after two moves right.
  const std::string reference = plain(std::string(kQuestion) + "\n/inspect 3\n");
  const std::string l1_line = line_starting(reference, "L1  e");
  ASSERT_NE(l1_line, "") << reference;
  const std::string l1_routing = l1_line.substr(0, l1_line.find("  lens"));  // what fits any width

  start(kArgs);
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  line(kQuestion);
  ASSERT_TRUE(wait_idle());
  const std::string chat = screen();

  line("/inspect");
  ASSERT_TRUE(wait_text("q/Esc close"));
  std::string s = screen();
  EXPECT_NE(s.find("/inspect: last reply"), std::string::npos) << s;
  EXPECT_NE(s.find("cells: top-1 expert"), std::string::npos) << s;
  const int n = token_count(s);
  ASSERT_GT(n, 3) << s;
  EXPECT_EQ(token_count(reference), n) << "the plain run answered differently:\n" << reference;
  EXPECT_NE(s.find("token 1/" + std::to_string(n)), std::string::npos) << s;
  EXPECT_NE(line_starting(s, "L0  e"), "") << "the detail pane:\n" << s;
  expect_fits(s, 80, 24);

  keys("Right");
  keys("l");
  keys("Down");
  ASSERT_TRUE(wait_text("token 3/" + std::to_string(n)));
  ASSERT_TRUE(wait_for([&](const std::string& x) { return x.find("lens '") != std::string::npos; },
                       "the logit lens of token 3"));
  s = screen();
  EXPECT_NE(s.find(l1_routing), std::string::npos) << "expected '" << l1_routing << "' in:\n" << s;
  // The title's id is the plain run's.
  const std::string title = line_starting(reference, "token 3/");
  const std::string id =
      title.substr(title.find("(id "), title.find(')', title.find("(id ")) - title.find("(id ") + 1);
  EXPECT_NE(s.find(id), std::string::npos) << id << " in:\n" << s;

  keys("m");
  ASSERT_TRUE(wait_text("cells: top-1 weight"));

  // A resize while open: the view is drawn again at the new size (columns: (60 - 3) / 3 tokens).
  run("tmux -L " + socket_ + " resize-window -x 60 -y 20");
  ASSERT_TRUE(wait_text("tokens 1-" + std::to_string(std::min(n, 19)) + " of " + std::to_string(n)));
  ASSERT_TRUE(wait_text("token 3/" + std::to_string(n)));
  expect_fits(screen(), 60, 20);
  run("tmux -L " + socket_ + " resize-window -x 80 -y 24");
  ASSERT_TRUE(wait_text("tokens 1-" + std::to_string(std::min(n, 25)) + " of " + std::to_string(n)));

  keys("Escape");
  ASSERT_TRUE(wait_for([](const std::string& x) { return x.find("q/Esc close") == std::string::npos; },
                       "the view to close"));
  s = screen();
  EXPECT_EQ(s.find("/inspect: last reply"), std::string::npos) << s;
  EXPECT_NE(s.find(kQuestion), std::string::npos) << s;
  const std::string bar = split_lines(s).back(), before = split_lines(chat).back();
  EXPECT_EQ(bar.substr(0, bar.find("mem ")), before.substr(0, before.find("mem "))) << "the status bar:\n"
                                                                                    << s;
  EXPECT_NE(line_starting(s, "\u203A"), "") << "the input line is back:\n" << s;
  expect_fits(s, 80, 24);

  line("/stats");
  ASSERT_TRUE(wait_text("Expert usage over the session"));
  EXPECT_NE(screen().find("L2  e"), std::string::npos) << screen();
  line("/stats experts");
  ASSERT_TRUE(wait_text("Expert picks per layer"));
  line("/quit");
  ASSERT_TRUE(
      wait_for([&](const std::string&) { return fs::exists(root_ / "exit"); }, "the program to exit"));
}

}  // namespace
