// UTF-8 checks and the streaming decoder: hand-made byte sequences (Unicode's own table 3-8
// example), and random id sequences against the independent oracle in utf8_reference.h.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "tokenizer/test_support.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"
#include "tokenizer/utf8_reference.h"

namespace gptoss::tokenizer {
namespace {

using testing::lossy_reference;
using testing::shared_tokenizer;

const std::string kFffd = "\xEF\xBF\xBD";

// The id of the one-byte token for each byte value.
const std::map<uint8_t, int32_t>& byte_ids() {
  static const std::map<uint8_t, int32_t> ids = [] {
    std::map<uint8_t, int32_t> out;
    for (int32_t id = 0; id < 199998; ++id) {
      const auto bytes = shared_tokenizer().token_bytes(id);
      if (bytes->size() == 1) out[uint8_t((*bytes)[0])] = id;
    }
    return out;
  }();
  return ids;
}

std::vector<int32_t> ids_of_bytes(std::string_view bytes) {
  std::vector<int32_t> ids;
  for (char c : bytes) ids.push_back(byte_ids().at(uint8_t(c)));
  return ids;
}

std::string stream(const std::vector<int32_t>& ids, std::vector<std::string>* parts = nullptr) {
  StreamDecoder decoder(shared_tokenizer());
  std::string out;
  for (int32_t id : ids) {
    std::string part = decoder.push(id);
    if (parts) parts->push_back(part);
    out += part;
  }
  const std::string tail = decoder.flush();
  if (parts) parts->push_back(tail);
  return out + tail;
}

TEST(TokenizerUtf8, FirstInvalidOffset) {
  EXPECT_EQ(first_invalid_utf8(""), std::string_view::npos);
  EXPECT_EQ(first_invalid_utf8("plain ascii, long enough for the fast path"), std::string_view::npos);
  EXPECT_EQ(first_invalid_utf8("\xF0\x9F\x98\x80 \xE2\x82\xAC \xC3\xA9 \xF4\x8F\xBF\xBF"),
            std::string_view::npos);
  EXPECT_EQ(first_invalid_utf8("0123456789abcdef\x80"), 16u);
  EXPECT_EQ(first_invalid_utf8("\xED\x9F\xBF\xED\xA0\x80"), 3u);  // U+D7FF fine, U+D800 not
  EXPECT_EQ(first_invalid_utf8("\xF0\x8F\xBF\xBF"), 0u);          // overlong U+FFFF
  EXPECT_EQ(first_invalid_utf8("ab\xE2\x82"), 2u);                // truncated at the end
}

TEST(TokenizerUtf8, Table3_8MaximalSubparts) {
  // The Unicode Standard, table 3-8: 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64.
  const std::string bytes = "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64";
  const std::string expected = "a" + kFffd + kFffd + kFffd + "b" + kFffd + "c" + kFffd + kFffd + "d";
  std::string out;
  EXPECT_EQ(append_utf8_lossy(bytes, false, out), bytes.size());
  EXPECT_EQ(out, expected);
  EXPECT_EQ(lossy_reference(bytes), expected);  // the oracle agrees with the standard too
  EXPECT_EQ(stream(ids_of_bytes(bytes)), expected);
}

TEST(StreamDecoder, HoldsBackAPartialCharacter) {
  std::vector<std::string> parts;
  const std::string euro = "\xE2\x82\xAC";
  EXPECT_EQ(stream(ids_of_bytes("a" + euro + "b"), &parts), "a" + euro + "b");
  EXPECT_EQ(parts, (std::vector<std::string>{"a", "", "", euro, "b", ""}));
}

TEST(StreamDecoder, FlushReplacesWhatIsLeft) {
  StreamDecoder decoder(shared_tokenizer());
  EXPECT_EQ(decoder.push(byte_ids().at(0xF0)), "");
  EXPECT_EQ(decoder.push(byte_ids().at(0x9F)), "");
  EXPECT_EQ(decoder.flush(), kFffd);  // one maximal subpart, one U+FFFD
  EXPECT_EQ(decoder.flush(), "");     // and the decoder starts over
  EXPECT_EQ(decoder.push(byte_ids().at('x')), "x");
}

TEST(StreamDecoder, BrokenSequencesAreNotHeldBack) {
  StreamDecoder decoder(shared_tokenizer());
  EXPECT_EQ(decoder.push(byte_ids().at(0xFF)), kFffd);
  EXPECT_EQ(decoder.push(byte_ids().at(0xE2)), "");
  EXPECT_EQ(decoder.push(byte_ids().at('q')), kFffd + "q");  // the E2 can no longer complete
}

TEST(StreamDecoder, SpecialsAreTheirNames) {
  StreamDecoder decoder(shared_tokenizer());
  EXPECT_EQ(decoder.push(special::kStart), "<|start|>");
  EXPECT_EQ(decoder.push(byte_ids().at(0xC3)), "");
  // A special after a partial character: the character is broken, the name still comes through.
  EXPECT_EQ(decoder.push(special::kEnd), kFffd + "<|end|>");
}

TEST(StreamDecoder, UnknownIdIsNamedAndConsumesNothing) {
  StreamDecoder decoder(shared_tokenizer());
  EXPECT_EQ(decoder.push(byte_ids().at(0xC3)), "");
  try {
    decoder.push(201088);
    FAIL() << "expected TokenizerError";
  } catch (const TokenizerError& e) {
    EXPECT_NE(std::string(e.what()).find("201088"), std::string::npos) << e.what();
  }
  EXPECT_EQ(decoder.push(byte_ids().at(0xA9)), "\xC3\xA9");
}

TEST(StreamDecoder, RandomIdsEqualOneShotDecode) {
  // Arbitrary ids, half of them single bytes so that characters are split across ids often.
  std::mt19937 rng(2024);
  const std::vector<std::pair<uint8_t, int32_t>> singles(byte_ids().begin(), byte_ids().end());
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<int32_t> ids(rng() % 40);
    for (int32_t& id : ids) id = rng() % 2 ? singles[rng() % singles.size()].second : int32_t(rng() % 201088);
    std::vector<std::string> parts;
    const std::string streamed = stream(ids, &parts);
    ASSERT_EQ(streamed, lossy_reference(shared_tokenizer().decode(ids))) << "trial " << trial;
    for (const std::string& part : parts) ASSERT_EQ(first_invalid_utf8(part), std::string_view::npos);
  }
}

}  // namespace
}  // namespace gptoss::tokenizer
