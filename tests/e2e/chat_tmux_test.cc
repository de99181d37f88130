// The real binary in a real terminal: tmux (private server socket, fixed 100x30 window) runs
// `gpt-oss-chat --demo` (the tiny random model, generated into a temp cache) with HOME and XDG_*
// in a temp dir. The test types like a user and reads the screen with capture-pane, polling with
// a timeout; it never relies on timings.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <clocale>
#include <cstdlib>
#include <cwchar>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "chat/session_store.h"
#include "e2e/tmux_fixture.h"
#include "reference/file_bytes.h"

namespace fs = std::filesystem;

namespace {

using namespace gptoss::e2e;

class ChatTmuxTest : public TmuxTest {
 protected:
  ChatTmuxTest() : TmuxTest("chat") {}
};

TEST_F(ChatTmuxTest, DemoSessionEndToEnd) {
  write_reasoning_session();
  start("--demo --seed 7 --max-tokens 60");

  // Start-up: the demo is labelled, the status bar shows the model and the context.
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  std::string s = screen();
  EXPECT_NE(s.find("RANDOM weights"), std::string::npos);
  EXPECT_NE(status_line().find("demo, random weights"), std::string::npos);
  EXPECT_NE(status_line().find("effort medium"), std::string::npos);
  EXPECT_TRUE(fs::exists(root_ / "cache" / "gpt-oss-chat" / "demo-model" / "config.json"));

  // Reasoning: collapsed to one line, Ctrl-T expands it, /think hides it again. Markdown is drawn.
  line("/load sky");
  ASSERT_TRUE(wait_text("Loaded 'sky'"));
  s = screen();
  EXPECT_NE(s.find("\u25B8 Reasoning"), std::string::npos) << s;
  EXPECT_EQ(s.find("Rayleigh scattering favours"), std::string::npos) << s;
  EXPECT_NE(s.find("Because of Rayleigh scattering."), std::string::npos) << s;  // no ** shown
  keys("C-t");
  ASSERT_TRUE(wait_text("Rayleigh scattering favours short wavelengths."));
  EXPECT_NE(screen().find("\u25BE Reasoning"), std::string::npos);
  line("/think");
  ASSERT_TRUE(wait_for([](const std::string& x) { return x.find("favours short") == std::string::npos; },
                       "the reasoning to collapse"));

  // A message: the reply streams in under the model's label and the status bar shows speeds.
  line("/new");
  ASSERT_TRUE(wait_text("New conversation"));
  line("hello there");
  ASSERT_TRUE(wait_text("You"));
  ASSERT_TRUE(wait_idle());
  s = screen();
  EXPECT_NE(s.find("hello there"), std::string::npos) << s;
  EXPECT_EQ(s.find("no readable reply"), std::string::npos) << "the random model's output must be shown:\n" << s;
  EXPECT_EQ(s.find("<|"), std::string::npos) << "harmony markup on screen:\n" << s;
  EXPECT_NE(status_line().find("decode"), std::string::npos);
  EXPECT_NE(status_line().find("mem "), std::string::npos);

  // /save, /new, /load: the conversation comes back, and the file is on disk.
  line("/save e2e");
  ASSERT_TRUE(wait_text("Saved as 'e2e'"));
  ASSERT_TRUE(fs::exists(sessions_dir() / "e2e.json"));
  {
    std::ifstream f(sessions_dir() / "e2e.json");
    std::string json((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    EXPECT_NE(json.find("hello there"), std::string::npos);
  }
  line("/new");
  ASSERT_TRUE(wait_for([](const std::string& x) { return x.find("hello there") == std::string::npos; },
                       "/new to clear the screen"));
  line("/load e2e");
  ASSERT_TRUE(wait_text("Loaded 'e2e'"));
  EXPECT_NE(screen().find("hello there"), std::string::npos);

  // The loaded conversation goes on, with a multi-line message: a bracketed paste keeps its
  // newlines, Alt-Enter adds one.
  {
    fs::path paste = root_ / "paste.txt";
    std::ofstream(paste) << "pasted one\npasted two";
    run("tmux -L " + socket_ + " load-buffer " + quote(paste.string()));
    run("tmux -L " + socket_ + " paste-buffer -p");  // -p: bracketed, as the chat asked for
  }
  keys("M-Enter");
  type("typed three");
  ASSERT_TRUE(wait_text("\u203A pasted one\n  pasted two\n  typed three\n"));
  keys("Enter");
  ASSERT_TRUE(wait_for([](const std::string& x) { return x.find("You\npasted one\npasted two\ntyped three\n") != std::string::npos; },
                       "the three-line message in the transcript"));
  ASSERT_TRUE(wait_idle());

  // Scrolling: PageUp shows how much is below; End (on an empty line) goes back down. /help makes
  // sure the transcript is taller than the window.
  line("/help");
  ASSERT_TRUE(wait_text("Ctrl-R searches history"));
  keys("PageUp");
  ASSERT_TRUE(wait_for([&](const std::string&) { return status_line().find(" more") != std::string::npos; },
                       "the scrolled-up indicator"));
  keys("End");
  ASSERT_TRUE(wait_for([&](const std::string&) { return status_line().find(" more") == std::string::npos; },
                       "the view back at the bottom"));

  // /quit: exit code 0, the conversation autosaved (it changed since /load), the terminal restored.
  line("/quit");
  ASSERT_EQ(wait_exit_line(), "EXIT=0");
  ASSERT_TRUE(wait_for([&](const std::string&) { return joined_screen().find("--session e2e") != std::string::npos; },
                       "the autosave message"));
  {
    std::ifstream history(root_ / "state" / "gpt-oss-chat" / "history");
    std::string h((std::istreambuf_iterator<char>(history)), std::istreambuf_iterator<char>());
    EXPECT_NE(h.find("hello there\n"), std::string::npos) << "readline history: " << h;
  }
  std::string flags = run("tmux -L " + socket_ + " display -p '#{alternate_on} #{mouse_any_flag} #{cursor_flag}'");
  EXPECT_EQ(flags, "0 0 1\n") << "alternate screen, mouse reporting, cursor visibility after exit";
  EXPECT_EQ(screen().find("ctx "), std::string::npos) << "the chat screen is gone";
}

// The rows of the screen fit the window, the separator, prompt and status bar are in place.
void expect_intact(const std::string& screen, size_t width, size_t height) {
  auto rows = split_lines(screen);
  ASSERT_EQ(rows.size(), height) << screen;
  for (const std::string& r : rows) EXPECT_LE(cells(r), static_cast<int>(width)) << r;
  EXPECT_NE(rows.back().find("ctx "), std::string::npos) << rows.back();
  EXPECT_EQ(rows[height - 3].find("\u2500\u2500\u2500\u2500"), 0u) << rows[height - 3];
  EXPECT_EQ(rows[height - 2].find("\u203A"), 0u) << "the prompt: " << rows[height - 2];
}

TEST_F(ChatTmuxTest, ResizeAndCtrlCMidReply) {
  // The test knob holds the reply after its first text until Ctrl-C: the turn is still running
  // when the window changes and Ctrl-C comes, however fast the engine is.
  start("--demo --seed 5 --max-tokens 6000", "GPT_OSS_CHAT_TEST_HOLD_REPLY=1");
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  line("tell me a long story");
  // Streaming: the reply's first words are on screen while the turn runs.
  ASSERT_TRUE(wait_for(
      [&](const std::string& x) {
        auto rows = split_lines(x);
        for (size_t i = 0; i + 1 < rows.size(); ++i) {
          if (rows[i] == "demo (random weights)" && !rows[i + 1].empty() && is_busy()) return true;
        }
        return false;
      },
      "reply text while the turn runs"));

  // A notice asked for while the reply streams waits below it; so does a message, in the input line.
  line("/think");
  ASSERT_TRUE(wait_for(
      [&](const std::string&) { return status_line().find("shown below the answer") != std::string::npos; },
      "the deferred-notice hint"));
  EXPECT_EQ(screen().find("Reasoning is shown"), std::string::npos) << "not inside the streaming reply:\n" << screen();
  line("next question");
  ASSERT_TRUE(
      wait_for([&](const std::string&) { return status_line().find("Still answering") != std::string::npos; },
               "the still-answering hint"));
  keys("End");  // any key clears the hint, so the bar shows the activity again
  ASSERT_TRUE(
      wait_for([&](const std::string&) { return status_line().find("Still answering") == std::string::npos; },
               "the hint to clear"));

  run("tmux -L " + socket_ + " resize-window -x 72 -y 24");
  ASSERT_TRUE(wait_for([](const std::string& x) { return split_lines(x).size() == 24; }, "the smaller window"));
  ASSERT_TRUE(wait_for([&](const std::string& x) { return split_lines(x).back().find("ctx ") != std::string::npos; },
                       "the redraw at 72x24"));
  // After the redraw: until then tmux shows the old 100-column bar cut at 72, activity and all.
  ASSERT_TRUE(wait_for([&](const std::string&) { return is_busy(); }, "the busy bar at 72x24"))
      << "the reply ended before Ctrl-C although the test knob holds it";
  expect_intact(screen(), 72, 24);
  EXPECT_NE(screen().find("tell me a long story"), std::string::npos);

  // Ctrl-C stops the answer, which is kept and marked; the held notice follows it.
  keys("C-c");
  ASSERT_TRUE(wait_text("interrupted"));
  ASSERT_TRUE(wait_for([&](const std::string&) { return !is_busy(); }, "the turn to stop"));
  EXPECT_EQ(status_line().find("Still answering"), std::string::npos) << status_line();
  EXPECT_NE(split_lines(screen())[22].find("next question"), std::string::npos) << screen();
  ASSERT_TRUE(wait_text("Reasoning is shown"));
  keys("C-u");
  expect_intact(screen(), 72, 24);

  // Back to the first size: still intact, and the chat goes on.
  run("tmux -L " + socket_ + " resize-window -x 100 -y 30");
  ASSERT_TRUE(wait_for([](const std::string& x) { return split_lines(x).size() == 30; }, "the larger window"));
  ASSERT_TRUE(wait_for([&](const std::string& x) { return split_lines(x).back().find("ctx ") != std::string::npos; },
                       "the redraw at 100x30"));
  expect_intact(screen(), 100, 30);
  EXPECT_NE(screen().find("interrupted"), std::string::npos);

  keys("C-d");
  ASSERT_EQ(wait_exit_line(), "EXIT=0");
  // The interrupted reply was kept: the autosaved session holds it.
  ASSERT_TRUE(fs::exists(sessions_dir()));
  ASSERT_FALSE(fs::is_empty(sessions_dir()));
  fs::path session;  // the .json (its KV cache file, .kv, lies beside it)
  for (const auto& e : fs::directory_iterator(sessions_dir()))
    if (e.path().extension() == ".json") session = e.path();
  ASSERT_FALSE(session.empty());
  std::ifstream saved(session);
  std::string json((std::istreambuf_iterator<char>(saved)), std::istreambuf_iterator<char>());
  EXPECT_NE(json.find("tell me a long story"), std::string::npos);
  EXPECT_NE(json.find("\"interrupted\": true"), std::string::npos) << json.substr(0, 2000);
}

TEST_F(ChatTmuxTest, CtrlCTwiceAtIdlePromptQuits) {
  start("--demo --seed 7");
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  type("some draft");
  keys("C-c");
  ASSERT_TRUE(wait_text("Press Ctrl-C again to quit"));
  EXPECT_EQ(screen().find("some draft"), std::string::npos) << "the first Ctrl-C clears the line";
  keys("C-c");
  ASSERT_EQ(wait_exit_line(), "EXIT=0");
  EXPECT_EQ(run("tmux -L " + socket_ + " display -p '#{alternate_on}'"), "0\n");
  // Nothing was said: nothing autosaved.
  EXPECT_FALSE(fs::exists(sessions_dir()) && !fs::is_empty(sessions_dir()));
}

// The model file truncated while the chat runs: the next step reads past its new end (SIGBUS,
// which used to kill the chat with the terminal left raw). The chat says the file changed,
// restores the terminal and exits 1.
TEST_F(ChatTmuxTest, ModelFileTruncatedWhileInUseEndsTheChatWithExitOne) {
  start("--demo --seed 3 --max-tokens 6000 --session kept", "GPT_OSS_CHAT_TEST_HOLD_REPLY=1");
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  line("first question");
  ASSERT_TRUE(wait_for(
      [&](const std::string& x) { return x.find("demo (random weights)") != std::string::npos && is_busy(); },
      "the reply, held by the test knob"));
  keys("C-c");
  // Until the turn has ended (the reply marked, no "stopping" in the bar) the worker may still
  // decode: truncating then fails that turn, and a message typed then is held back.
  ASSERT_TRUE(wait_text("interrupted"));
  ASSERT_TRUE(wait_for(
      [&](const std::string&) { return !is_busy() && status_line().find("stopping") == std::string::npos; },
      "the turn to stop"));

  const fs::path weights = root_ / "cache" / "gpt-oss-chat" / "demo-model" / "model.safetensors";
  ASSERT_TRUE(fs::exists(weights));
  uint64_t header = 0;
  {
    std::ifstream in(weights, std::ios::binary);
    unsigned char length[8] = {};
    in.read(reinterpret_cast<char*>(length), 8);
    for (int i = 7; i >= 0; --i) header = (header << 8) | length[i];
  }
  fs::resize_file(weights, 8 + header + 64);  // the tensors are gone
  line("second question");
  ASSERT_EQ(wait_exit_line(), "EXIT=1");
  EXPECT_EQ(run("tmux -L " + socket_ + " display -p '#{alternate_on} #{mouse_any_flag} #{cursor_flag}'"),
            "0 0 1\n");
  // The message wraps at the window's width, where a space may vanish: compare without spaces.
  auto squeezed = [](std::string text) {
    std::erase_if(text, [](char c) { return c == ' ' || c == '\n'; });
    return text;
  };
  EXPECT_NE(squeezed(screen()).find(squeezed(weights.string() + ": the model file changed while in use")),
            std::string::npos)
      << screen();
  // The conversation was kept: the autosave wrote it under the --session name before the exit.
  const fs::path kept = sessions_dir() / "kept.json";
  ASSERT_TRUE(fs::exists(kept)) << screen();
  std::ifstream saved(kept);
  const std::string json((std::istreambuf_iterator<char>(saved)), std::istreambuf_iterator<char>());
  EXPECT_NE(json.find("first question"), std::string::npos) << json.substr(0, 2000);
}

TEST_F(ChatTmuxTest, SigtermRestoresTheTerminal) {
  start("--demo --seed 7");
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  EXPECT_EQ(run("tmux -L " + socket_ + " display -p '#{alternate_on} #{mouse_any_flag}'"), "1 1\n");
  // The pane runs `sh -c '...'`; the chat is its child.
  std::string shell_pid = run("tmux -L " + socket_ + " display -p '#{pane_pid}'");
  std::string pid = run("pgrep -P " + shell_pid);
  ASSERT_FALSE(pid.empty());
  run("kill -TERM " + pid);
  ASSERT_EQ(wait_exit_line(), "EXIT=143");  // 128 + SIGTERM
  EXPECT_EQ(run("tmux -L " + socket_ + " display -p '#{alternate_on} #{mouse_any_flag} #{cursor_flag}'"), "0 0 1\n");
}

// Whether the screen (capture-pane -e: with attributes) sets a foreground or background colour.
bool has_colour(const std::string& screen_with_attributes) {
  for (size_t i = screen_with_attributes.find("\x1b["); i != std::string::npos;
       i = screen_with_attributes.find("\x1b[", i + 2)) {
    size_t end = screen_with_attributes.find('m', i);
    if (end == std::string::npos) break;
    std::stringstream params(screen_with_attributes.substr(i + 2, end - i - 2));
    std::string p;
    while (std::getline(params, p, ';')) {
      int n = std::atoi(p.c_str());
      if ((n >= 30 && n <= 38) || (n >= 40 && n <= 48) || (n >= 90 && n <= 97) || (n >= 100 && n <= 107)) return true;
    }
  }
  return false;
}

TEST_F(ChatTmuxTest, NoColorIsHonoured) {
  start("--demo --seed 7", "NO_COLOR=1");
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  std::string plain = run("tmux -L " + socket_ + " capture-pane -p -e");
  EXPECT_FALSE(has_colour(plain)) << plain;
  EXPECT_NE(plain.find("RANDOM weights"), std::string::npos);
  line("/quit");
  ASSERT_TRUE(wait_for([&](const std::string&) { return fs::exists(root_ / "exit"); }, "the program to exit"));
  run("tmux -L " + socket_ + " kill-server");

  socket_ += "-colour";  // a fresh server: the old one may still be shutting down
  fs::remove(root_ / "exit");
  start("--demo --seed 7");  // the same screen with colours, so the check above can fail
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  EXPECT_TRUE(has_colour(run("tmux -L " + socket_ + " capture-pane -p -e")));
}

TEST_F(ChatTmuxTest, PlainModeWhenNotATerminal) {
  // No tmux: stdin and stdout are pipes; --plain makes it the line-by-line chat.
  const std::string env = plain_env();
  std::string out = run("printf 'hi\\n/effort high\\n/bogus\\n' | (" + env + " " + quote(GPTOSS_BINARY) +
                        " --plain --demo --seed 3 --max-tokens 16) 2>&1; echo EXIT=$?");
  EXPECT_NE(out.find("random weights"), std::string::npos) << out;
  EXPECT_NE(out.find("[effort high]"), std::string::npos) << out;
  EXPECT_NE(out.find("unknown command /bogus"), std::string::npos) << out;
  EXPECT_EQ(out.find("\x1b["), std::string::npos) << "no escape sequences without a terminal";
  EXPECT_NE(out.find("EXIT=0"), std::string::npos) << out;

  // No model and no terminal: the help text on stderr, exit 1.
  out = run("echo hi | (" + env + " " + quote(GPTOSS_BINARY) + ") 2>&1; echo EXIT=$?");
  EXPECT_NE(out.find("hf download openai/gpt-oss-20b --local-dir gpt-oss-20b"), std::string::npos) << out;
  EXPECT_NE(out.find("gpt-oss-chat --demo"), std::string::npos) << out;
  EXPECT_NE(out.find("EXIT=1"), std::string::npos) << out;
}

// Ctrl-C while an older version wrote the demo model left a truncated checkpoint: the next --demo
// rebuilds it instead of failing on it.
TEST_F(ChatTmuxTest, BrokenDemoModelIsRebuilt) {
  const fs::path demo = root_ / "cache" / "gpt-oss-chat" / "demo-model";
  fs::create_directories(demo);
  std::ofstream(demo / "config.json") << "{\"num_hidden_layers\": 3}";
  std::ofstream(demo / "model.safetensors") << "trunc";
  std::string out = run("echo hi | (" + plain_env() + " " + quote(GPTOSS_BINARY) +
                        " --demo --seed 3 --max-tokens 8) 2>&1; echo EXIT=$?");
  EXPECT_NE(out.find("EXIT=0"), std::string::npos) << out;
  EXPECT_GT(fs::file_size(demo / "model.safetensors"), 1000u);
}

// Counts the non-overlapping occurrences of `what` in `text`.
size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t i = text.find(what); i != std::string::npos; i = text.find(what, i + what.size())) ++n;
  return n;
}

using gptoss::testing::slurp;

// A message refused as too long leaves the transcript as it was and stays in the input line; /undo
// then removes the exchange the screen shows as last.
TEST_F(ChatTmuxTest, RefusedMessageStaysInTheInputLine) {
  start("--demo --seed 7 --context 256 --max-tokens 16");
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  line("hello there");
  ASSERT_TRUE(wait_idle());
  std::string long_message;
  for (int i = 0; i < 120; ++i) long_message += "lengthy" + std::to_string(i) + " ";
  line(long_message);
  ASSERT_TRUE(wait_text("too long for the context window"));
  std::string s = screen();
  EXPECT_EQ(count(s, "\nYou\n"), 1u) << "the refused message is not in the transcript:\n" << s;
  EXPECT_EQ(s.find("lengthy0 "), std::string::npos) << "only the end of the draft is in view:\n" << s;
  EXPECT_NE(split_lines(s)[split_lines(s).size() - 2].find("lengthy119"), std::string::npos)
      << "the text is back in the input line:\n"
      << s;
  keys("C-u");
  line("/undo");
  ASSERT_TRUE(wait_text("Removed the last exchange (\"hello there\")"));
  EXPECT_EQ(screen().find("\nYou\n"), std::string::npos) << screen();
  line("/quit!");
  ASSERT_EQ(wait_exit_line(), "EXIT=0");
}

// /save never replaces another conversation silently; saving this one again is silent; a quit whose
// autosave fails stays in the chat and says how to save elsewhere.
TEST_F(ChatTmuxTest, SavingNeverLosesAConversation) {
  write_reasoning_session();
  start("--demo --seed 7 --max-tokens 8");
  ASSERT_TRUE(wait_text("ctx 0/", 90));
  line("hello there");
  ASSERT_TRUE(wait_idle());

  line("/save sky");
  ASSERT_TRUE(wait_text("/save! sky replaces it"));
  EXPECT_NE(slurp(sessions_dir() / "sky.json").find("why is the sky blue"), std::string::npos);
  line("/save! sky");
  ASSERT_TRUE(wait_text("Saved as 'sky'"));
  EXPECT_NE(slurp(sessions_dir() / "sky.json").find("hello there"), std::string::npos);
  line("/save sky");  // the same conversation: no question
  ASSERT_TRUE(
      wait_for([](const std::string& x) { return count(x, "Saved as 'sky'") == 2; }, "the second save"));
  EXPECT_EQ(count(screen(), "replaces it"), 1u);

  // A path: written as given, not as x.json.json in the sessions folder.
  line("/save x.json");
  ASSERT_TRUE(wait_text("Saved as 'x.json'"));
  EXPECT_NE(slurp(root_ / "work" / "x.json").find("hello there"), std::string::npos);
  EXPECT_FALSE(fs::exists(sessions_dir() / "x.json.json"));

  // The autosave on /quit fails (its file is now a folder): the chat stays open.
  line("more words");
  ASSERT_TRUE(wait_idle());
  fs::remove(root_ / "work" / "x.json");
  fs::create_directories(root_ / "work" / "x.json");
  line("/quit");
  ASSERT_TRUE(wait_text("Not quitting"));
  EXPECT_NE(status_line().find("ctx "), std::string::npos) << "still in the chat";
  const fs::path elsewhere = root_ / "elsewhere.json";
  line("/save " + elsewhere.string());
  ASSERT_TRUE(wait_text("Saved as"));
  line("/quit");
  ASSERT_EQ(wait_exit_line(), "EXIT=0");
  EXPECT_NE(slurp(elsewhere).find("more words"), std::string::npos);
  // The farewell names a command that works here: the binary's path (it is not on $PATH) and --demo.
  const std::string resume = std::string(GPTOSS_BINARY) + " --demo --session " + elsewhere.string();
  ASSERT_TRUE(wait_for([&](const std::string&) { return joined_screen().find(resume) != std::string::npos; },
                       "the command that resumes"));
}

// Flags given with --session override what the session saved; /set changes and lists the
// settings; a demo session does not keep the demo's reply cap in its file.
TEST_F(ChatTmuxTest, FlagsOverrideSavedSettings) {
  write_reasoning_session();  // saved with the defaults: effort medium, 2048 tokens
  const std::string chat = plain_env() + " " + quote(GPTOSS_BINARY) + " --plain --demo --seed 3 ";
  std::string out = run("printf '/set\\n/set top-k 40\\n/set\\n/set top-p 7\\n' | (" + chat +
                        "--session sky --effort high --max-tokens 9 --temperature 0.5) 2>&1; echo EXIT=$?");
  EXPECT_NE(out.find("max-tokens   9 "), std::string::npos) << out;
  EXPECT_NE(out.find("temperature  0.5 "), std::string::npos) << out;
  EXPECT_NE(out.find("effort       high"), std::string::npos) << out;
  EXPECT_NE(out.find("top-k        40 "), std::string::npos) << out;
  EXPECT_NE(out.find("/set top-p: expected a number above 0"), std::string::npos) << out;
  EXPECT_NE(out.find("EXIT=0"), std::string::npos) << out;

  // The demo caps replies at 80 tokens; the saved session keeps the normal budget.
  out = run("printf 'hi\\n/save capped\\n' | (" + chat + ") 2>&1; echo EXIT=$?");
  EXPECT_NE(out.find("saved as 'capped'"), std::string::npos) << out;
  const std::string json = slurp(sessions_dir() / "capped.json");
  EXPECT_NE(json.find("\"max_new_tokens\": 2048"), std::string::npos) << json.substr(0, 1500);
}

// `cmake --install` puts the program in PREFIX/bin and the vocabulary in PREFIX/share/gpt-oss-chat,
// where the installed program looks first (a damaged copy there is what it reports).
TEST_F(ChatTmuxTest, InstalledProgramFindsItsVocabulary) {
  const fs::path build = fs::path(GPTOSS_BINARY).parent_path();
  const fs::path prefix = root_ / "prefix";
  std::string out =
      run("cmake --install " + quote(build.string()) + " --prefix " + quote(prefix.string()) + " 2>&1");
  const fs::path exe = prefix / "bin" / "gpt-oss-chat";
  const fs::path vocab = prefix / "share" / "gpt-oss-chat" / "o200k_base.tiktoken";
  ASSERT_TRUE(fs::exists(exe)) << out;
  ASSERT_TRUE(fs::exists(vocab)) << out;
  out = run("cd / && echo hi | " + quote(exe.string()) + " tokenize 2>&1; echo EXIT=$?");
  EXPECT_NE(out.find("EXIT=0"), std::string::npos) << out;
  std::ofstream(vocab, std::ios::trunc) << "not a vocabulary\n";
  out = run("cd / && echo hi | " + quote(exe.string()) + " tokenize 2>&1; echo EXIT=$?");
  EXPECT_NE(out.find(vocab.string()), std::string::npos) << out;
  EXPECT_NE(out.find("EXIT=1"), std::string::npos) << out;
}

// Piped stdin is one prompt (its '/' lines are text); a prompt argument answers once; the piped
// text follows the prompt argument.
TEST_F(ChatTmuxTest, OneShotPrompts) {
  const std::string chat = plain_env() + " " + quote(GPTOSS_BINARY) + " --demo --seed 3 --max-tokens 8 ";
  std::string out =
      run("printf 'line one\\n/effort high\\n' | (" + chat + "--session piped) 2>&1; echo EXIT=$?");
  EXPECT_NE(out.find("EXIT=0"), std::string::npos) << out;
  EXPECT_EQ(out.find("[effort"), std::string::npos) << "a '/' line in a pipe is text:\n" << out;
  std::string json = slurp(sessions_dir() / "piped.json");
  EXPECT_EQ(count(json, "\"role\": \"user\""), 1u) << json.substr(0, 2000);
  EXPECT_NE(json.find("line one\\n/effort high"), std::string::npos) << json.substr(0, 2000);

  out = run("(" + chat + "--session asked 'why is the sky blue?') </dev/null 2>&1; echo EXIT=$?");
  EXPECT_NE(out.find("EXIT=0"), std::string::npos) << out;
  EXPECT_NE(slurp(sessions_dir() / "asked.json").find("\"why is the sky blue?\""), std::string::npos);

  out = run("printf 'the file\\n' | (" + chat + "--session both summarize) 2>&1; echo EXIT=$?");
  EXPECT_NE(out.find("EXIT=0"), std::string::npos) << out;
  EXPECT_NE(slurp(sessions_dir() / "both.json").find("summarize\\n\\nthe file"), std::string::npos);

  // Nothing to ask, a typo of a subcommand, flags that cannot work: usage errors before loading.
  out = run("(" + chat + ") </dev/null 2>&1; echo EXIT=$?");
  EXPECT_NE(out.find("nothing to answer"), std::string::npos) << out;
  EXPECT_NE(out.find("EXIT=2"), std::string::npos) << out;
  out = run(quote(GPTOSS_BINARY) + " generat </dev/null 2>&1; echo EXIT=$?");
  EXPECT_NE(out.find("did you mean 'generate'"), std::string::npos) << out;
  EXPECT_NE(out.find("EXIT=2"), std::string::npos) << out;
  out = run(plain_env() + " " + quote(GPTOSS_BINARY) + " --demo --context 16 hi 2>&1; echo EXIT=$?");
  EXPECT_NE(out.find("--context 16 is too small (expected at least 256"), std::string::npos) << out;
  EXPECT_NE(out.find("EXIT=2"), std::string::npos) << out;
  out = run(plain_env() + " " + quote(GPTOSS_BINARY) +
            " --demo --context 300 --max-tokens 400 hi 2>&1; echo EXIT=$?");
  EXPECT_NE(out.find("--context 300 leaves no room for --max-tokens 400"), std::string::npos) << out;
  EXPECT_NE(out.find("EXIT=2"), std::string::npos) << out;
  // --demo's own reply budget (80 tokens) fits a small context; the usual default would not.
  out = run(plain_env() + " " + quote(GPTOSS_BINARY) + " --demo --context 256 hi 2>&1; echo EXIT=$?");
  EXPECT_NE(out.find("EXIT=0"), std::string::npos) << out;
}

// TERM=dumb (or no terminfo entry): the line-by-line chat with a notice, not a blank screen.
TEST_F(ChatTmuxTest, DumbTerminalGetsThePlainChat) {
  start("--demo --seed 3 --max-tokens 8", "TERM=dumb");
  ASSERT_TRUE(wait_text("full-screen chat cannot run", 90));
  line("hello there");
  ASSERT_TRUE(wait_text("hello there"));
  keys("C-d");
  ASSERT_EQ(wait_exit_line(), "EXIT=0");
  EXPECT_EQ(run("tmux -L " + socket_ + " display -p '#{alternate_on}'"), "0\n");
}

}  // namespace
