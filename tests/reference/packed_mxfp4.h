// MXFP4 weights for kernel tests, and their values decoded in double the way model.md states
// them (nibble by nibble, ldexp for the scale), apart from the kernels' own tables.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace gptoss::reference {

// model.md: FP4 = {+0, +0.5, +1, +1.5, +2, +3, +4, +6, -0, -0.5, -1, -1.5, -2, -3, -4, -6}.
inline constexpr double kSpecFp4[16] = {0, 0.5, 1, 1.5, 2, 3, 4, 6, -0.0, -0.5, -1, -1.5, -2, -3, -4, -6};

// One matrix: blocks [rows, cols/32, 16], scales [rows, cols/32], bias [rows] bf16 or empty.
struct PackedMxfp4 {
  int rows, cols;
  std::vector<uint8_t> blocks, scales;
  std::vector<uint16_t> bias;
};

// W[r, c]: column 2j is the low nibble of byte j, 2j+1 the high one; scale 2^(s-127).
inline double mxfp4_weight(const PackedMxfp4& w, int r, int c) {
  const uint8_t byte = w.blocks[static_cast<size_t>(r) * w.cols / 2 + c / 2];
  const int code = c % 2 == 0 ? (byte & 0x0F) : (byte >> 4);
  const int s = w.scales[static_cast<size_t>(r) * (w.cols / 32) + c / 32];
  return std::ldexp(kSpecFp4[code], s - 127);
}

inline double bf16_value(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Random codes, scales 2^-9 .. 2^6 (118 .. 133), and with_bias a bias of +-1 .. 2.
inline PackedMxfp4 random_packed_mxfp4(int rows, int cols, std::mt19937& rng, bool with_bias) {
  PackedMxfp4 w{rows,
                cols,
                std::vector<uint8_t>(static_cast<size_t>(rows) * cols / 2),
                std::vector<uint8_t>(static_cast<size_t>(rows) * cols / 32),
                {}};
  for (auto& b : w.blocks) b = static_cast<uint8_t>(rng());
  for (auto& s : w.scales) s = static_cast<uint8_t>(118 + rng() % 16);
  if (with_bias) {
    w.bias.resize(rows);
    for (auto& b : w.bias) b = static_cast<uint16_t>(0x3C00 + rng() % 0x400) | (rng() % 2 ? 0x8000 : 0);
  }
  return w;
}

}  // namespace gptoss::reference
