// Saved sessions from the shell: one rule for a session argument in every subcommand (a NAME in
// the sessions folder; a path when it has a '/' or ends in .json), and the `sessions` subcommand.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "chat/session_store.h"
#include "cli_run.h"

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

}  // namespace
}  // namespace gptoss::ui
