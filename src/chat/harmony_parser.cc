// The streaming harmony parser (spec/harmony.md section 8), rule for rule as harmony v0.0.8's
// StreamableParser: expect <|start|>, collect the header until <|message|>, then content until a
// stop token or the end of the stream.
#include "chat/harmony_parser.h"

#include <algorithm>

#include "tokenizer/tokenizer.h"

namespace gptoss::chat {
namespace {

namespace special = tokenizer::special;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kChannelMarker = "<|channel|>";
constexpr std::string_view kConstrainMarker = "<|constrain|>";

bool is_stop_token(int32_t id) {
  return id == special::kEnd || id == special::kCall || id == special::kReturn;
}

bool is_role(std::string_view word) {
  return word == "user" || word == "assistant" || word == "system" || word == "developer" || word == "tool";
}

// Decodes the UTF-8 at the front of `bytes` into `out`: each maximal invalid subpart becomes
// U+FFFD (as Rust's from_utf8_lossy does). Returns the number of trailing bytes that are an
// unfinished but so far valid sequence; with `final`, those become one U+FFFD instead.
size_t decode_utf8(std::string_view bytes, bool final, std::string& out) {
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    if (b < 0x80) {
      out += static_cast<char>(b);
      ++i;
      continue;
    }
    // Unicode Table 3-7: the length of the sequence, and the range of its second byte.
    size_t continuation = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      continuation = 1;
    } else if (b == 0xE0) {
      continuation = 2, lo = 0xA0;
    } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
      continuation = 2;
    } else if (b == 0xED) {
      continuation = 2, hi = 0x9F;
    } else if (b == 0xF0) {
      continuation = 3, lo = 0x90;
    } else if (b >= 0xF1 && b <= 0xF3) {
      continuation = 3;
    } else if (b == 0xF4) {
      continuation = 3, hi = 0x8F;
    } else {  // a continuation byte or C0, C1, F5..FF: never a lead byte
      out += kReplacement;
      ++i;
      continue;
    }
    size_t j = 1;  // bytes of this sequence that are valid so far
    for (; j <= continuation && i + j < n; ++j) {
      const auto c = static_cast<unsigned char>(bytes[i + j]);
      if (c < (j == 1 ? lo : 0x80) || c > (j == 1 ? hi : 0xBF)) break;
    }
    if (j == continuation + 1) {
      out.append(bytes.substr(i, j));
      i += j;
    } else if (i + j == n) {  // unfinished: wait for the next token, or give up at the end
      if (!final) return n - i;
      out += kReplacement;
      i = n;
    } else {  // broken by an unexpected byte: the valid prefix is one maximal subpart
      out += kReplacement;
      i += j;
    }
  }
  return 0;
}

// Rust's char::is_whitespace (Unicode White_Space) for the code point starting at s[i]; sets
// `len` to its byte length.
bool is_unicode_space_at(std::string_view s, size_t i, size_t& len) {
  static constexpr std::string_view kSpaces[] = {
      "\xC2\x85",     "\xC2\xA0",     "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x81",
      "\xE2\x80\x82", "\xE2\x80\x83", "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86",
      "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A", "\xE2\x80\xA8",
      "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80"};
  const char c = s[i];
  if (c == ' ' || (c >= '\t' && c <= '\r')) {
    len = 1;
    return true;
  }
  for (std::string_view space : kSpaces) {
    if (s.substr(i, space.size()) == space) {
      len = space.size();
      return true;
    }
  }
  return false;
}

// str::trim(): strips Unicode whitespace at both ends.
std::string trim(std::string_view s) {
  size_t begin = 0, len = 0;
  while (begin < s.size() && is_unicode_space_at(s, begin, len)) begin += len;
  size_t end = begin;  // one past the last non-space code point
  for (size_t i = begin; i < s.size();) {
    if (is_unicode_space_at(s, i, len)) {
      i += len;
    } else {
      i += 1;
      while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
      end = i;
    }
  }
  return std::string(s.substr(begin, end - begin));
}

// str::split_ascii_whitespace().
std::vector<std::string> split_ascii_whitespace(std::string_view s) {
  std::vector<std::string> words;
  size_t i = 0;
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'; };
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    size_t begin = i;
    while (i < s.size() && !is_space(s[i])) ++i;
    if (i > begin) words.emplace_back(s.substr(begin, i - begin));
  }
  return words;
}

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) out += (i ? " " : "") + words[i];
  return out;
}

