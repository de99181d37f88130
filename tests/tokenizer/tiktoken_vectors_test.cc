// Vectors generated with tiktoken itself (tests/tokenizer/data/generate_vectors.cjs): code
// points whose classes changed in Unicode 15-16, and random mixtures from every plane. Each case
// is checked both ways, ordinary and with every special allowed.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tokenizer/test_support.h"

namespace gptoss::tokenizer {
namespace {

using testing::shared_tokenizer;

struct TiktokenCase {
  std::string name, text;
  std::vector<int32_t> ids, ids_special;
};

std::vector<TiktokenCase> read_cases(const std::string& file) {
  std::ifstream in(std::string(GPTOSS_TEST_DATA_DIR) + "/../tokenizer/data/" + file);
  std::vector<TiktokenCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    cases.push_back({j.at("name"), j.at("text"), j.at("ids"), j.at("ids_special")});
  }
  return cases;
}

void check_both_ways(const std::vector<TiktokenCase>& cases) {
  const Tokenizer& t = shared_tokenizer();
  for (const auto& c : cases) {
    EXPECT_EQ(t.encode(c.text), c.ids) << c.name;
    EXPECT_EQ(t.encode_with_special(c.text, {}, /*allow_all=*/true), c.ids_special) << c.name;
    EXPECT_EQ(t.decode(c.ids), c.text) << c.name;
    // 200018 has two names and decodes as <|reserved_200018|> (shared/data/README.md).
    std::string text = c.text;
    for (size_t at; (at = text.find("<|endofprompt|>")) != std::string::npos;) {
      text.replace(at, 15, "<|reserved_200018|>");
    }
    EXPECT_EQ(t.decode(c.ids_special), text) << c.name;
  }
}

TEST(TiktokenVectors, Unicode16ClassesMatch) {
  const auto cases = read_cases("unicode16.jsonl");
  ASSERT_EQ(cases.size(), 160u);
  check_both_ways(cases);
}

TEST(TiktokenVectors, RandomMixturesMatch) {
  const auto cases = read_cases("fuzz.jsonl");
  ASSERT_EQ(cases.size(), 2000u);
  check_both_ways(cases);
}

}  // namespace
}  // namespace gptoss::tokenizer
