// Token ids given on the command line ("1,2,3" or "1 2 3"), for `logits` and `inspect`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gptoss::ui {

// Ids separated by commas or white space; `source` (a flag or a file) names the text in errors.
// Throws gptoss::Error on a word that is not an id in [0, 2^31) or when there are none; callers
// parsing a flag's value rethrow it as a UsageError.
std::vector<int32_t> parse_token_list(const std::string& text, const std::string& source);

}  // namespace gptoss::ui
