// UTF-8 well-formedness (Unicode 15, table 3-7), shared by encode (reject bad input) and the
// streaming decoder (hold back partial sequences, replace broken ones by U+FFFD).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gptoss::tokenizer {

enum class Utf8Status {
  kComplete,   // a whole well-formed sequence of `length` bytes
  kTruncated,  // the bytes seen so far start a well-formed sequence but the input ends
  kInvalid,    // ill-formed; `length` is the maximal subpart to replace by one U+FFFD (>= 1)
};

struct Utf8Sequence {
  Utf8Status status;
  size_t length;
};

// Classifies the sequence that starts at text[0] (text must not be empty).
Utf8Sequence next_utf8_sequence(std::string_view text);

// Byte offset of the first ill-formed or truncated sequence, or npos if `text` is valid UTF-8.
size_t first_invalid_utf8(std::string_view text);

// Appends `bytes` to `out` with each ill-formed sequence replaced by U+FFFD (the "maximal
// subpart" practice, as Python's errors="replace"). A truncated sequence at the very end is left
// unconsumed when hold_back_truncated is set; returns the number of bytes consumed.
size_t append_utf8_lossy(std::string_view bytes, bool hold_back_truncated, std::string& out);

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace gptoss::tokenizer