// Steps 1-4 of section 8. With parse_recipient false (a malformed message in non-strict mode),
// every word after the role is left over; the leftover words are returned joined by spaces.
// Returns nullopt with `error` set if the header is malformed. Does not throw: the streaming
// parser calls it on the per-token path.
std::optional<Message> parse_header_words(std::string_view header_text,
                                          const std::optional<std::string>& given_role, bool parse_recipient,
                                          std::string& leftover, std::string& error) {
  Message header;
  std::string text(header_text);
  // 1. The channel: after <|channel|>, up to whitespace or '<'; cut out of the header.
  if (size_t at = text.find(kChannelMarker); at != std::string::npos) {
    const size_t value_begin = at + kChannelMarker.size();
    size_t value_end = value_begin, len = 0;
    while (value_end < text.size() && text[value_end] != '<' && !is_unicode_space_at(text, value_end, len))
      ++value_end;
    if (value_end == value_begin) {
      error = "channel marker present but no channel value found in header";
      return std::nullopt;
    }
    header.channel = text.substr(value_begin, value_end - value_begin);
    text = text.substr(0, at) + text.substr(value_end);
  }
  // 2. Trim; split a content type glued to what precedes it ("to=x<|constrain|>json").
  text = trim(text);
  if (text.find(kConstrainMarker) != std::string::npos) {
    std::string spaced;
    for (size_t i = 0; i < text.size();) {
      if (text.compare(i, kConstrainMarker.size(), kConstrainMarker) == 0) {
        spaced += " ";
        spaced += kConstrainMarker;
        i += kConstrainMarker.size();
      } else {
        spaced += text[i++];
      }
    }
    text = trim(spaced);
  }
  std::vector<std::string> words = split_ascii_whitespace(text);
  // 3. The role: given, or the first word; an unknown first word with more after it is a tool.
  if (given_role) {
    header.role = *given_role;
  } else {
    if (words.empty()) {
      error = "message header did not contain a role";
      return std::nullopt;
    }
    const std::string first = words.front();
    if (is_role(first)) {
      header.role = first;
    } else if (words.size() > 1 || first.starts_with("to=")) {
      header.role = "tool";
      header.name = first;
      words.erase(words.begin());
    } else {
      error = "Unknown role: " + json_quoted(first);
      return std::nullopt;
    }
  }
  if (!words.empty() && words.front() == header.role) words.erase(words.begin());
  // 4. Recipient and content type, from the end.
  if (parse_recipient && !words.empty()) {
    const size_t count = words.size();
    std::string last = words.back();
    words.pop_back();
    if (last.starts_with("to=")) {
      header.recipient = last.substr(3);
    } else if (count == 1) {  // v0.0.8: even "<|constrain|>json" alone is taken as the recipient
      header.recipient = last;
    } else {
      header.content_type = last;
      if (!words.empty()) {
        std::string recipient = words.back();
        words.pop_back();
        header.recipient = recipient.starts_with("to=") ? recipient.substr(3) : recipient;
      }
    }
  }
  leftover = join_words(words);
  return header;
}

// Steps 1-4, with words left over an error (strict headers). Returns nullopt with `error` set.
std::optional<Message> parse_full_header(std::string_view header_text, const std::optional<std::string>& role,
                                         std::string& error) {
  std::string leftover;
  std::optional<Message> header =
      parse_header_words(header_text, role, /*parse_recipient=*/true, leftover, error);
  if (header && !leftover.empty()) {
    error = "unexpected tokens remaining in message header: " + json_quoted(leftover);
    return std::nullopt;
  }
  return header;
}

class NullSink : public EventSink {};

}  // namespace

Message parse_header(std::string_view header_text, const std::optional<std::string>& role) {
  std::string error;
  std::optional<Message> header = parse_full_header(header_text, role, error);
  if (!header) throw ParseError(error);
  return *header;
}

HarmonyParser::HarmonyParser(const tokenizer::Tokenizer& tokenizer, ParserOptions options)
    : tokenizer_(&tokenizer), options_(std::move(options)), next_role_(options_.role) {
  state_ = next_role_ ? State::kHeader : State::kExpectStart;
}

std::optional<Message> HarmonyParser::current() const {
  if (state_ != State::kContent) return std::nullopt;
  return current_;
}

bool HarmonyParser::fail(std::string message) {
  const std::string where = tokens_.empty() ? "start"
                                            : "token " + std::to_string(tokens_.size() - 1) + " (id " +
                                                  std::to_string(tokens_.back()) + ")";
  error_ = where + ": " + message;
  return false;
}

bool HarmonyParser::push(int32_t id) {
  NullSink sink;
  return push(id, sink);
}

bool HarmonyParser::finish() {
  NullSink sink;
  return finish(sink);
}

bool HarmonyParser::push(int32_t id, EventSink& sink) {
  if (error_) return false;
  tokens_.push_back(id);
  switch (state_) {
    case State::kExpectStart:
      if (id != special::kStart && options_.max_header_tokens > 0) {
        if (is_stop_token(id)) return true;  // a stray terminator ends nothing
        begin_free_text(sink);
        push_content_token(id, sink);
        return true;
      }
      if (id != special::kStart) {
        return fail("Unexpected token " + std::to_string(id) + " while expecting start token " +
                    std::to_string(special::kStart) + " (<|start|>)");
      }
      header_tokens_.clear();
      state_ = State::kHeader;
      return true;
    case State::kHeader:
      if (id == special::kMessage) {
        std::optional<std::string> text = header_text();
        if (!text) return false;
        std::string error;
        std::optional<Message> header = parse_full_header(*text, next_role_, error);
        if (!header) return fail(error);
        current_ = std::move(*header);
        next_role_.reset();
        pending_bytes_.clear();
        state_ = State::kContent;
        sink.on_message_begin(current_);
        return true;
      }
      if (!options_.strict && is_stop_token(id)) return close_malformed_header(id, sink);
      header_tokens_.push_back(id);  // strict: even a stop token is header text here
      if (options_.max_header_tokens > 0 && header_tokens_.size() > options_.max_header_tokens) {
        std::vector<int32_t> text_tokens;
        text_tokens.swap(header_tokens_);
        begin_free_text(sink);
        for (int32_t t : text_tokens) push_content_token(t, sink);
      }
      return true;
    case State::kContent:
      if (is_stop_token(id)) {
        end_message(id, sink);
        return true;
      }
      push_content_token(id, sink);
      return true;
  }
  return true;
}

