// `gpt-oss-chat tokenize [--special]` and `detokenize`, run as a user would (posix_spawn with
// files for stdin, stdout and stderr): outputs, exit codes and one-line errors.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "reference/file_bytes.h"
#include "tokenizer/test_support.h"

extern char** environ;

namespace gptoss::tokenizer {
namespace {

using gptoss::testing::slurp;

using testing::read_vectors;

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class TokenizeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("gptoss_cli_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  RunResult run(std::vector<std::string> args, const std::string& input) {
    const auto in = dir_ / "stdin";
    std::ofstream(in, std::ios::binary) << input;
    return run_from(std::move(args), in);
  }

  // As run, with stdin read from the file `in` (/dev/zero, say).
  RunResult run_from(std::vector<std::string> args, const std::filesystem::path& in) {
    const auto out = dir_ / "stdout", err = dir_ / "stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    args.insert(args.begin(), GPTOSS_BINARY);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    RunResult result;
    const int rc = posix_spawn(&pid, GPTOSS_BINARY, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      ADD_FAILURE() << "posix_spawn " << GPTOSS_BINARY << ": " << std::strerror(rc);
      return result;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = slurp(out);
    result.err = slurp(err);
    return result;
  }

  // Checks a failure: the exit code, and stderr is one line containing `needle`.
  void expect_failure(const RunResult& r, int code, const std::string& needle) {
    EXPECT_EQ(r.exit_code, code) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    if (code == 1) {
      EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "not one line: " << r.err;
    }
    EXPECT_EQ(r.out, "");
  }

  std::filesystem::path dir_;
};

std::vector<int32_t> ids_of(const std::string& json) {
  return nlohmann::json::parse(json).get<std::vector<int32_t>>();
}

TEST_F(TokenizeCliTest, TokenizeMatchesTheVectors) {
  // A sample of the vectors through the real binary (the library tests cover all of them).
  const auto vectors = read_vectors("ordinary.jsonl");
  for (size_t i = 0; i < vectors.size(); i += 37) {
    const RunResult r = run({"tokenize"}, vectors[i].text);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(ids_of(r.out), vectors[i].ids) << vectors[i].name;
  }
}

TEST_F(TokenizeCliTest, TokenizeSpecialRecognisesSpecialsAndPlainDoesNot) {
  const auto v = read_vectors("special.jsonl").front();
  const RunResult special = run({"tokenize", "--special"}, v.text);
  ASSERT_EQ(special.exit_code, 0) << special.err;
  EXPECT_EQ(ids_of(special.out), v.ids);

  const RunResult plain = run({"tokenize"}, "<|end|>");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const auto ids = ids_of(plain.out);
  EXPECT_GT(ids.size(), 1u);
  for (int32_t id : ids) EXPECT_LT(id, 199998);
}

TEST_F(TokenizeCliTest, TokenizeEmptyInput) {
  const RunResult r = run({"tokenize"}, "");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ids_of(r.out), std::vector<int32_t>{});
}

TEST_F(TokenizeCliTest, DetokenizeGivesBackTheExactBytes) {
  for (const auto& file : {"ordinary.jsonl", "special.jsonl"}) {
    const auto vectors = read_vectors(file);
    for (size_t i = 0; i < vectors.size(); i += 29) {
      const RunResult r = run({"detokenize"}, nlohmann::json(vectors[i].ids).dump());
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(r.out, vectors[i].text) << vectors[i].name;
    }
  }
}

TEST_F(TokenizeCliTest, DetokenizeWritesRawBytesOfPartialCharacters) {
  // "€" is E2 82 AC; the single-byte tokens for E2 alone must come out as that raw byte.
  const RunResult tokenized = run({"tokenize"}, "\xE2\x82\xAC");
  ASSERT_EQ(tokenized.exit_code, 0);
  const RunResult r = run({"detokenize"}, tokenized.out);
  EXPECT_EQ(r.out, "\xE2\x82\xAC");
}

TEST_F(TokenizeCliTest, TokenizeRejectsInvalidUtf8WithTheOffset) {
  expect_failure(run({"tokenize"}, "hello \xC3\x28"), 1, "byte 6: invalid UTF-8");
  expect_failure(run({"tokenize", "--special"}, "<|end|>\xFF"), 1, "byte 7: invalid UTF-8");
}

TEST_F(TokenizeCliTest, DetokenizeRejectsBadJson) {
  expect_failure(run({"detokenize"}, "[1, 2"), 1, "bad JSON");
  expect_failure(run({"detokenize"}, ""), 1, "bad JSON");
  expect_failure(run({"detokenize"}, "{\"ids\": [1]}"), 1, "expected a JSON array");
  expect_failure(run({"detokenize"}, "[1, \"2\"]"), 1, "element 1");
  expect_failure(run({"detokenize"}, "[1.5]"), 1, "element 0");
  expect_failure(run({"detokenize"}, "[1E400]"), 1, "bad JSON");  // out_of_range, not parse_error
}

// nlohmann parses and dumps recursively: 100,000 levels overflowed the stack (SIGSEGV, no message).
TEST_F(TokenizeCliTest, DetokenizeRefusesDeepNestingWithItsPlace) {
  expect_failure(run({"detokenize"}, std::string(100000, '[') + std::string(100000, ']')), 1,
                 "gpt-oss-chat detokenize: stdin: 1:257: nested too deeply (expected at most 256 levels)");
  expect_failure(run({"detokenize"}, "[1, " + std::string(200, '[') + std::string(200, ']') + "]"), 1,
                 "element 1: unknown token id [[[[");
}

// A bad element is quoted at most 80 bytes long, whatever its size.
TEST_F(TokenizeCliTest, DetokenizeQuotesABadElementShort) {
  const RunResult r = run({"detokenize"}, "[1, \"" + std::string(1 << 20, 'z') + "\"]");
  expect_failure(r, 1, "element 1: unknown token id \"" + std::string(79, 'z') + "... (expected");
  EXPECT_LT(r.err.size(), 300u);
}

// /dev/zero never ends: the read stops at the cap instead of filling memory.
TEST_F(TokenizeCliTest, EndlessStdinIsRefusedAtTheCap) {
  expect_failure(run_from({"tokenize"}, "/dev/zero"), 1,
                 "stdin: size: too large (expected at most 64 MiB, found more)");
  expect_failure(run_from({"detokenize"}, "/dev/zero"), 1, "stdin: size: too large");
}

TEST_F(TokenizeCliTest, DetokenizeRejectsUnknownIds) {
  expect_failure(run({"detokenize"}, "[9906, 201088]"), 1, "element 1: unknown token id 201088");
  expect_failure(run({"detokenize"}, "[-1]"), 1, "unknown token id -1");
  expect_failure(run({"detokenize"}, "[99999999999]"), 1, "unknown token id 99999999999");
}

TEST_F(TokenizeCliTest, UsageErrorsExitTwoAndHelpExitsZero) {
  expect_failure(run({"tokenize", "--bogus"}, ""), 2, "unknown option --bogus");
  expect_failure(run({"detokenize", "extra"}, ""), 2, "unexpected argument");
  for (const char* command : {"tokenize", "detokenize"}) {
    const RunResult help = run({command, "--help"}, "");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find(std::string("usage: gpt-oss-chat ") + command), std::string::npos) << help.out;
  }
}

}  // namespace
}  // namespace gptoss::tokenizer
