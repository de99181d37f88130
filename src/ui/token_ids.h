// Token ids given on the command line ("1,2,3" or "1 2 3"), for `logits` and `inspect`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gptoss::ui {

// Ids separated by commas or white space. Throws UsageError naming `flag` on a word that is not
// an id in [0, 2^31) or when there are none.
std::vector<int32_t> parse_token_list(const std::string& text, const std::string& flag);

}  // namespace gptoss::ui
