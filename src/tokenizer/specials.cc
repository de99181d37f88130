#include "tokenizer/specials.h"

#include "tokenizer/tokenizer.h"

namespace gptoss::tokenizer {
namespace {

struct NamedSpecial {
  int32_t id;
  std::string_view name;
};

// shared/data/README.md, "Special tokens of o200k_harmony".
constexpr NamedSpecial kNamed[] = {
    {special::kStartOfText, "<|startoftext|>"},
    {special::kEndOfText, "<|endoftext|>"},
    {special::kReturn, "<|return|>"},
    {special::kConstrain, "<|constrain|>"},
    {special::kChannel, "<|channel|>"},
    {special::kStart, "<|start|>"},
    {special::kEnd, "<|end|>"},
    {special::kMessage, "<|message|>"},
    {special::kCall, "<|call|>"},
};

// tiktoken's o200k_harmony keeps o200k_base's <|endofprompt|> at 200018, which is also
// <|reserved_200018|>; decoding prefers the reserved name, as tiktoken's own decoder does.
constexpr NamedSpecial kAlias = {200018, "<|endofprompt|>"};

}  // namespace

SpecialTokens::SpecialTokens() {
  names_.resize(kHarmonyVocabSize - kFirstSpecialId);
  for (int32_t id = kFirstSpecialId; id < kHarmonyVocabSize; ++id) {
    names_[id - kFirstSpecialId] = "<|reserved_" + std::to_string(id) + "|>";
  }
  for (const NamedSpecial& s : kNamed) names_[s.id - kFirstSpecialId] = std::string(s.name);
  for (int32_t id = kFirstSpecialId; id < kHarmonyVocabSize; ++id) {
    ids_.emplace(names_[id - kFirstSpecialId], id);
  }
  ids_.emplace(kAlias.name, kAlias.id);
}

std::optional<std::string_view> SpecialTokens::name(int32_t id) const {
  if (id < kFirstSpecialId || id >= kHarmonyVocabSize) return std::nullopt;
  return names_[id - kFirstSpecialId];
}

std::optional<int32_t> SpecialTokens::id(std::string_view name) const {
  const auto it = ids_.find(name);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

std::optional<SpecialTokens::Match> SpecialTokens::match_at(std::string_view text) const {
  if (text.size() < 4 || text[0] != '<' || text[1] != '|') return std::nullopt;
  // Every name ends at its first "|>", so the candidate is unique (no name is a prefix of another).
  const size_t close = text.substr(0, kMaxSpecialNameBytes).find("|>", 2);
  if (close == std::string_view::npos) return std::nullopt;
  const std::string_view candidate = text.substr(0, close + 2);
  const std::optional<int32_t> found = id(candidate);
  if (!found) return std::nullopt;
  return Match{candidate, *found};
}

}  // namespace gptoss::tokenizer
