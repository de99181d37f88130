// Saved sessions and the transcript on screen, end to end, in tmux around `gpt-oss-chat --demo`
// (the tiny random model, generated into a temp cache); the fixture is tmux_fixture.h's.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "chat/session_store.h"
#include "e2e/tmux_fixture.h"
#include "reference/file_bytes.h"

namespace fs = std::filesystem;

namespace {

using namespace gptoss::e2e;

class SessionsTmuxTest : public TmuxTest {
 protected:
  SessionsTmuxTest() : TmuxTest("sessions") {}
};

using gptoss::testing::slurp;

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
