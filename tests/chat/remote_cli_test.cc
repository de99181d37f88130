// `generate --remote` and the plain chat with --remote against this project's own `serve` (the
// real binaries, the tiny random model): the round trip, the key from $OPENAI_API_KEY, sessions
// kept across turns, and the one-line errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "serve_process.h"

namespace gptoss::chat {
namespace {

using testing::run_shell;
using testing::ServeProcess;
namespace fs = std::filesystem;

std::string binary() { return std::string("'") + GPTOSS_BINARY + "'"; }

TEST(RemoteCli, GenerateAndPlainChatTalkToOurServe) {
  ServeProcess server({"--api-key", "k"});
  ASSERT_FALSE(server.url().empty()) << server.first_line();
  int code = 0;
  // The random model rarely finishes within 6 tokens: exit 3 (budget) with text on stdout.
  std::string out = run_shell("OPENAI_API_KEY=k " + binary() + " generate --remote " + server.url() +
                                  " --prompt hello --max-tokens 6 --seed 1 --stats",
                              &code);
  EXPECT_TRUE(code == 0 || code == 3) << out;
  EXPECT_NE(out.find("generated 6 tokens"), std::string::npos) << out;

  // A session continued over two runs: the second request carries the first exchange.
  const fs::path session =
      fs::temp_directory_path() / ("gptoss-remote-session-" + std::to_string(::getpid()) + ".json");
  fs::remove(session);
  for (const char* prompt : {"first", "second"}) {
    out = run_shell(binary() + " generate --remote " + server.url() + " --api-key k --prompt " + prompt +
                        " --max-tokens 4 --seed 2 --session '" + session.string() + "'",
                    &code);
    EXPECT_TRUE(code == 0 || code == 3) << out;
  }
  std::ifstream in(session);
  const nlohmann::json saved = nlohmann::json::parse(in);
  const std::string text = saved.dump();
  EXPECT_NE(text.find("\"first\""), std::string::npos);
  EXPECT_NE(text.find("\"second\""), std::string::npos);
  EXPECT_NE(text.find(server.url()), std::string::npos);  // the model's location is the server
  fs::remove(session);

  // The plain chat: two messages and /effort, answered through the server.
  out = run_shell("printf 'hello\\n/effort high\\nagain\\n' | " + binary() + " --plain --remote " + server.url() +
                      " --api-key k --max-tokens 5 --seed 3",
                  &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("[effort high]"), std::string::npos) << out;
}

TEST(RemoteCli, ErrorsAreOneLineWithTheRightExitCode) {
  ServeProcess server({"--api-key", "k"});
  ASSERT_FALSE(server.url().empty()) << server.first_line();
  int code = 0;
  std::string out = run_shell(
      "env -u OPENAI_API_KEY " + binary() + " generate --remote " + server.url() + " --prompt hi", &code);
  EXPECT_EQ(code, 1);
  EXPECT_EQ(
      out,
      "gpt-oss-chat generate: remote: " + server.url() +
          ": HTTP 401: Incorrect API key provided (expected the header \"Authorization: Bearer <key>\").\n");
  out = run_shell(
      binary() + " generate --remote " + server.url() + " --api-key k --remote-model gpt-4o --prompt hi",
      &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("HTTP 404: The model 'gpt-4o' does not exist"), std::string::npos) << out;
  server.stop();
  out = run_shell(binary() + " generate --remote " + server.url() + " --api-key k --prompt hi", &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find(": cannot connect ("), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;

  out = run_shell(binary() + " generate --remote ftp://x --prompt hi", &code);
  EXPECT_EQ(code, 2) << out;
  out = run_shell(binary() + " generate --model /nonexistent --api-key k --prompt hi", &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("--api-key needs --remote URL"), std::string::npos) << out;
  out = run_shell(binary() + " chat --demo --remote http://127.0.0.1:1/v1 --plain", &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("--remote and --demo exclude each other"), std::string::npos) << out;
}

}  // namespace
}  // namespace gptoss::chat
