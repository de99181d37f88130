// The special tokens o200k_harmony adds after o200k_base's 199,998 ranks (shared/data/README.md):
// ids 199998..201087, named ones plus <|reserved_N|> for every other id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace gptoss::tokenizer {

inline constexpr int32_t kFirstSpecialId = 199998;
inline constexpr int32_t kHarmonyVocabSize = 201088;  // the model's embedding rows
// The longest name, "<|reserved_201087|>", bounds the search for a special in text.
inline constexpr size_t kMaxSpecialNameBytes = 19;

class SpecialTokens {
 public:
  SpecialTokens();
  // ids_ views names_, so the table stays where it was built.
  SpecialTokens(const SpecialTokens&) = delete;
  SpecialTokens& operator=(const SpecialTokens&) = delete;

  // Name of a special id in [kFirstSpecialId, kHarmonyVocabSize); nullopt otherwise.
  std::optional<std::string_view> name(int32_t id) const;
  // Id of a special name; also accepts "<|endofprompt|>", tiktoken's other name for 200018.
  std::optional<int32_t> id(std::string_view name) const;
  // If text starts with a special name, that name (a prefix of text) and its id.
  struct Match {
    std::string_view name;
    int32_t id;
  };
  std::optional<Match> match_at(std::string_view text) const;

 private:
  std::vector<std::string> names_;  // [id - kFirstSpecialId]
  std::unordered_map<std::string_view, int32_t> ids_;
};

}  // namespace gptoss::tokenizer
