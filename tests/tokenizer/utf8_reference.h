// An independent UTF-8 oracle for the tests, written from the definitions rather than from
// utf8.cc's byte table: a sequence is well-formed iff it decodes to a scalar value whose
// shortest encoding is exactly those bytes; a maximal subpart is the longest prefix of some
// well-formed sequence (Unicode §3.9, "U+FFFD substitution of maximal subparts").
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace gptoss::tokenizer::testing {

inline std::string encode_scalar(char32_t c) {
  std::string s;
  if (c < 0x80) {
    s += char(c);
  } else if (c < 0x800) {
    s += char(0xC0 | (c >> 6));
    s += char(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    s += char(0xE0 | (c >> 12));
    s += char(0x80 | ((c >> 6) & 0x3F));
    s += char(0x80 | (c & 0x3F));
  } else {
    s += char(0xF0 | (c >> 18));
    s += char(0x80 | ((c >> 12) & 0x3F));
    s += char(0x80 | ((c >> 6) & 0x3F));
    s += char(0x80 | (c & 0x3F));
  }
  return s;
}

inline bool is_scalar(char32_t c) { return c < 0x110000 && !(c >= 0xD800 && c < 0xE000); }

// True if `bytes` is exactly one well-formed character.
inline bool is_one_character(std::string_view bytes) {
  if (bytes.empty() || bytes.size() > 4) return false;
  const uint8_t lead = uint8_t(bytes[0]);
  char32_t c = 0;
  if (bytes.size() == 1) {
    c = lead;
  } else {
    // Take the lead's payload bits for this length, then six bits per continuation.
    const int payload = 7 - int(bytes.size());
    c = lead & ((1u << payload) - 1);
    for (size_t i = 1; i < bytes.size(); ++i) c = c << 6 | (uint8_t(bytes[i]) & 0x3F);
  }
  return is_scalar(c) && encode_scalar(c) == bytes;
}

// Every proper prefix (1..3 bytes) of a well-formed multi-byte character.
inline const std::set<std::string>& proper_prefixes() {
  static const std::set<std::string> prefixes = [] {
    std::set<std::string> out;
    for (char32_t c = 0x80; c < 0x110000; ++c) {
      if (!is_scalar(c)) continue;
      const std::string s = encode_scalar(c);
      for (size_t m = 1; m < s.size(); ++m) out.insert(s.substr(0, m));
    }
    return out;
  }();
  return prefixes;
}

// bytes with each maximal subpart of an ill-formed sequence replaced by U+FFFD.
inline std::string lossy_reference(std::string_view bytes) {
  std::string out;
  size_t i = 0;
  while (i < bytes.size()) {
    size_t taken = 0;
    for (size_t k = 1; k <= 4 && i + k <= bytes.size(); ++k) {
      if (is_one_character(bytes.substr(i, k))) taken = k;
    }
    if (taken) {
      out.append(bytes.substr(i, taken));
      i += taken;
      continue;
    }
    size_t subpart = 1;
    for (size_t m = 3; m >= 1; --m) {
      if (i + m <= bytes.size() && proper_prefixes().count(std::string(bytes.substr(i, m)))) {
        subpart = m;
        break;
      }
    }
    out += "\xEF\xBF\xBD";
    i += subpart;
  }
  return out;
}

inline bool is_valid_utf8_reference(std::string_view bytes) { return lossy_reference(bytes) == bytes; }

}  // namespace gptoss::tokenizer::testing