void HarmonyParser::push_content_token(int32_t id, EventSink& sink) {
  if (tokenizer_->is_special(id)) return;  // markup never becomes content
  if (std::optional<std::string_view> bytes = tokenizer_->token_bytes(id)) {
    push_content_bytes(*bytes, sink);
  } else {  // not a token: flush what is held back, then U+FFFD
    std::string text;
    decode_utf8(pending_bytes_, /*final=*/true, text);
    pending_bytes_.clear();
    text += kReplacement;
    current_.content += text;
    sink.on_content_delta(text);
  }
}

void HarmonyParser::begin_free_text(EventSink& sink) {
  current_ = Message{};
  current_.role = next_role_.value_or("assistant");
  next_role_.reset();
  header_tokens_.clear();
  pending_bytes_.clear();
  state_ = State::kContent;
  sink.on_message_begin(current_);
}

bool HarmonyParser::finish(EventSink& sink) {
  if (error_) return false;
  switch (state_) {
    case State::kExpectStart:
      return true;  // e.g. right after a stop token
    case State::kHeader:
      error_ = "end of stream: Unexpected EOS while waiting for message header to complete";
      return false;
    case State::kContent:
      end_message(std::nullopt, sink);
      return true;
  }
  return true;
}

std::optional<std::string> HarmonyParser::header_text() {
  std::string text;
  for (int32_t id : header_tokens_) {
    if (std::optional<std::string_view> name = tokenizer_->special_name(id)) {
      text += *name;
    } else if (std::optional<std::string_view> bytes = tokenizer_->token_bytes(id)) {
      text += *bytes;
    } else {
      fail("could not decode header: unknown token id " + std::to_string(id));
      return std::nullopt;
    }
  }
  std::string checked;
  if (decode_utf8(text, /*final=*/true, checked) != 0 || checked != text) {
    fail("could not decode header: invalid UTF-8");
    return std::nullopt;
  }
  return text;
}

void HarmonyParser::push_content_bytes(std::string_view bytes, EventSink& sink) {
  pending_bytes_ += bytes;
  std::string text;
  const size_t held = decode_utf8(pending_bytes_, /*final=*/false, text);
  pending_bytes_.erase(0, pending_bytes_.size() - held);
  if (text.empty()) return;
  current_.content += text;
  sink.on_content_delta(text);
}

void HarmonyParser::end_message(std::optional<int32_t> terminator, EventSink& sink) {
  if (!pending_bytes_.empty()) {  // an unfinished sequence at the end: lossy
    std::string text;
    decode_utf8(pending_bytes_, /*final=*/true, text);
    pending_bytes_.clear();
    current_.content += text;
    sink.on_content_delta(text);
  }
  messages_.push_back(current_);
  state_ = State::kExpectStart;
  sink.on_message_end(messages_.back(), terminator);
}

bool HarmonyParser::close_malformed_header(int32_t terminator, EventSink& sink) {
  // As harmony: only the first message (the one started with a given role) is kept; its header
  // words after the role become the content.
  const bool keep = next_role_.has_value() && !header_tokens_.empty();
  if (keep) {
    std::optional<std::string> text = header_text();
    if (!text) return false;
    std::string leftover, error;
    std::optional<Message> header =
        parse_header_words(*text, next_role_, /*parse_recipient=*/false, leftover, error);
    if (!header) return fail(error);
    current_ = std::move(*header);
    sink.on_message_begin(current_);
    current_.content = leftover;
    if (!leftover.empty()) sink.on_content_delta(leftover);
    messages_.push_back(current_);
    sink.on_message_end(messages_.back(), terminator);
  }
  next_role_.reset();
  state_ = State::kExpectStart;
  return true;
}

std::vector<Message> parse_tokens(const tokenizer::Tokenizer& tokenizer, std::span<const int32_t> tokens,
                                  const ParserOptions& options, bool eos) {
  HarmonyParser parser(tokenizer, options);
  for (int32_t id : tokens) {
    if (!parser.push(id)) throw ParseError(*parser.error());
  }
  if (eos && !parser.finish()) throw ParseError(*parser.error());
  return parser.messages();
}

}  // namespace gptoss::chat
