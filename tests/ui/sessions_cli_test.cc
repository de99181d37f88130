// Saved sessions from the shell: one rule for a session argument in every subcommand (a NAME in
// the sessions folder; a path when it has a '/' or ends in .json), and the `sessions` subcommand.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "chat/session_store.h"
#include "reference/cli_run.h"

namespace gptoss::ui {
namespace {

namespace fs = std::filesystem;
using testing::CliHome;
using testing::CliRun;

class SessionsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "gptoss-sessions-cli-XXXXXX").string();
    home_ = std::make_unique<CliHome>(fs::path(::mkdtemp(tmpl.data())));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(home_->root, ec);
  }
  // A session whose user says `question` and whose assistant reasons, calls a tool and answers.
  void write_session(const fs::path& path, const std::string& question) const {
    chat::SessionFile file;
    auto& msgs = file.state.conversation.messages;
    msgs.push_back({"user", {}, {}, {}, {}, question});
    msgs.push_back({"assistant", {}, {}, "analysis", {}, "Rayleigh scattering favours short wavelengths."});
    msgs.push_back(
        {"assistant", {}, "functions.lookup", "commentary", "<|constrain|>json", "{\"q\": \"sky\"}"});
    msgs.push_back({"tool", "functions.lookup", "assistant", "commentary", {}, "{\"answer\": \"blue\"}"});
    msgs.push_back({"assistant", {}, {}, "final", {}, "Because of **Rayleigh** scattering."});
    file.state.turns.push_back({0, {}});
    fs::create_directories(path.parent_path());
    chat::save_session(path.string(), file);
  }
  fs::path saved(const std::string& name) const { return home_->sessions() / (name + ".json"); }

  std::unique_ptr<CliHome> home_;
};

TEST_F(SessionsCliTest, ANameMeansTheSavedSessionEvenIfAFileHereHasThatName) {
  write_session(saved("trip"), "from the sessions folder");
  write_session(home_->root / "work" / "trip", "from the current folder");
  const CliRun by_name = home_->run({"render", "--session", "trip"});
  ASSERT_EQ(by_name.exit_code, 0) << by_name.err;
  EXPECT_NE(by_name.out.find("from the sessions folder"), std::string::npos) << by_name.out;

  const CliRun by_path = home_->run({"render", "--session", "./trip"});
  ASSERT_EQ(by_path.exit_code, 0) << by_path.err;
  EXPECT_NE(by_path.out.find("from the current folder"), std::string::npos) << by_path.out;
}

TEST_F(SessionsCliTest, ABadNameIsAUsageErrorEverywhere) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"render", "--session", "has space"},
        std::vector<std::string>{"generate", "--session", "has space", "--prompt", "hi", "--demo"},
        std::vector<std::string>{"chat", "--session", "has space", "--demo", "hi"}}) {
    const CliRun r = home_->run(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("--session: 'has space' is not a session name"), std::string::npos) << r.err;
  }
}

TEST_F(SessionsCliTest, ListsNameUpdatedSizeAndTitle) {
  const CliRun empty = home_->run({"sessions"});
  EXPECT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_NE(empty.out.find("No saved sessions"), std::string::npos) << empty.out;

  write_session(saved("sky"), "why is the sky blue?");
  write_session(saved("sea"), "and the sea?");
  std::ofstream(saved("broken")) << "{";
  const CliRun r = home_->run({"sessions"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = [&] {
    std::vector<std::string> v;
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);) v.push_back(l);
    return v;
  }();
  ASSERT_EQ(lines.size(), 4u) << r.out;
  EXPECT_EQ(lines[0].rfind("NAME", 0), 0u) << r.out;
  for (const char* column : {"UPDATED", "SIZE", "TITLE"}) EXPECT_NE(lines[0].find(column), std::string::npos);
  char size[32];  // a session file of this size is between 1 KiB and 1 MiB
  ASSERT_GT(fs::file_size(saved("sky")), 1024u);
  std::snprintf(size, sizeof size, "%.1f KiB", fs::file_size(saved("sky")) / 1024.0);
  bool sky = false, broken = false;
  for (const std::string& l : lines) {
    if (l.rfind("sky ", 0) == 0) {
      sky = true;
      EXPECT_NE(l.find("why is the sky blue?"), std::string::npos) << l;
      EXPECT_NE(l.find(size), std::string::npos) << l;
    }
    if (l.rfind("broken ", 0) == 0) broken = l.find("(unreadable:") != std::string::npos;
  }
  EXPECT_TRUE(sky) << r.out;
  EXPECT_TRUE(broken) << r.out;
  EXPECT_EQ(home_->run({"sessions", "list"}).out, r.out);
}

