// Encode/decode against ids produced by OpenAI's tiktoken (tests/data/tokenizer/*.jsonl), the
// special-token table, and the error paths of the public API.
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include "tokenizer/test_support.h"

namespace gptoss::tokenizer {
namespace {

using testing::read_vectors;
using testing::shared_tokenizer;

TEST(TokenizerVectors, OrdinaryEncodeMatchesTiktoken) {
  const auto vectors = read_vectors("ordinary.jsonl");
  ASSERT_EQ(vectors.size(), 300u);
  for (const auto& v : vectors) {
    EXPECT_EQ(shared_tokenizer().encode(v.text), v.ids) << v.name;
  }
}

TEST(TokenizerVectors, OrdinaryDecodeGivesBackTheBytes) {
  for (const auto& v : read_vectors("ordinary.jsonl")) {
    EXPECT_EQ(shared_tokenizer().decode(v.ids), v.text) << v.name;
  }
}

TEST(TokenizerVectors, SpecialEncodeMatchesTiktoken) {
  const auto vectors = read_vectors("special.jsonl");
  ASSERT_EQ(vectors.size(), 10u);
  for (const auto& v : vectors) {
    EXPECT_EQ(shared_tokenizer().encode_with_special(v.text, {}, /*allow_all=*/true), v.ids) << v.name;
  }
}

TEST(TokenizerVectors, SpecialDecodeGivesBackTheBytes) {
  for (const auto& v : read_vectors("special.jsonl")) {
    EXPECT_EQ(shared_tokenizer().decode(v.ids), v.text) << v.name;
  }
}

TEST(TokenizerVectors, OrdinaryEncodeNeverEmitsSpecials) {
  for (const auto& v : read_vectors("special.jsonl")) {
    const auto ids = shared_tokenizer().encode(v.text);
    for (int32_t id : ids) EXPECT_FALSE(shared_tokenizer().is_special(id)) << v.name;
    EXPECT_EQ(shared_tokenizer().decode(ids), v.text) << v.name;
  }
}

TEST(TokenizerSpecials, NamedIdsFromTheTable) {
  const Tokenizer& t = shared_tokenizer();
  EXPECT_EQ(t.special_id("<|startoftext|>"), special::kStartOfText);
  EXPECT_EQ(t.special_id("<|endoftext|>"), special::kEndOfText);
  EXPECT_EQ(t.special_id("<|return|>"), 200002);
  EXPECT_EQ(t.special_id("<|constrain|>"), 200003);
  EXPECT_EQ(t.special_id("<|channel|>"), 200005);
  EXPECT_EQ(t.special_id("<|start|>"), 200006);
  EXPECT_EQ(t.special_id("<|end|>"), 200007);
  EXPECT_EQ(t.special_id("<|message|>"), 200008);
  EXPECT_EQ(t.special_id("<|call|>"), 200012);
  EXPECT_EQ(t.special_name(200007), "<|end|>");
  EXPECT_EQ(t.special_name(200004), "<|reserved_200004|>");
  EXPECT_EQ(t.special_name(201087), "<|reserved_201087|>");
  EXPECT_EQ(t.special_id("<|reserved_200013|>"), 200013);
  EXPECT_EQ(t.special_id("<|reserved_201087|>"), 201087);
  EXPECT_EQ(t.special_id("<|reserved_201088|>"), std::nullopt);
  EXPECT_EQ(t.special_id("<|reserved_200006|>"), std::nullopt);  // 200006 is <|start|>
  EXPECT_EQ(t.special_id("<|end|"), std::nullopt);
  EXPECT_EQ(t.special_name(199997), std::nullopt);
  EXPECT_EQ(t.special_name(201088), std::nullopt);
  EXPECT_EQ(t.vocab_size(), 201088);
}

TEST(TokenizerSpecials, Id200018HasTwoNamesAndDecodesAsReserved) {
  const Tokenizer& t = shared_tokenizer();
  EXPECT_EQ(t.special_id("<|endofprompt|>"), 200018);
  EXPECT_EQ(t.special_id("<|reserved_200018|>"), 200018);
  EXPECT_EQ(t.special_name(200018), "<|reserved_200018|>");
}

TEST(TokenizerSpecials, AllowedSpecialsAreMatchedByName) {
  const Tokenizer& t = shared_tokenizer();
  const std::vector<std::string> alias = {"<|endofprompt|>"};
  EXPECT_EQ(t.encode_with_special("<|endofprompt|>", alias), std::vector<int32_t>{200018});
  EXPECT_EQ(t.encode_with_special("<|reserved_200018|>", alias), t.encode("<|reserved_200018|>"));
  EXPECT_EQ(t.encode_with_special("<|reserved_200018|><|endofprompt|>", {}, true),
            (std::vector<int32_t>{200018, 200018}));
}

TEST(TokenizerSpecials, IsSpecialCoversExactlyTheAddedRange) {
  const Tokenizer& t = shared_tokenizer();
  EXPECT_FALSE(t.is_special(199997));
  EXPECT_TRUE(t.is_special(199998));
  EXPECT_TRUE(t.is_special(201087));
  EXPECT_FALSE(t.is_special(201088));
  EXPECT_FALSE(t.is_special(-1));
}

TEST(TokenizerSpecials, OnlyAllowedSpecialsAreRecognised) {
  const Tokenizer& t = shared_tokenizer();
  const std::string text = "<|start|>user<|message|>hi<|end|>";
  const std::vector<std::string> allowed = {"<|start|>", "<|end|>"};
  const auto ids = t.encode_with_special(text, allowed);
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), special::kStart);
  EXPECT_EQ(ids.back(), special::kEnd);
  for (size_t i = 1; i + 1 < ids.size(); ++i) EXPECT_FALSE(t.is_special(ids[i]));
  // The middle is ordinary text, encoded as one stretch between the two specials.
  const auto middle = t.encode("user<|message|>hi");
  EXPECT_EQ(std::vector<int32_t>(ids.begin() + 1, ids.end() - 1), middle);
  EXPECT_EQ(t.decode(ids), text);
}

