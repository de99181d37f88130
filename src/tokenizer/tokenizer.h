// o200k_harmony: the tokenizer of gpt-oss. The tokenizer room's only public header.
//
// Agrees with OpenAI's tiktoken on every input: tiktoken's pre-tokenizer regex (PCRE2, UTF+UCP,
// classes as Unicode 16 defines them, as in tiktoken's Rust regex) followed by byte-level BPE by
// merge rank over o200k_base, plus harmony's special tokens (ids 199998..201087). A loaded
// Tokenizer is immutable; every const method is thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace gptoss::tokenizer {

class TokenizerError : public gptoss::Error {
 public:
  using gptoss::Error::Error;
};

// Text given to encode is not valid UTF-8; byte_offset() is where the first bad sequence starts.
class InvalidUtf8Error : public TokenizerError {
 public:
  InvalidUtf8Error(const std::string& message, size_t byte_offset)
      : TokenizerError(message), byte_offset_(byte_offset) {}
  size_t byte_offset() const { return byte_offset_; }

 private:
  size_t byte_offset_;
};

// Named special tokens of o200k_harmony (shared/data/README.md).
namespace special {
inline constexpr int32_t kStartOfText = 199998;
inline constexpr int32_t kEndOfText = 199999;
inline constexpr int32_t kReturn = 200002;
inline constexpr int32_t kConstrain = 200003;
inline constexpr int32_t kChannel = 200005;
inline constexpr int32_t kStart = 200006;
inline constexpr int32_t kEnd = 200007;
inline constexpr int32_t kMessage = 200008;
inline constexpr int32_t kCall = 200012;
}  // namespace special

class Tokenizer {
 public:
  // Loads the o200k_base ranks from a .tiktoken file and checks its sha256; throws
  // TokenizerError naming the file (and line:col) on any problem, including a sha256 mismatch.
  static std::shared_ptr<const Tokenizer> load(const std::string& tiktoken_path);
  // The vocabulary shipped in assets/o200k_base.tiktoken, looked for in $GPT_OSS_ASSETS (if set,
  // only there), then <exe dir>/../share/gpt-oss-chat (installed), <exe dir>/../assets,
  // <exe dir>/assets, then the source tree's assets/.
  // Throws TokenizerError naming the file, or listing the places tried.
  static std::shared_ptr<const Tokenizer> load_default();

  ~Tokenizer();

  // Ordinary text: special-token strings are plain text. Throws InvalidUtf8Error with the byte
  // offset of the first invalid UTF-8 sequence.
  std::vector<int32_t> encode(std::string_view text) const;
  // Recognises the special tokens named in `allowed` (e.g. "<|start|>"), or all of them when
  // allow_all is true; other special-token strings stay plain text. Throws TokenizerError for a
  // name in `allowed` that is not a special token, InvalidUtf8Error as encode.
  std::vector<int32_t> encode_with_special(std::string_view text, std::span<const std::string> allowed,
                                           bool allow_all = false) const;

  // Raw bytes of the ids (specials as their names); may be invalid UTF-8 if the ids split a
  // character. Throws TokenizerError naming the first id outside [0, vocab_size()).
  std::string decode(std::span<const int32_t> ids) const;
  // Bytes of one id (a special's name for a special), or nullopt if it is not a token.
  std::optional<std::string_view> token_bytes(int32_t id) const;

  std::optional<int32_t> special_id(std::string_view name) const;  // "<|end|>" -> 200007
  std::optional<std::string_view> special_name(int32_t id) const;  // 200007 -> "<|end|>"
  bool is_special(int32_t id) const;
  int32_t vocab_size() const;  // 201088

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Decodes one id at a time and yields only complete UTF-8; partial sequences are held back.
// The concatenation of every push() and a final flush() equals decode(ids) with ill-formed
// sequences replaced by U+FFFD (maximal subparts, as Python's errors="replace"); for ids whose
// bytes are valid UTF-8 it is exactly decode(ids). Not thread-safe; one per stream.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer);
  // Returns the text that became complete with this id (possibly empty). Throws TokenizerError
  // naming an unknown id (nothing is consumed then).
  std::string push(int32_t id);
  // Returns what is held back, with each incomplete sequence replaced by U+FFFD, and resets.
  std::string flush();

 private:
  const Tokenizer* tokenizer_;
  std::string pending_;  // at most 3 bytes: the start of a character not yet complete
};

}  // namespace gptoss::tokenizer