TEST_F(SessionsCliTest, ShowPrintsTheConversationAsMarkdown) {
  write_session(saved("sky"), "why is the sky blue?");
  const CliRun r = home_->run({"sessions", "show", "sky"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* part : {"# why is the sky blue?\n", "## User\n\nwhy is the sky blue?\n", "## Assistant\n",
                           "<details>\n<summary>Reasoning</summary>\n\nRayleigh scattering favours short",
                           "Call to `functions.lookup`:\n\n```json\n{\"q\": \"sky\"}\n```\n",
                           "Because of **Rayleigh** scattering.\n"}) {
    EXPECT_NE(r.out.find(part), std::string::npos) << part << " in:\n" << r.out;
  }
  const CliRun by_path = home_->run({"sessions", "show", saved("sky").string()});
  EXPECT_EQ(by_path.out, r.out);

  const CliRun missing = home_->run({"sessions", "show", "nope"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no session 'nope'"), std::string::npos) << missing.err;
  EXPECT_TRUE(missing.out.empty());
}

TEST_F(SessionsCliTest, RenameMovesTheSessionAndItsCacheButNeverReplacesOne) {
  write_session(saved("sky"), "why is the sky blue?");
  write_session(saved("sea"), "and the sea?");
  std::ofstream(home_->sessions() / "sky.kv") << "kv";
  const std::string sea_before = testing::slurp(saved("sea"));

  const CliRun refused = home_->run({"sessions", "rename", "sky", "sea"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("already holds another session"), std::string::npos) << refused.err;
  EXPECT_EQ(testing::slurp(saved("sea")), sea_before);
  EXPECT_TRUE(fs::exists(saved("sky")));

  const CliRun r = home_->run({"sessions", "rename", "sky", "blue"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(saved("sky")));
  EXPECT_FALSE(fs::exists(home_->sessions() / "sky.kv"));
  EXPECT_EQ(testing::slurp(home_->sessions() / "blue.kv"), "kv");
  EXPECT_EQ(chat::load_session(saved("blue").string()).title, "why is the sky blue?");

  EXPECT_EQ(home_->run({"sessions", "rename", "sky", "other"}).exit_code, 1);  // gone now
}

TEST_F(SessionsCliTest, DeleteRemovesTheFileAndItsCache) {
  write_session(saved("sky"), "why is the sky blue?");
  write_session(saved("sea"), "and the sea?");
  std::ofstream(home_->sessions() / "sky.kv") << "kv";
  const CliRun r = home_->run({"sessions", "delete", "sky"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(saved("sky")));
  EXPECT_FALSE(fs::exists(home_->sessions() / "sky.kv"));
  EXPECT_TRUE(fs::exists(saved("sea")));
  EXPECT_NE(r.out.find("sky.json"), std::string::npos) << r.out;

  const CliRun again = home_->run({"sessions", "delete", "sky"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("no session 'sky'"), std::string::npos) << again.err;
}

TEST_F(SessionsCliTest, BadArgumentsAreUsageErrors) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"sessions", "frob"}, std::vector<std::string>{"sessions", "show"},
        std::vector<std::string>{"sessions", "delete", "a", "b"},
        std::vector<std::string>{"sessions", "rename", "a"},
        std::vector<std::string>{"sessions", "show", "has space"},
        std::vector<std::string>{"sessions", "--nope"}}) {
    const CliRun r = home_->run(args);
    EXPECT_EQ(r.exit_code, 2) << args[1] << ": " << r.err;
    EXPECT_NE(r.err.find("gpt-oss-chat sessions"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace gptoss::ui
