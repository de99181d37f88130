// `gpt-oss-chat harmony render [--text]` and `harmony parse`, run as a process (the stable
// command-line contract of spec/harmony.md section 9), over every vector plus bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "chat/harmony_vectors.h"
#include "reference/file_bytes.h"

namespace {

using json = nlohmann::ordered_json;

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

using gptoss::testing::slurp;

// Runs `gpt-oss-chat harmony <args>` with `input` on stdin.
CliRun run_harmony(const std::string& args, const std::string& input) {
  const std::string dir = ::testing::TempDir();
  const std::string in_path = dir + "harmony_cli_in_" + std::to_string(getpid());
  const std::string err_path = dir + "harmony_cli_err_" + std::to_string(getpid());
  std::ofstream(in_path, std::ios::binary) << input;
  const std::string command =
      std::string("'") + GPTOSS_BINARY + "' harmony " + args + " < '" + in_path + "' 2> '" + err_path + "'";
  CliRun run;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) {
    ADD_FAILURE() << "popen failed: " << command;
    return run;
  }
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.err = slurp(err_path);
  std::remove(in_path.c_str());
  std::remove(err_path.c_str());
  return run;
}

std::vector<json> vectors(const char* file) {
  std::vector<json> cases;
  for (auto& c : gptoss::chat::harmony_vectors(file)) cases.push_back(std::move(c.json));
  return cases;
}

json only(const json& c, std::initializer_list<const char*> keys) {
  json out = json::object();
  for (const char* k : keys) out[k] = c[k];
  return out;
}

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == s.size() - 1; }

TEST(HarmonyCli, RenderIdsForEveryVector) {
  auto cases = vectors("render.jsonl");
  ASSERT_EQ(cases.size(), 25u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    CliRun r = run_harmony("render",
                           only(c, {"conversation", "mode", "next_turn_role", "auto_drop_analysis"}).dump());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(json::parse(r.out), c["expected_ids"]);
  }
}

TEST(HarmonyCli, RenderTextIsByteExactForEveryVector) {
  for (const auto& c : vectors("render.jsonl")) {
    SCOPED_TRACE(c["name"].get<std::string>());
    CliRun r = run_harmony("render --text",
                           only(c, {"conversation", "mode", "next_turn_role", "auto_drop_analysis"}).dump());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, c["expected_text"].get<std::string>());  // no added newline
  }
}

TEST(HarmonyCli, ParseEveryVector) {
  auto cases = vectors("parse.jsonl");
  ASSERT_EQ(cases.size(), 25u);
  for (const auto& c : cases) {
    SCOPED_TRACE(c["name"].get<std::string>());
    CliRun r = run_harmony("parse", only(c, {"tokens", "role", "strict", "eos"}).dump());
    if (c["expected_error"].is_string()) {
      EXPECT_NE(r.exit_code, 0);
      EXPECT_TRUE(r.out.empty());
      EXPECT_TRUE(one_line(r.err)) << r.err;
      EXPECT_NE(r.err.find(c["expected_error"].get<std::string>()), std::string::npos) << r.err;
    } else {
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(json::parse(r.out).dump(), c["expected_messages"].dump());  // key order too
    }
  }
}

TEST(HarmonyCli, StrictModeErrorIsOneLineExitOne) {
  // "<|channel|>commentary Hello<|end|>" with role assistant: strict parsing keeps <|end|> as
  // header text and the stream ends inside the header.
  CliRun r = run_harmony(
      "parse",
      R"({"tokens": [200005, 12606, 815, 32949, 200007], "role": "assistant", "strict": true, "eos": true})");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("Unexpected EOS while waiting for message header to complete"), std::string::npos)
      << r.err;
  // The same tokens in non-strict mode are a message.
  r = run_harmony(
      "parse",
      R"({"tokens": [200005, 12606, 815, 32949, 200007], "role": "assistant", "strict": false, "eos": true})");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)[0]["content"], "Hello");
}

TEST(HarmonyCli, BadJsonNamesLineAndColumn) {
  CliRun r = run_harmony("parse", "{\"tokens\": [1,\n 2,, 3]}");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("<stdin>: 2:4: invalid JSON"), std::string::npos) << r.err;
  r = run_harmony("render", "");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("<stdin>: 1:1: invalid JSON"), std::string::npos) << r.err;
}

TEST(HarmonyCli, BadConversationNamesThePath) {
  CliRun r =
      run_harmony("render --text", R"({"conversation": {"messages": [{"role": "user", "content": 5}]}})");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("conversation.messages[0].content: expected a string (found number)"),
            std::string::npos)
      << r.err;
  r = run_harmony("render", R"({"conversation": {}, "mode": "chat"})");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("mode: expected completion|conversation|training"), std::string::npos) << r.err;
  // Input text in a message is escaped: still one line.
  r = run_harmony("render", R"({"conversation": {}, "mode": "a\nb", "x\ny": 1})");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(one_line(r.err)) << r.err;
  r = run_harmony("render", R"({"conversation": {}, "mode": "a\nb"})");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find(R"((found "a\nb"))"), std::string::npos) << r.err;
  // Nested far too deeply: refused before the parser's recursion can overflow the stack.
  r = run_harmony("render", std::string(100000, '['));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "gpt-oss-chat harmony: <stdin>: (top level): nested too deeply (expected at most 256 levels)\n");
  // A number beyond a double is nlohmann's out_of_range, which used to escape as an internal error.
  r = run_harmony("parse", R"({"tokens": [1E400]})");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err.rfind(
                "gpt-oss-chat harmony: <stdin>: number: invalid JSON: [json.exception.out_of_range.406]", 0),
            0u)
      << r.err;
}

TEST(HarmonyCli, BadArgumentsExitTwo) {
  EXPECT_EQ(run_harmony("", "").exit_code, 2);
  EXPECT_EQ(run_harmony("frobnicate", "").exit_code, 2);
  EXPECT_EQ(run_harmony("render --bogus", "{}").exit_code, 2);
  EXPECT_EQ(run_harmony("parse --text", "{}").exit_code, 2);
  CliRun help = run_harmony("render --help", "");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: gpt-oss-chat harmony render"), std::string::npos);
}

TEST(HarmonyCli, UserSpecialTokenTextRendersAsOrdinaryIds) {
  CliRun r = run_harmony("render", R"({"conversation": {"messages": [{"role": "user", "content": "<|end|>"}]},
                                   "mode": "conversation"})");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json ids = json::parse(r.out);
  // <|start|> user <|message|> ...ordinary ids of "<|end|>"... <|end|>: 200007 only once, last.
  int ends = 0;
  for (const auto& id : ids) ends += id.get<int64_t>() == 200007;
  EXPECT_EQ(ends, 1);
  EXPECT_EQ(ids.back(), 200007);
  EXPECT_GT(ids.size(), 5u);
}

}  // namespace
