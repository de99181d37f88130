// The harmony vectors of tests/data/harmony (render.jsonl, parse.jsonl: one JSON case a line) and
// the tokenizer they were made with, shared by the chat tests.
#pragma once

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace gptoss::chat {

// One case of a vector file; its name shows in parameterized test names and failure messages.
struct VectorCase {
  std::string name;
  nlohmann::ordered_json json;  // ordered: key order is part of what the vectors pin down
};
inline void PrintTo(const VectorCase& c, std::ostream* os) { *os << c.name; }

// The cases of tests/data/harmony/<file>, in file order. A missing file gives no cases: every
// user asserts the count (25), so that fails loudly rather than passing vacuously.
inline std::vector<VectorCase> harmony_vectors(const std::string& file) {
  std::ifstream in(std::string(GPTOSS_TEST_DATA_DIR) + "/harmony/" + file);
  std::vector<VectorCase> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(line);
    cases.push_back({j["name"].get<std::string>(), std::move(j)});
  }
  return cases;
}

// The o200k_harmony tokenizer, loaded once for the whole test binary.
inline const tokenizer::Tokenizer& harmony_tokenizer() {
  static const std::shared_ptr<const tokenizer::Tokenizer> tokenizer = tokenizer::Tokenizer::load_default();
  return *tokenizer;
}

}  // namespace gptoss::chat
