// Prompts for the numerical tests: deterministic token ids over the whole o200k vocabulary, with
// harmony's <|start|> (200006) every 11th token.
#pragma once

#include <cstdint>
#include <vector>

namespace gptoss::testing {

// Ids spread over the whole vocabulary by a 64-bit LCG started at `seed`.
inline std::vector<int32_t> random_token_ids(int n, uint32_t seed) {
  std::vector<int32_t> out;
  uint64_t s = seed;
  for (int i = 0; i < n; ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    out.push_back(static_cast<int32_t>((s >> 33) % 201088));
  }
  return out;
}

inline std::vector<int32_t> mixed_token_ids(int n, uint32_t seed) {
  std::vector<int32_t> out;
  uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
  for (int i = 0; i < n; ++i) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    out.push_back(i % 11 == 3 ? 200006 : static_cast<int32_t>((s >> 33) % 201088));
  }
  return out;
}

}  // namespace gptoss::testing
