#include "tokenizer/pretokenize.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <iterator>
#include <string>

#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode16_delta.h"

namespace gptoss::tokenizer {
namespace {

// Unicode White_Space (PropList.txt), the meaning of \s in Rust's regex crate. It excludes
// U+180E, U+200B, U+FEFF and U+001C..U+001F.
constexpr std::string_view kWhiteSpace =
    R"(\t\n\x{0B}\f\r\x{20}\x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  pcre2_get_error_message(code, buffer, sizeof buffer);
  return reinterpret_cast<const char*>(buffer);
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

std::string pcre2_pattern() {
  // \s and \S only occur as a bare escape or as the first member of [^\s...], so a textual
  // rewrite is exact: [^\s -> [^WS, \s -> [WS], \S -> [^WS].
  const std::string ws(kWhiteSpace);
  std::string out(kO200kPattern);
  out = replace_all(out, R"([^\s)", "[^" + ws);
  out = replace_all(out, R"(\s)", "[" + ws + "]");
  out = replace_all(out, R"(\S)", "[^" + ws + "]");
  return out;
}

std::optional<std::string> with_unicode16_stand_ins(std::string_view text) {
  std::optional<std::string> out;
  for (size_t i = 0; i < text.size(); ++i) {
    const uint8_t lead = uint8_t(text[i]);
    // Bytes below E0 are ASCII, continuation bytes or lead bytes of U+0080..U+07FF, where
    // nothing changed class.
    if (lead < 0xE0) continue;
    const size_t length = lead < 0xF0 ? 3 : 4;
    if (i + length > text.size()) break;  // not valid UTF-8; the caller has checked
    char32_t c = lead & (length == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < length; ++k) c = c << 6 | (uint8_t(text[i + k]) & 0x3F);
    const char32_t stand_in = unicode16_stand_in(c);
    if (stand_in) {
      if (!out) out.emplace(text);
      for (size_t k = length - 1; k > 0; --k) {
        (*out)[i + k] = char(0x80 | ((stand_in >> (6 * (length - 1 - k))) & 0x3F));
      }
      (*out)[i] = char((length == 3 ? 0xE0 : 0xF0) | (stand_in >> (6 * (length - 1))));
    }
    i += length - 1;
  }
  return out;
}

char32_t unicode16_stand_in(char32_t c) {
  if (c < kUnicode16StandIns[0].first) return 0;
  const auto* end = std::end(kUnicode16StandIns);
  const auto* range = std::upper_bound(std::begin(kUnicode16StandIns), end, c,
                                       [](char32_t x, const Unicode16StandIn& r) { return x < r.first; });
  --range;  // the last range starting at or before c
  return c <= range->last ? range->stand_in : 0;
}

struct Pretokenizer::Compiled {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Compiled() { pcre2_code_free(code); }
};

Pretokenizer::Pretokenizer() : compiled_(std::make_unique<Compiled>()) {
  const std::string pattern = pcre2_pattern();
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  compiled_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                  PCRE2_UTF | PCRE2_UCP, &error, &error_offset, nullptr);
  if (!compiled_->code) {
    throw TokenizerError("pre-tokenizer regex: offset " + std::to_string(error_offset) + ": " +
                         pcre2_message(error));
  }
  // JIT is an optimisation only: without it (unsupported CPU, no executable memory) the
  // interpreter gives the same matches.
  compiled_->jit = pcre2_jit_compile(compiled_->code, PCRE2_JIT_COMPLETE) == 0;
}

Pretokenizer::~Pretokenizer() = default;

bool Pretokenizer::jit_enabled() const { return compiled_->jit; }

Pretokenizer::Matcher::Matcher(const Pretokenizer& owner, std::string_view text)
    : compiled_(owner.compiled_.get()), text_(text) {
  match_data_ = pcre2_match_data_create_from_pattern(compiled_->code, nullptr);
}

Pretokenizer::Matcher::~Matcher() { pcre2_match_data_free(static_cast<pcre2_match_data*>(match_data_)); }

bool Pretokenizer::Matcher::next(std::string_view& piece) {
  if (pos_ >= text_.size()) return false;
  auto* match_data = static_cast<pcre2_match_data*>(match_data_);
  const auto subject = reinterpret_cast<PCRE2_SPTR>(text_.data());
  int rc = PCRE2_ERROR_JIT_STACKLIMIT;
  if (compiled_->jit) {
    rc = pcre2_jit_match(compiled_->code, subject, text_.size(), pos_, 0, match_data, nullptr);
  }
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
    // The interpreter keeps its backtracking state on the heap, so it copes with any input.
    rc = pcre2_match(compiled_->code, subject, text_.size(), pos_, PCRE2_NO_UTF_CHECK, match_data, nullptr);
  }
  if (rc <= 0) {
    // Every character starts a match of some branch, so this only happens on resource limits;
    // the rest of the text then becomes one piece, which BPE still encodes losslessly.
    piece = text_.substr(pos_);
    pos_ = text_.size();
    return true;
  }
  const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match_data);
  if (ovector[0] > pos_) {
    // Unreachable for this pattern (matches tile the text); never drop text if it happens.
    piece = text_.substr(pos_, ovector[0] - pos_);
    pos_ = ovector[0];
    return true;
  }
  piece = text_.substr(ovector[0], ovector[1] - ovector[0]);
  // No branch can match the empty string, so ovector[1] > pos_ and the loop advances.
  pos_ = ovector[1];
  return true;
}

}  // namespace gptoss::tokenizer
