// The o200k pre-tokenizer: splits text into pieces with tiktoken's regex (shared/data/README.md),
// compiled by PCRE2 with UTF and UCP, JIT-compiled where the platform allows.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gptoss::tokenizer {

// tiktoken's pat_str for o200k_base / o200k_harmony, byte for byte.
inline constexpr std::string_view kO200kPattern =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
    R"(|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
    R"(|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// kO200kPattern with \s and \S spelled out as Unicode White_Space, the set Rust's regex (tiktoken's
// engine) uses. PCRE2 10.42's \s with UCP also matches U+180E (White_Space only before Unicode
// 6.3), so the class is written out.
std::string pcre2_pattern();

// Rust's regex classifies with Unicode 16, PCRE2 10.42 with Unicode 14. For matching only, each
// code point whose classes differ (unicode16_delta.h: the letters, marks and digits of Unicode
// 15.0-16.0) is replaced by a stand-in that PCRE2 classifies as Unicode 16 does the original,
// with the same UTF-8 length so that byte offsets carry over. Returns nullopt when `text` (valid
// UTF-8) has none, which is the common case and costs no copy.
std::optional<std::string> with_unicode16_stand_ins(std::string_view text);
// The stand-in for c, or 0 if PCRE2 already classifies c as Unicode 16 does.
char32_t unicode16_stand_in(char32_t c);

class Pretokenizer {
 public:
  // Compiles the pattern; throws TokenizerError if PCRE2 refuses it.
  Pretokenizer();
  ~Pretokenizer();
  Pretokenizer(const Pretokenizer&) = delete;
  Pretokenizer& operator=(const Pretokenizer&) = delete;

  // Calls on_piece(piece) for each regex match in `text`, left to right. `text` must be valid
  // UTF-8 (not checked again here). Safe to call from several threads at once.
  template <typename OnPiece>
  void split(std::string_view text, OnPiece&& on_piece) const {
    const std::optional<std::string> stand_ins = with_unicode16_stand_ins(text);
    const std::string_view matched = stand_ins ? std::string_view(*stand_ins) : text;
    Matcher matcher(*this, matched);
    std::string_view piece;
    while (matcher.next(piece)) on_piece(text.substr(size_t(piece.data() - matched.data()), piece.size()));
  }

  bool jit_enabled() const;

 private:
  struct Compiled;

  // One pass over a text; owns the per-call PCRE2 match data, so matchers do not share state.
  class Matcher {
   public:
    Matcher(const Pretokenizer& owner, std::string_view text);
    ~Matcher();
    bool next(std::string_view& piece);

   private:
    const Compiled* compiled_;
    std::string_view text_;
    size_t pos_ = 0;
    void* match_data_;
  };

  std::unique_ptr<Compiled> compiled_;
};

}  // namespace gptoss::tokenizer
