// `gpt-oss-chat generate` and `render --session` through the real binary, on the tiny random model
// written into a temp dir. Random weights produce gibberish that rarely ends with <|return|>: the
// reply budget ends the turn (exit 3), which is what these runs expect.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "chat/session_store.h"
#include "engine/test_model.h"
#include "reference/cli_run.h"
#include "reference/file_bytes.h"
#include "reference/temp_dir.h"

namespace gptoss::chat {
namespace {

namespace fs = std::filesystem;

using gptoss::testing::CliRun;
using gptoss::testing::slurp;

class GenerateCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new gptoss::testing::TempDir;
    engine::TestModelOptions options;
    options.seed = 3;
    engine::write_test_model((dir_->path() / "tiny").string(), *engine::find_test_model_preset("tiny"), options);
  }
  static void TearDownTestSuite() {
    delete dir_;  // and its folder
  }

  static CliRun run(const std::vector<std::string>& args, const std::string& stdin_bytes = "") {
    return gptoss::testing::run_binary("", args, dir_->path(), stdin_bytes);
  }
  static std::vector<std::string> generate(const std::string& prompt, const std::string& seed,
                                           std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"generate",
                                     "--model",
                                     (dir_->path() / "tiny").string(),
                                     "--prompt",
                                     prompt,
                                     "--seed",
                                     seed,
                                     "--max-tokens",
                                     "12",
                                     "--threads",
                                     "1",
                                     "--context",
                                     "512"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  static gptoss::testing::TempDir* dir_;
};

gptoss::testing::TempDir* GenerateCliTest::dir_ = nullptr;

TEST_F(GenerateCliTest, SameSeedSameOutputOtherSeedOtherOutput) {
  const CliRun a = run(generate("Hello", "42"));
  const CliRun b = run(generate("Hello", "42"));
  const CliRun c = run(generate("Hello", "43"));
  ASSERT_EQ(a.exit_code, 3) << a.err;  // the 12-token budget ended the turn
  EXPECT_NE(a.err.find("without a complete answer (budget_exhausted)"), std::string::npos) << a.err;
  EXPECT_FALSE(a.out.empty());
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
}

TEST_F(GenerateCliTest, PromptFromStdinEqualsPromptArgument) {
  const CliRun a = run(generate("-", "9"), "Hello");
  const CliRun b = run(generate("Hello", "9"));
  EXPECT_EQ(a.exit_code, 3) << a.err;
  EXPECT_EQ(a.out, b.out);
}

TEST_F(GenerateCliTest, InvalidUtf8PromptIsRepairedNotRefused) {
  const CliRun r = run(generate("-", "1"), "caf\xc3 ok \xff");
  EXPECT_EQ(r.exit_code, 3) << r.err;
}

TEST_F(GenerateCliTest, SessionIsCreatedContinuedAndRendered) {
  const fs::path session = dir_->path() / "sessions" / "s.json";
  fs::create_directories(session.parent_path());  // only the real sessions folder is made on demand
  const CliRun first =
      run(generate("First question", "5", {"--session", session.string(), "--effort", "high"}));
  ASSERT_EQ(first.exit_code, 3) << first.err;
  ASSERT_TRUE(fs::exists(session));
  SessionFile one = load_session(session.string());
  EXPECT_EQ(one.state.settings.effort, ReasoningEffort::kHigh);
  EXPECT_EQ(one.state.settings.sampling.seed, std::optional<uint64_t>(5));
  ASSERT_EQ(one.state.turns.size(), 1u);
  EXPECT_EQ(one.state.turns[0].stats.end, TurnEnd::kBudgetExhausted);
  EXPECT_EQ(one.state.turns[0].stats.tokens_generated, 12u);
  EXPECT_FALSE(one.model_fingerprint.empty());

  // The session's settings apply (effort high) without repeating them.
  const CliRun second = run(generate("Second question", "5", {"--session", session.string()}));
  ASSERT_EQ(second.exit_code, 3) << second.err;
  SessionFile two = load_session(session.string());
  EXPECT_EQ(two.state.settings.effort, ReasoningEffort::kHigh);
  ASSERT_EQ(two.state.turns.size(), 2u);
  EXPECT_EQ(two.created, one.created);
  const auto& messages = two.state.conversation.messages;
  EXPECT_EQ(messages.front().content, "First question");
  EXPECT_EQ(messages[two.state.turns[1].first_message].content, "Second question");

  // render --session: the text ends with the next turn's header; --ids is the same prompt.
  const CliRun text = run({"render", "--session", session.string()});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Reasoning: high"), std::string::npos);
  EXPECT_NE(text.out.find("<|start|>user<|message|>Second question<|end|>"), std::string::npos);
  EXPECT_TRUE(text.out.ends_with("<|start|>assistant")) << text.out;
  const CliRun ids = run({"render", "--session", session.string(), "--ids"});
  ASSERT_EQ(ids.exit_code, 0) << ids.err;
  const auto array = nlohmann::json::parse(ids.out);
  ASSERT_TRUE(array.is_array());
  const CliRun detok = run({"detokenize"}, ids.out);
  EXPECT_EQ(detok.out, text.out);
}

// Ctrl-C while the answer streams: exit 130, and the saved session keeps the partial answer,
// marked interrupted.
TEST_F(GenerateCliTest, InterruptKeepsThePartialAnswerInTheSession) {
  const fs::path session = dir_->path() / "interrupted.json";
  const fs::path out = dir_->path() / "interrupted.out";
  std::vector<std::string> args = generate("Tell me everything", "8", {"--session", session.string()});
  args[8] = "4000";   // --max-tokens: far more than it gets to write
  args[12] = "8192";  // --context
  args.insert(args.begin(), GPTOSS_BINARY);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    FILE* f = std::freopen(out.c_str(), "wb", stdout);
    FILE* g = std::freopen("/dev/null", "wb", stderr);
    if (f && g) ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  // Wait until some of the answer is out, then interrupt.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::error_code ec;
  int status = 0;
  pid_t ended = 0;
  auto written = [&] {
    const auto n = fs::file_size(out, ec);
    return ec ? 0 : n;  // not created yet: nothing written
  };
  while (std::chrono::steady_clock::now() < deadline && written() < 20 &&
         (ended = ::waitpid(pid, &status, WNOHANG)) == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(ended, 0) << "generate ended before it was interrupted, status " << status;
  ::kill(pid, SIGINT);
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);

  const SessionFile saved = load_session(session.string());
  ASSERT_EQ(saved.state.turns.size(), 1u);
  EXPECT_TRUE(saved.state.turns[0].stats.interrupted);
  EXPECT_EQ(saved.state.turns[0].stats.end, TurnEnd::kCancelled);
  EXPECT_LT(saved.state.turns[0].stats.tokens_generated, 4000u);
  // What was shown is what was kept: the assistant's messages, in order, then a newline.
  std::string kept;
  for (const auto& m : saved.state.conversation.messages) {
    if (m.role == "assistant" && (!m.channel || *m.channel == "final")) kept += m.content;
  }
  EXPECT_FALSE(kept.empty());
  EXPECT_EQ(slurp(out), kept + "\n");
}

TEST_F(GenerateCliTest, UnwritableSessionIsRefusedBeforeAnythingIsGenerated) {
  // A session path below a regular file cannot be created, even by root.
  const fs::path not_a_folder = dir_->path() / "not-a-folder";
  std::ofstream(not_a_folder) << "x";
  const std::string session = (not_a_folder / "s.json").string();
  const CliRun r = run(generate("Hello", "1", {"--session", session}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");  // no answer was generated only to be lost
  EXPECT_EQ(r.err, "gpt-oss-chat generate: " + session + ": save: cannot create a temporary file in " +
                       not_a_folder.string() + ": Not a directory\n");
}

// `--session /a/b/c.json` creates no folders outside the sessions folder: a mistyped path is an
// error, not a new tree of folders.
TEST_F(GenerateCliTest, SessionInAMissingFolderIsRefusedAndTheFolderIsNotCreated) {
  const fs::path missing = dir_->path() / "no-such" / "deeper";
  const std::string session = (missing / "s.json").string();
  const CliRun r = run(generate("Hello", "1", {"--session", session}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "gpt-oss-chat generate: " + session + ": save: cannot create a temporary file in " +
                       missing.string() + ": No such file or directory\n");
  EXPECT_FALSE(fs::exists(dir_->path() / "no-such"));
}

// `--tokens X` is always a list of ids; a file is read only with --tokens-file, and only up to the
// cap.
TEST_F(GenerateCliTest, LogitsReadsATokenFileOnlyWhenAskedTo) {
  const fs::path ids = dir_->path() / "ids.txt", npy = dir_->path() / "logits.npy";
  std::ofstream(ids) << "1, 2\n3\n";
  const std::string model = (dir_->path() / "tiny").string();
  auto logits = [&](const std::vector<std::string>& source) {
    std::vector<std::string> args = {"logits", "--model", model, "--out", npy.string(), "--threads", "1"};
    args.insert(args.end(), source.begin(), source.end());
    fs::remove(npy);
    return run(args);
  };
  const CliRun literal = logits({"--tokens", "1,2,3"});
  ASSERT_EQ(literal.exit_code, 0) << literal.err;
  const std::string from_flag = slurp(npy);
  const CliRun from_file = logits({"--tokens-file", ids.string()});
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(slurp(npy), from_flag);

  const CliRun named_file = logits({"--tokens", ids.string()});
  EXPECT_EQ(named_file.exit_code, 2);
  EXPECT_NE(named_file.err.find("--tokens: not a token id: '" + ids.string() + "'"), std::string::npos)
      << named_file.err;
  EXPECT_EQ(logits({"--tokens", "1", "--tokens-file", ids.string()}).exit_code, 2);
  EXPECT_EQ(logits({}).exit_code, 2);

  const CliRun endless = logits({"--tokens-file", "/dev/zero"});
  EXPECT_EQ(endless.exit_code, 1);
  EXPECT_EQ(endless.err,
            "gpt-oss-chat logits: /dev/zero: size: too large (expected at most 64 MiB, found more)\n");
  std::ofstream(ids) << "1 two 3";
  const CliRun bad = logits({"--tokens-file", ids.string()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "gpt-oss-chat logits: " + ids.string() + ": not a token id: 'two'\n");
}

TEST_F(GenerateCliTest, RenderShowsTheHeadersTheChatWouldSendForAVersionZeroSession) {
  // Version 0 stored no system or developer message; the chat derives them from the settings.
  const fs::path v0 = dir_->path() / "v0.json";
  std::ofstream(v0) << R"({"format": "gpt-oss-chat-session", "version": 0, "saved": "2025-08-01T12:00:00Z",
    "model": "/m", "reasoning_effort": "low", "system_prompt": "Be brief.",
    "messages": [{"role": "user", "content": "Hi"}]})";
  const CliRun r = run({"render", "--session", v0.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("<|start|>system<|message|>", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("\n\nReasoning: low\n\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("<|start|>developer<|message|># Instructions\n\nBe brief.<|end|>"
                       "<|start|>user<|message|>Hi<|end|><|start|>assistant"),
            std::string::npos)
      << r.out;
}

TEST_F(GenerateCliTest, ErrorsAndUsage) {
  EXPECT_EQ(run({"generate", "--demo"}).exit_code, 2);  // --prompt missing (a missing model: GenerateModelCliTest)
  EXPECT_EQ(run(generate("x", "1", {"--effort", "extreme"})).exit_code, 2);
  EXPECT_EQ(run(generate("x", "1", {"--top-p", "0"})).exit_code, 2);
  const CliRun budget = run(generate("x", "1", {"--max-tokens", "512"}));  // the context is 512
  EXPECT_EQ(budget.exit_code, 2);
  EXPECT_NE(budget.err.find("--context 512 leaves no room for --max-tokens 512 tokens"),
            std::string::npos)
      << budget.err;
  const CliRun help = run({"generate", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: gpt-oss-chat generate"), std::string::npos);
  EXPECT_EQ(run({"render", "--help"}).exit_code, 0);
  EXPECT_EQ(run({"render"}).exit_code, 2);

  const fs::path broken = dir_->path() / "broken.json";
  std::ofstream(broken) << "{\n  \"format\": \"gpt-oss-chat-session\",\n  oops\n}\n";
  const CliRun r = run({"render", "--session", broken.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find(broken.string() + ": 3:3: invalid JSON"), std::string::npos) << r.err;
  // A broken session is reported before any model is loaded, and left as it was.
  const CliRun g = run(generate("x", "1", {"--session", broken.string()}));
  EXPECT_EQ(g.exit_code, 1);
  EXPECT_NE(g.err.find(": 3:3: invalid JSON"), std::string::npos) << g.err;
  EXPECT_EQ(slurp(broken), "{\n  \"format\": \"gpt-oss-chat-session\",\n  oops\n}\n");

  const CliRun missing_model = run({"generate", "--model", (dir_->path() / "nope").string(), "--prompt", "x"});
  EXPECT_EQ(missing_model.exit_code, 1);
}

}  // namespace
}  // namespace gptoss::chat
