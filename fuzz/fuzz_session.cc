// The session file parser on arbitrary text: it refuses with SessionFileError, or the session it
// returns saves to JSON that parses back to the same session.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "chat/session_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace gptoss::chat;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const SessionFile file = parse_session(text, "fuzz.json");
    const std::string saved =
        session_to_json(file).dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    const SessionFile again = parse_session(saved, "saved.json");
    if (session_to_json(again) != session_to_json(file)) std::abort();
  } catch (const SessionFileError&) {
  }
  return 0;
}
