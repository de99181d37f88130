#include "tokenizer/utf8.h"

#include <cstdint>

namespace gptoss::tokenizer {

Utf8Sequence next_utf8_sequence(std::string_view text) {
  const auto byte = [&](size_t i) { return uint8_t(text[i]); };
  const uint8_t lead = byte(0);
  if (lead < 0x80) return {Utf8Status::kComplete, 1};

  // Table 3-7: the sequence length and the allowed range of the second byte by lead byte; the
  // third and fourth bytes are always 80..BF.
  size_t length = 0;
  uint8_t second_lo = 0x80, second_hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_lo = 0xA0;  // no overlong forms
    if (lead == 0xED) second_hi = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_lo = 0x90;  // no overlong forms
    if (lead == 0xF4) second_hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return {Utf8Status::kInvalid, 1};  // a continuation byte, C0, C1 or F5..FF
  }

  for (size_t i = 1; i < length; ++i) {
    if (i >= text.size()) return {Utf8Status::kTruncated, i};
    const uint8_t lo = i == 1 ? second_lo : 0x80;
    const uint8_t hi = i == 1 ? second_hi : 0xBF;
    if (byte(i) < lo || byte(i) > hi) return {Utf8Status::kInvalid, i};
  }
  return {Utf8Status::kComplete, length};
}

size_t first_invalid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    // ASCII fast path: eight bytes at a time while none has its top bit set.
    while (i + 8 <= text.size()) {
      uint64_t word = 0;
      for (int k = 0; k < 8; ++k) word |= uint64_t(uint8_t(text[i + k])) << (8 * k);
      if (word & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= text.size()) break;
    const Utf8Sequence seq = next_utf8_sequence(text.substr(i));
    if (seq.status != Utf8Status::kComplete) return i;
    i += seq.length;
  }
  return std::string_view::npos;
}

size_t append_utf8_lossy(std::string_view bytes, bool hold_back_truncated, std::string& out) {
  size_t i = 0;
  while (i < bytes.size()) {
    const Utf8Sequence seq = next_utf8_sequence(bytes.substr(i));
    switch (seq.status) {
      case Utf8Status::kComplete:
        out.append(bytes.substr(i, seq.length));
        break;
      case Utf8Status::kTruncated:
        if (hold_back_truncated) return i;
        out.append(kReplacementCharacter);
        break;
      case Utf8Status::kInvalid:
        out.append(kReplacementCharacter);
        break;
    }
    i += seq.length;
  }
  return i;
}

}  // namespace gptoss::tokenizer
