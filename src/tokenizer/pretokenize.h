// The o200k pre-tokenizer: splits text into pieces with tiktoken's regex (shared/data/README.md),
// compiled by PCRE2 with UTF and UCP, JIT-compiled where the platform allows.
#pragma once

#include <memory>
#include <string_view>

namespace gptoss::tokenizer {

// tiktoken's pat_str for o200k_base / o200k_harmony, byte for byte.
inline constexpr std::string_view kO200kPattern =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
    R"(|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
    R"(|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// kO200kPattern with every \s and \S spelled out as Unicode White_Space, the set Rust's regex
// (tiktoken's engine) uses. PCRE2 10.42's \s with UCP differs: it also matches U+180E (White_Space
// only before Unicode 6.3), so the class is written out (tests/tokenizer/pretokenize_test.cc).
std::string pcre2_pattern();

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
    Matcher matcher(*this, text);
    std::string_view piece;
    while (matcher.next(piece)) on_piece(piece);
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
