// Limits on what the program reads, shared by every room: how deep JSON may nest, how much of a
// file or stream is read, and how much of a bad value an error message quotes.
//
//   const std::string text = read_capped(path, kMaxTextInputBytes);     // throws past the cap
//   if (auto p = excess_json_nesting(text)) throw Error(path + ": " + *p);
//   ... "(found " + capped(value.dump()) + ")"
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "common/error.h"

namespace gptoss {

// nlohmann parses, copies, compares and dumps JSON recursively, one stack frame per level, so
// text nested thousands of levels deep overflows the stack; every JSON the program reads is
// checked first. Real configs, indexes, headers, conversations and sessions nest a few levels
// (a tool schema a few more).
inline constexpr size_t kMaxJsonNesting = 256;

// Text inputs (JSON files, stdin, token lists) are read whole; /dev/zero or a huge file must
// not exhaust memory. 64 MiB is ~100x a long session file and ~2000x a 20b shard index.
inline constexpr size_t kMaxTextInputBytes = size_t{64} << 20;

// What an error message quotes of a value read from input, at most.
inline constexpr size_t kMaxQuotedBytes = 80;
// A JSON parser's own message quotes the input it last read ("last read: '...'"); its fixed
// part is ~100 bytes, so it gets the quote's 80 on top.
inline constexpr size_t kMaxParseErrorBytes = 200;

// The byte offset of the first '[' or '{' of JSON text that opens level max_nesting + 1 (brackets
// inside strings do not count), or std::string_view::npos if the text nests no deeper. Does not
// check anything else: the parser does.
inline size_t find_excess_json_nesting(std::string_view text, size_t max_nesting = kMaxJsonNesting) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, whatever it is
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_nesting) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::string_view::npos;
}

// 1-based line and column (in characters, not UTF-8 continuation bytes) of byte `offset`.
inline std::pair<size_t, size_t> line_col_of(std::string_view text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++col;
    }
  }
  return {line, col};
}

// The nesting check of every JSON reader: "<line>:<col>: nested too deeply (expected at most N
// levels)" naming the bracket that goes one level too deep, or nullopt when the text is fine.
// Callers prefix their file name and throw their room's error.
inline std::optional<std::string> excess_json_nesting(std::string_view text,
                                                      size_t max_nesting = kMaxJsonNesting) {
  const size_t at = find_excess_json_nesting(text, max_nesting);
  if (at == std::string_view::npos) return std::nullopt;
  const auto [line, col] = line_col_of(text, at);
  return std::to_string(line) + ":" + std::to_string(col) + ": nested too deeply (expected at most " +
         std::to_string(max_nesting) + " levels)";
}

// `text` cut to at most max_bytes (on a UTF-8 character boundary) with "..." appended when cut,
// so that a message quoting input stays short whatever the input holds.
inline std::string capped(std::string_view text, size_t max_bytes = kMaxQuotedBytes) {
  if (text.size() <= max_bytes) return std::string(text);
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

// "64 MiB" for the messages below.
inline std::string mib_text(size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

// All of `in`, or throws gptoss::Error "<source>: size: too large (expected at most 64 MiB, found
// more)" as soon as more than max_bytes arrive, so that /dev/zero is refused rather than read.
// Throws "<source>: read: <errno text>" on a read error.
inline std::string read_capped(std::FILE* in, size_t max_bytes, const std::string& source) {
  std::string bytes;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, in)) > 0) {
    if (n > max_bytes - bytes.size())
      throw Error(source + ": size: too large (expected at most " + mib_text(max_bytes) + ", found more)");
    bytes.append(buffer, n);
  }
  if (std::ferror(in)) throw Error(source + ": read: " + std::strerror(errno));
  return bytes;
}

// The file at `path`, read as read_capped does. Throws gptoss::Error "<path>: open: <errno text>".
inline std::string read_file_capped(const std::string& path, size_t max_bytes) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw Error(path + ": open: " + std::strerror(errno));
  try {
    std::string bytes = read_capped(f, max_bytes, path);
    std::fclose(f);
    return bytes;
  } catch (...) {
    std::fclose(f);
    throw;
  }
}

}  // namespace gptoss
