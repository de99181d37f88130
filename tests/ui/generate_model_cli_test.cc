// `gpt-oss-chat generate` finds its model as the chat does ($GPT_OSS_MODEL, the Hugging Face
// cache, ./gpt-oss-20b) and takes --demo; without any model it says where it looked (exit 1).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "reference/cli_run.h"
#include "reference/temp_dir.h"

namespace gptoss::ui {
namespace {

namespace fs = std::filesystem;
using testing::CliHome;
using testing::CliRun;
using testing::shell_quoted;

class GenerateModelCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_root_ = new gptoss::testing::TempDir;
    const std::string cmd = shell_quoted(GPTOSS_BINARY) + " make-test-model " +
                            shell_quoted((model_root_->path() / "tiny").string()) + " --preset tiny >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  static void TearDownTestSuite() {
    delete model_root_;  // and its folder
  }
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "gptoss-generate-home-XXXXXX").string();
    home_ = std::make_unique<CliHome>(fs::path(::mkdtemp(tmpl.data())));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(home_->root, ec);
  }
  static std::vector<std::string> generate(std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"generate", "--prompt",  "Hello", "--seed",    "5",  "--max-tokens",
                                     "8",        "--threads", "1",     "--context", "512"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }
  static fs::path tiny() { return model_root_->path() / "tiny"; }

  static gptoss::testing::TempDir* model_root_;
  std::unique_ptr<CliHome> home_;
};

gptoss::testing::TempDir* GenerateModelCliTest::model_root_ = nullptr;

// Random weights rarely end with <|return|>: the 8-token budget ends the turn (exit 3).
bool answered(const CliRun& r) { return r.exit_code == 0 || r.exit_code == 3; }

TEST_F(GenerateModelCliTest, FindsTheModelAsTheChatDoes) {
  const CliRun named = home_->run(generate({"--model", tiny().string()}));
  ASSERT_TRUE(answered(named)) << named.exit_code << ": " << named.err;

  const CliRun from_env = home_->run(generate(), "GPT_OSS_MODEL=" + shell_quoted(tiny().string()));
  EXPECT_TRUE(answered(from_env)) << from_env.exit_code << ": " << from_env.err;
  EXPECT_EQ(from_env.out, named.out);  // the same model, prompt and seed

  fs::copy(tiny(), home_->root / "work" / "gpt-oss-20b", fs::copy_options::recursive);
  const CliRun from_cwd = home_->run(generate());
  EXPECT_TRUE(answered(from_cwd)) << from_cwd.exit_code << ": " << from_cwd.err;
  EXPECT_EQ(from_cwd.out, named.out);
}

TEST_F(GenerateModelCliTest, DemoWritesTheDemoModel) {
  const CliRun r = home_->run(generate({"--demo"}));
  EXPECT_TRUE(answered(r)) << r.exit_code << ": " << r.err;
  EXPECT_TRUE(fs::exists(home_->root / "cache" / "gpt-oss-chat" / "demo-model" / "config.json"));

  const CliRun both = home_->run(generate({"--demo", "--model", tiny().string()}));
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("--demo and --model exclude each other"), std::string::npos) << both.err;
}

TEST_F(GenerateModelCliTest, NoModelSaysWhereItLooked) {
  const CliRun r = home_->run(generate());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("no model found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("$GPT_OSS_MODEL"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("generate --demo"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST_F(GenerateModelCliTest, TheConfigFileGivesDefaultsAndFlagsWin) {
  const fs::path config = home_->root / "config" / "gpt-oss-chat" / "config.json";
  fs::create_directories(config.parent_path());
  std::ofstream(config) << "{\"model\": \"" << tiny().string() << "\", \"max-tokens\": 3}";
  const CliRun from_config =
      home_->run({"generate", "--prompt", "Hello", "--seed", "5", "--threads", "1", "--stats"});
  EXPECT_TRUE(answered(from_config)) << from_config.exit_code << ": " << from_config.err;
  EXPECT_NE(from_config.err.find("generated 3 tokens"), std::string::npos) << from_config.err;
  const CliRun flag_wins = home_->run(generate({"--stats", "--max-tokens", "5"}));
  EXPECT_NE(flag_wins.err.find("generated 5 tokens"), std::string::npos) << flag_wins.err;

  std::ofstream(config) << "{\"model\": \"/nowhere\", \"effort\": 3}";
  const CliRun bad = home_->run(generate());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find(config.string() + ": effort: expected a string, found number 3"), std::string::npos)
      << bad.err;
}

}  // namespace
}  // namespace gptoss::ui
