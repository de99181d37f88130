// Shared helpers for the tokenizer tests: one loaded vocabulary and the JSONL vectors.
#pragma once

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace gptoss::tokenizer::testing {

// The shipped vocabulary in the source tree (tests/data is <repo>/tests/data).
inline const std::string kAssetsVocab =
    std::string(GPTOSS_TEST_DATA_DIR) + "/../../assets/o200k_base.tiktoken";

// Loading takes tens of milliseconds; share one immutable instance across tests.
inline const Tokenizer& shared_tokenizer() {
  static const std::shared_ptr<const Tokenizer> tokenizer = Tokenizer::load_default();
  return *tokenizer;
}

struct Vector {
  std::string name;
  std::string text;
  std::vector<int32_t> ids;
};

inline std::vector<Vector> read_vectors(const std::string& file) {
  std::ifstream in(std::string(GPTOSS_TEST_DATA_DIR) + "/tokenizer/" + file);
  std::vector<Vector> vectors;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line);
    vectors.push_back({j.at("name").get<std::string>(), j.at("text").get<std::string>(),
                       j.at("ids").get<std::vector<int32_t>>()});
  }
  return vectors;
}

}  // namespace gptoss::tokenizer::testing
