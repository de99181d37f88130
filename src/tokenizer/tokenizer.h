// o200k_harmony: the tokenizer of gpt-oss. The tokenizer room's only public header.
#pragma once

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
  // TokenizerError naming the file (and line) on any problem.
  static std::shared_ptr<const Tokenizer> load(const std::string& tiktoken_path);
  // The vocabulary shipped in assets/ (found next to the executable or in the source tree).
  static std::shared_ptr<const Tokenizer> load_default();

  ~Tokenizer();

  // Ordinary text: special-token strings are plain text. Throws TokenizerError with the byte
  // offset of the first invalid UTF-8 sequence. Thread-safe.
  std::vector<int32_t> encode(std::string_view text) const;
  // Recognises the special tokens named in `allowed` (e.g. "<|start|>"); all of them if
  // `allowed` is empty and allow_all is true.
  std::vector<int32_t> encode_with_special(std::string_view text, std::span<const std::string> allowed,
                                           bool allow_all = false) const;

  // Raw bytes of the ids (specials as their strings). Throws TokenizerError naming an unknown id.
  std::string decode(std::span<const int32_t> ids) const;
  // Bytes of one id, or nullopt if it is not a token.
  std::optional<std::string_view> token_bytes(int32_t id) const;

  std::optional<int32_t> special_id(std::string_view name) const;   // "<|end|>" -> 200007
  std::optional<std::string_view> special_name(int32_t id) const;   // 200007 -> "<|end|>"
  bool is_special(int32_t id) const;
  int32_t vocab_size() const;  // 201088

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Decodes one id at a time and yields only complete UTF-8; partial sequences are held back.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer);
  // Returns the text that became complete with this id (possibly empty).
  std::string push(int32_t id);
  // Returns what is held back, with each incomplete sequence replaced by U+FFFD.
  std::string flush();

 private:
  const Tokenizer* tokenizer_;
  std::string pending_;
};

}  // namespace gptoss::tokenizer
