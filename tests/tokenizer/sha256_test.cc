// SHA-256 against the FIPS 180-4 / NIST example digests, and the shipped vocabulary's pinned hash.
#include "tokenizer/sha256.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tokenizer/test_support.h"
#include "tokenizer/vocab.h"

namespace gptoss::tokenizer {
namespace {

using testing::kAssetsVocab;

// The digest, after checking that the portable and hardware paths agree on it.
std::string hex_of(std::string_view text) {
  const auto bytes = std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  const std::string portable = sha256_hex(bytes, /*use_sha_extensions=*/false);
  EXPECT_EQ(sha256_hex(bytes, /*use_sha_extensions=*/true), portable);
  return portable;
}

TEST(Sha256, NistExamples) {
  EXPECT_EQ(hex_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // 448 bits: the padding spills into a second block.
  EXPECT_EQ(hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex_of(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, PaddingBoundaries) {
  // 55, 56 and 64 bytes straddle the one-or-two padding blocks decision.
  EXPECT_EQ(hex_of(std::string(55, 'a')), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(hex_of(std::string(56, 'a')), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(hex_of(std::string(64, 'a')), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(Sha256, ShippedVocabularyHasThePinnedHash) {
  std::ifstream in(kAssetsVocab, std::ios::binary);
  ASSERT_TRUE(in);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  EXPECT_EQ(hex_of(bytes.str()), kO200kBaseSha256);
}

}  // namespace
}  // namespace gptoss::tokenizer