TEST(TokenizerSpecials, NoAllowedListMeansPlainText) {
  const Tokenizer& t = shared_tokenizer();
  const std::string text = "<|start|>";
  EXPECT_EQ(t.encode_with_special(text, {}), t.encode(text));
}

TEST(TokenizerSpecials, StretchesBetweenSpecialsAreSplitOnTheirOwn) {
  // Whitespace before a special: the regex's (?!\S) sees the end of the stretch, not the '<'.
  const Tokenizer& t = shared_tokenizer();
  const auto ids = t.encode_with_special("a  <|end|>", {}, true);
  auto expected = t.encode("a  ");
  expected.push_back(special::kEnd);
  EXPECT_EQ(ids, expected);
}

TEST(TokenizerSpecials, NestedOpeningIsFoundAtTheRealStart) {
  const Tokenizer& t = shared_tokenizer();
  const auto ids = t.encode_with_special("<|<|end|>|>", {}, true);
  auto expected = t.encode("<|");
  expected.push_back(special::kEnd);
  for (int32_t id : t.encode("|>")) expected.push_back(id);
  EXPECT_EQ(ids, expected);
}

TEST(TokenizerSpecials, UnknownAllowedNameIsAnError) {
  const std::vector<std::string> allowed = {"<|bogus|>"};
  try {
    shared_tokenizer().encode_with_special("x", allowed);
    FAIL() << "expected TokenizerError";
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("<|bogus|>"), std::string::npos) << e.what();
  }
}

TEST(TokenizerErrors, InvalidUtf8ReportsTheByteOffset) {
  struct Case {
    std::string text;
    size_t offset;
  };
  const Case cases[] = {
      {"abc\xFF", 3},           // never valid
      {"ab\xC3", 2},            // truncated at the end
      {"a\xC3(", 1},            // bad continuation
      {"\xC0\x80", 0},          // overlong NUL
      {"xy\xE0\x80\x80", 2},    // overlong 3-byte form
      {"ok \xED\xA0\x80", 3},   // UTF-16 surrogate U+D800
      {"\xF4\x90\x80\x80", 0},  // above U+10FFFF
      {"\xE2\x82\xAC\x80", 3},  // stray continuation after a good euro sign
      {"1234567890\xF5", 10},   // past the ASCII fast path
  };
  for (const Case& c : cases) {
    for (const bool special : {false, true}) {
      try {
        if (special) {
          shared_tokenizer().encode_with_special(c.text, {}, true);
        } else {
          shared_tokenizer().encode(c.text);
        }
        ADD_FAILURE() << "no error for offset " << c.offset;
      } catch (const InvalidUtf8Error& e) {
        EXPECT_EQ(e.byte_offset(), c.offset);
        EXPECT_NE(std::string(e.what()).find("byte " + std::to_string(c.offset)), std::string::npos)
            << e.what();
      }
    }
  }
}

TEST(TokenizerErrors, UnknownIdIsNamed) {
  for (const int32_t bad : {-1, 201088, 1 << 30}) {
    const std::vector<int32_t> ids = {9906, bad};
    try {
      shared_tokenizer().decode(ids);
      ADD_FAILURE() << "no error for " << bad;
    } catch (const TokenizerError& e) {
      EXPECT_NE(std::string(e.what()).find(std::to_string(bad)), std::string::npos) << e.what();
    }
  }
}

TEST(TokenizerBasics, TokenBytes) {
  const Tokenizer& t = shared_tokenizer();
  EXPECT_EQ(t.token_bytes(0), "!");  // rank 0 of o200k_base is "!" (base64 IQ==)
  EXPECT_EQ(t.token_bytes(220), " ");
  EXPECT_EQ(t.token_bytes(special::kCall), "<|call|>");
  EXPECT_EQ(t.token_bytes(201088), std::nullopt);
  EXPECT_EQ(t.encode(""), std::vector<int32_t>{});
  EXPECT_EQ(t.decode(std::vector<int32_t>{}), "");
}

}  // namespace
}  // namespace gptoss::tokenizer
