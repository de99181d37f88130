// o200k_harmony on arbitrary input: the bytes are encoded (plain and with every special allowed;
// valid UTF-8 must round-trip, invalid UTF-8 is refused with its offset), and read as ids (4
// bytes each, any int32) they are decoded, in one go and streamed (unknown ids refused).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "shared_tokenizer.h"
#include "tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gptoss::tokenizer;
  const Tokenizer& tok = shared_tokenizer();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const std::vector<int32_t> ids = tok.encode(text);
    if (tok.decode(ids) != text) std::abort();
    const std::vector<int32_t> special = tok.encode_with_special(text, {}, /*allow_all=*/true);
    if (tok.decode(special) != text) std::abort();
  } catch (const InvalidUtf8Error& e) {
    if (e.byte_offset() >= size) std::abort();
  }

  std::vector<int32_t> ids(size / 4);
  if (!ids.empty()) std::memcpy(ids.data(), data, ids.size() * 4);
  bool known = true;
  for (int32_t id : ids) known = known && tok.token_bytes(id).has_value();
  try {
    (void)tok.decode(ids);
    if (!known) std::abort();
  } catch (const TokenizerError&) {
    if (known) std::abort();
  }
  StreamDecoder stream(tok);
  for (int32_t id : ids) {
    try {
      (void)stream.push(id);
    } catch (const TokenizerError&) {
    }
  }
  (void)stream.flush();
  return 0;
}
