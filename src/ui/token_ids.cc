#include "ui/token_ids.h"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <sstream>

#include "common/input_limits.h"

namespace gptoss::ui {

std::vector<int32_t> parse_token_list(const std::string& text, const std::string& source) {
  std::string words = text;
  for (char& c : words)
    if (c == ',' || c == '\n' || c == '\t' || c == '\r') c = ' ';
  std::vector<int32_t> ids;
  std::istringstream in(words);
  std::string word;
  while (in >> word) {
    errno = 0;
    char* end = nullptr;
    const long long id = std::strtoll(word.c_str(), &end, 10);
    if (*end != '\0' || errno == ERANGE || id < 0 || id > INT32_MAX)
      throw gptoss::Error(source + ": not a token id: '" + capped(word) + "'");
    ids.push_back(static_cast<int32_t>(id));
  }
  if (ids.empty()) throw gptoss::Error(source + ": no token ids given");
  return ids;
}

}  // namespace gptoss::ui
