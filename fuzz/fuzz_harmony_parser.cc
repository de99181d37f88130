// The streaming harmony parser on arbitrary token streams: the first byte picks the options
// (strict, a start role, free-text recovery), every 3 bytes after it make one id in
// [0, vocab + 16) (a few ids past the vocabulary on purpose). It never throws from push/finish,
// and parse_tokens agrees with it.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "chat/harmony_parser.h"
#include "shared_tokenizer.h"
#include "tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gptoss::chat;
  if (size == 0) return 0;
  const auto& tok = shared_tokenizer();
  ParserOptions options;
  options.strict = data[0] & 1;
  if (data[0] & 2) options.role = "assistant";
  if (data[0] & 4) options.max_header_tokens = 1 + (data[0] >> 3);
  std::vector<int32_t> ids;
  const uint32_t range = static_cast<uint32_t>(tok.vocab_size()) + 16;
  for (size_t i = 1; i + 3 <= size; i += 3)
    ids.push_back(static_cast<int32_t>((data[i] | data[i + 1] << 8 | data[i + 2] << 16) % range));

  HarmonyParser parser(tok, options);
  bool ok = true;
  for (int32_t id : ids) ok = parser.push(id) && ok;
  ok = parser.finish() && ok;
  if (ok != !parser.error().has_value()) std::abort();
  try {
    const std::vector<Message> messages = parse_tokens(tok, ids, options, /*eos=*/true);
    if (!ok || messages.size() != parser.messages().size()) std::abort();
  } catch (const ParseError&) {
    if (ok) std::abort();
  }
  return 0;
}
