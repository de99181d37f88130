#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace gptoss::tokenizer {

StreamDecoder::StreamDecoder(const Tokenizer& tokenizer) : tokenizer_(&tokenizer) {}

std::string StreamDecoder::push(int32_t id) {
  const std::optional<std::string_view> bytes = tokenizer_->token_bytes(id);
  if (!bytes) throw TokenizerError("decode: unknown token id " + std::to_string(id));
  pending_.append(*bytes);
  std::string text;
  const size_t consumed = append_utf8_lossy(pending_, /*hold_back_truncated=*/true, text);
  pending_.erase(0, consumed);
  return text;
}

std::string StreamDecoder::flush() {
  std::string text;
  append_utf8_lossy(pending_, /*hold_back_truncated=*/false, text);
  pending_.clear();
  return text;
}

}  // namespace gptoss::tokenizer
