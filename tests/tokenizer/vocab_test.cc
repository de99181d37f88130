// The .tiktoken parser on hand-built files (one named case per way a file can be broken, each
// from a good tiny file), and Tokenizer::load's file and hash checks.
#include "tokenizer/vocab.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tokenizer/test_support.h"
#include "tokenizer/tokenizer.h"

namespace gptoss::tokenizer {
namespace {

using testing::kAssetsVocab;

std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = 0;
    for (size_t k = 0; k < 3; ++k) group = group << 8 | (k < n ? uint8_t(bytes[i + k]) : 0);
    for (size_t k = 0; k < 4; ++k) out += k <= n ? kAlphabet[(group >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

std::string tiktoken_file(const std::vector<std::string>& tokens) {
  std::string file;
  for (size_t r = 0; r < tokens.size(); ++r) file += base64(tokens[r]) + " " + std::to_string(r) + "\n";
  return file;
}

// The error message of parsing `file`, or "" if it parsed.
std::string parse_error(const std::string& file) {
  try {
    Vocab::parse(file, "v.tiktoken");
  } catch (const TokenizerError& e) {
    return e.what();
  }
  return "";
}

TEST(Vocab, ParsesAGoodFile) {
  const std::string good = tiktoken_file({"a", "b", "ab", std::string("\xFF\x00", 2)});
  ASSERT_EQ(good.substr(0, 7), "YQ== 0\n");
  const Vocab v = Vocab::parse(good, "v.tiktoken");
  EXPECT_EQ(v.size(), 4);
  EXPECT_EQ(v.bytes(2), "ab");
  EXPECT_EQ(v.rank("ab"), 2);
  EXPECT_EQ(v.rank(std::string("\xFF\x00", 2)), 3);
  EXPECT_EQ(v.rank("ba"), Vocab::kNoRank);
  EXPECT_EQ(v.rank(""), Vocab::kNoRank);
  // The last newline is optional.
  EXPECT_EQ(Vocab::parse(good.substr(0, good.size() - 1), "v.tiktoken").size(), 4);
}

TEST(Vocab, GrowsItsTableForManyShortLines) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 3000; ++i) tokens.push_back({char(i & 0xFF), char(i >> 8)});
  const Vocab v = Vocab::parse(tiktoken_file(tokens), "v.tiktoken");
  ASSERT_EQ(v.size(), 3000);
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(v.rank(tokens[i]), i);
}

TEST(Vocab, BrokenFiles) {
  const std::string good = tiktoken_file({"a", "b", "ab"});  // "YQ== 0\nYg== 1\nYWI= 2\n"
  struct Case {
    const char* name;
    std::string file;
    std::string expected;  // part of the message
  };
  const Case cases[] = {
      {"kEmpty", "", "v.tiktoken: 1:1: empty vocabulary"},
      {"kNoSpace", "YQ==\n", "v.tiktoken: 1:1: expected '<base64> <rank>'"},
      {"kBadBase64Char", good.substr(0, 7) + "Y*== 1\n", "v.tiktoken: 2:2: invalid base64"},
      {"kBadBase64Length", "YQ= 0\n", "v.tiktoken: 1:4: invalid base64"},
      {"kPaddingInTheMiddle", "YQ==YQ== 0\n", "v.tiktoken: 1:3: invalid base64"},
      {"kEmptyToken", " 0\n", "v.tiktoken: 1:1: invalid base64"},
      {"kRankNotANumber", "YQ== x\n", "v.tiktoken: 1:6: bad rank 'x'"},
      {"kRankMissing", "YQ== \n", "v.tiktoken: 1:6: bad rank ''"},
      {"kCrlfLineEnd", "YQ== 0\r\n", "v.tiktoken: 1:7: bad rank"},
      {"kRankSkipped", good.substr(0, 7) + "Yg== 2\n",
       "v.tiktoken: 2:6: ranks must be contiguous from 0 (expected 1, found 2)"},
      {"kRankNotFromZero", "YQ== 1\n", "(expected 0, found 1)"},
      {"kDuplicateBytes", good + "YQ== 3\n", "v.tiktoken: 4:1: duplicate token (same bytes as rank 0)"},
  };
  for (const Case& c : cases) {
    const std::string message = parse_error(c.file);
    EXPECT_NE(message.find(c.expected), std::string::npos) << c.name << ": got '" << message << "'";
    EXPECT_EQ(message.find('\n'), std::string::npos) << c.name;
  }
  EXPECT_EQ(parse_error(good), "");
}

class TokenizerLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("gptoss_vocab_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  static std::string shipped_bytes() {
    std::ifstream in(kAssetsVocab, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
  }

  std::filesystem::path dir_;
};

std::string load_error(const std::string& path) {
  try {
    Tokenizer::load(path);
  } catch (const TokenizerError& e) {
    return e.what();
  }
  return "";
}

TEST_F(TokenizerLoad, ShaMismatchIsRefusedAndSaysSo) {
  std::string bytes = shipped_bytes();
  ASSERT_EQ(bytes.size(), 3613922u);
  bytes.back() = ' ';  // still parses as far as the hash goes; the hash must catch it
  const std::string path = write("o200k_base.tiktoken", bytes);
  const std::string message = load_error(path);
  EXPECT_EQ(message.rfind(path + ": sha256 mismatch", 0), 0u) << message;
  EXPECT_NE(message.find("expected " + std::string(kO200kBaseSha256)), std::string::npos) << message;
}

TEST_F(TokenizerLoad, MissingFileIsNamed) {
  const std::string path = (dir_ / "absent.tiktoken").string();
  EXPECT_EQ(load_error(path).rfind(path + ": cannot open", 0), 0u) << load_error(path);
}

TEST_F(TokenizerLoad, EnvironmentOverrideIsUsedAndNamedWhenEmpty) {
  ASSERT_EQ(setenv("GPT_OSS_ASSETS", dir_.c_str(), 1), 0);
  std::string message;
  try {
    Tokenizer::load_default();
  } catch (const TokenizerError& e) {
    message = e.what();
  }
  EXPECT_NE(message.find((dir_ / "o200k_base.tiktoken").string()), std::string::npos) << message;

  write("o200k_base.tiktoken", shipped_bytes());
  const auto tokenizer = Tokenizer::load_default();
  unsetenv("GPT_OSS_ASSETS");
  EXPECT_EQ(tokenizer->encode("hello"), std::vector<int32_t>{24912});
}

TEST_F(TokenizerLoad, DefaultFindsTheShippedVocabulary) {
  unsetenv("GPT_OSS_ASSETS");
  const auto tokenizer = Tokenizer::load_default();
  EXPECT_EQ(tokenizer->vocab_size(), 201088);
  EXPECT_EQ(tokenizer->decode(std::vector<int32_t>{24912}), "hello");
}

}  // namespace
}  // namespace gptoss::tokenizer
